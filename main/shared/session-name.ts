// The STS role session name (`RoleSessionName`): lakekey's default, or the profile's template
// over the web identity token's claims (`--s3-session-name "{email}"`, issue 24), sanitised to
// STS's rules. lakeFS Enterprise's `aws_iam` login maps `assumed-role/<Role>/<session name>` to a
// lakeFS user, so a session name that is the user's identity lets lakeFS's own clients log in
// with lakekey's AWS credentials. Node-free: the settings parser and the settings window check a
// template with it, the core renders it when it mints.

/** A template longer than this is refused (the name itself is cut to 64 characters). */
export const SESSION_NAME_TEMPLATE_MAX = 256;

/** A claim name inside braces: letters, digits and `_ . : / + -` (namespaced claims such as `https://example.com/user` too). */
const CLAIM_NAME = /^[A-Za-z0-9_][\w.:/+-]{0,127}$/;

/** The claims a lakeFS token carries that name someone: lakeFS puts the lakeFS username in `sub`. */
export const LAKEFS_TOKEN_CLAIMS: readonly string[] = ['sub'];

export type TemplatePart = { text: string } | { claim: string };

/**
 * The template's parts, or what is wrong with it, in words that follow "--s3-session-name: "
 * (an unclosed brace, a stray `}`, an empty or malformed claim name, no claim at all).
 */
export function parseSessionNameTemplate(template: string): { parts: TemplatePart[] } | { problem: string } {
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\x00-\x1f\x7f-\x9f]/.test(template)) return { problem: 'contains control characters' };
  if (template.length > SESSION_NAME_TEMPLATE_MAX) return { problem: `is longer than ${SESSION_NAME_TEMPLATE_MAX} characters` };
  const parts: TemplatePart[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    const close = template.indexOf('}', i);
    if (close !== -1 && (open === -1 || close < open)) return { problem: `has a "}" without its "{" (at character ${close + 1})` };
    if (open === -1) {
      parts.push({ text: template.slice(i) });
      break;
    }
    if (open > i) parts.push({ text: template.slice(i, open) });
    const end = template.indexOf('}', open);
    const nested = template.indexOf('{', open + 1);
    if (end === -1 || (nested !== -1 && nested < end)) return { problem: `has an unclosed "{" (at character ${open + 1}): write a claim as {email}` };
    const claim = template.slice(open + 1, end);
    if (!claim) return { problem: `has an empty "{}": put a claim name inside, such as {email}` };
    if (!CLAIM_NAME.test(claim)) return { problem: `"{${claim}}" is not a claim name (letters, digits and _ . : / + -)` };
    parts.push({ claim });
    i = end + 1;
  }
  if (!parts.some((p) => 'claim' in p)) {
    return { problem: 'names no claim, so every user would get the same session name: use one such as {email}, {preferred_username} or {sub}' };
  }
  return { parts };
}

/** The claim names a template uses, in order, once each. */
export function templateClaims(parts: readonly TemplatePart[]): string[] {
  return [...new Set(parts.flatMap((p) => ('claim' in p ? [p.claim] : [])))];
}

/** Why a claim gave no text: absent, empty, or not a single text or number value. */
export type ClaimGap = 'absent' | 'empty' | 'not-text';

/**
 * The template filled in from `claims` and sanitised, or the first claim that gave no text and why.
 * Only strings and numbers fill a claim; a list, an object, true/false or "" do not.
 */
export function renderSessionName(parts: readonly TemplatePart[], claims: Record<string, unknown>): { name: string } | { claim: string; gap: ClaimGap } {
  let text = '';
  for (const part of parts) {
    if ('text' in part) {
      text += part.text;
      continue;
    }
    const value = Object.hasOwn(claims, part.claim) ? claims[part.claim] : undefined;
    if (value === undefined || value === null) return { claim: part.claim, gap: 'absent' };
    if (typeof value !== 'string' && typeof value !== 'number') return { claim: part.claim, gap: 'not-text' };
    if (String(value) === '') return { claim: part.claim, gap: 'empty' };
    text += String(value);
  }
  return { name: stsSessionName(text) };
}

/**
 * STS's rules for RoleSessionName: 2–64 characters of `[\w+=,.@-]` (ASCII). Other characters
 * (each code point, so an emoji too) become "-", a longer name is cut at 64, a shorter one gets a "lakekey-" prefix.
 */
export function stsSessionName(from: string | undefined): string {
  const cleaned = (from ?? '').replace(/[^\w+=,.@-]/gu, '-').slice(0, 64);
  return cleaned.length >= 2 ? cleaned : `lakekey-${cleaned}`.slice(0, 64);
}
