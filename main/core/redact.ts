// The redactor, in two strengths.
// - maskSecrets() is safe on any text, the program's own included: it masks only values
//   registered at run time and shapes no prose can have (JWTs, AWS key ids). The output gate
//   (text-gate.ts) runs it over everything printed, logged or shown.
// - redact() adds keyword rules (`code=…`, `token: …`, `Authorization: Bearer …`) that would eat
//   program text such as the hint `say which token: --lakefs`, so it is applied only to text
//   that came from outside, where it is interpolated (outside() in text-gate.ts), never to a
//   whole message.

const known = new Set<string>();

/** Register a secret value so that it is masked wherever it would be printed. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 6) known.add(value);
}

const shapes: Array<[RegExp, string]> = [
  // JWTs (ID tokens, lakeFS tokens, MinIO session tokens).
  [/eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g, '[jwt]'],
  // AWS access key ids.
  [/\b(A[SK]IA|ASIA)[A-Z0-9]{12,}\b/g, '[aws-key]'],
];

const keywords: Array<[RegExp, string]> = [
  // Authorization headers and bearer values.
  [/\b(Bearer|Basic)\s+[\w.~+/=-]+/gi, '$1 [redacted]'],
  // OAuth parameters in URLs, forms and JSON.
  [
    /\b(code|state|nonce|code_verifier|refresh_token|access_token|id_token|client_secret|token|password|session_token)(["']?\s*[=:]\s*["']?)[^\s&"',}]+/gi,
    '$1$2[redacted]',
  ],
  [/\b(SecretAccessKey|SessionToken|AccessKeyId|aws_secret_access_key|aws_session_token)(["']?\s*[=:]\s*["']?)[^\s"',}]+/gi, '$1$2[redacted]'],
];

/** Masks registered secrets and secret shapes; never alters other text. */
export function maskSecrets(text: string): string {
  let out = text;
  for (const value of known) {
    if (out.includes(value)) out = out.split(value).join('[redacted]');
  }
  for (const [re, replacement] of shapes) out = out.replace(re, replacement);
  return out;
}

/** For text from outside (a server's message, a library's error): masks secrets and anything keyed like one. */
export function redact(text: string): string {
  let out = maskSecrets(text);
  for (const [re, replacement] of keywords) out = out.replace(re, replacement);
  return out;
}
