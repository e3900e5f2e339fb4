// One redactor for every log line and error message: known secret values registered at
// run time, plus patterns for tokens, codes, states, keys and Authorization headers.

const known = new Set<string>();

/** Register a secret value so that it is masked wherever it would be printed. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 6) known.add(value);
}

const patterns: Array<[RegExp, string]> = [
  // JWTs (ID tokens, lakeFS tokens, MinIO session tokens).
  [/eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g, '[jwt]'],
  // Authorization headers and bearer values.
  [/\b(Bearer|Basic)\s+[\w.~+/=-]+/gi, '$1 [redacted]'],
  // OAuth parameters in URLs, forms and JSON.
  [/\b(code|state|nonce|code_verifier|refresh_token|access_token|id_token|client_secret|token|password|session_token)(["']?\s*[=:]\s*["']?)[^\s&"',}]+/gi, '$1$2[redacted]'],
  // AWS access keys and secret keys.
  [/\b(A[SK]IA|ASIA)[A-Z0-9]{12,}\b/g, '[aws-key]'],
  [/\b(SecretAccessKey|SessionToken|AccessKeyId|aws_secret_access_key|aws_session_token)(["']?\s*[=:]\s*["']?)[^\s"',}]+/gi, '$1$2[redacted]'],
];

export function redact(text: string): string {
  let out = text;
  for (const value of known) {
    if (out.includes(value)) out = out.split(value).join('[redacted]');
  }
  for (const [re, replacement] of patterns) out = out.replace(re, replacement);
  return out;
}
