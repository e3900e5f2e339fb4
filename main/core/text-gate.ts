// The one gate for what leaves the program (STYLE: "One gate for what leaves the program").
// Text from outside — a server's message or error_description, a device login's user_code,
// claims, a tray answer — is made safe where it is interpolated, with outside(): secrets
// redacted, every control and format character replaced, so it is always one plain line.
// Everything printed, logged or shown then passes gate(), which masks registered secrets and
// replaces control characters again, keeping only the newlines the program writes itself.
// Neither alters the program's own printable text.
import { maskSecrets, redact } from './redact.js';

/**
 * Code points a terminal, a log reader or a bidi-aware viewer would act on: C0 controls (but
 * tab and newline, handled separately), DEL, C1 controls (U+0080–U+009F, e.g. CSI U+009B), the
 * bidi embeddings/overrides/isolates and marks (Trojan Source), line/paragraph separators,
 * zero-width and invisible formatting characters, the BOM and lone surrogates.
 */
const DANGEROUS =
  // eslint-disable-next-line no-control-regex -- matching control characters is this expression's job
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200B-\u200F\u2028-\u202E\u2060-\u2069\uFEFF\uFFF9-\uFFFB]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const REPLACEMENT = '\uFFFD';

/**
 * Replaces every dangerous code point. With `keepNewlines` (the program's own output) tabs and
 * newlines stay, as the program wrote them (`profile list` is tab-separated); without (one line
 * of outside text, one log event) a tab becomes a space and a newline the replacement character.
 */
export function stripControls(text: string, keepNewlines: boolean): string {
  const out = text.replace(DANGEROUS, REPLACEMENT);
  return keepNewlines ? out : out.replace(/\t/g, ' ').replace(/\n/g, REPLACEMENT);
}

/** A value from outside, ready to interpolate: redacted, one line, at most `max` characters. */
export function outside(value: string, max = 300): string {
  const clean = stripControls(redact(value), false);
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** Everything printed, logged or shown passes here: registered secrets masked, controls replaced, the program's newlines kept. */
export function gate(text: string): string {
  return stripControls(maskSecrets(text), true);
}

/** gate() for one line (a log event, a tray notification title): newlines replaced too. */
export function gateLine(text: string): string {
  return stripControls(maskSecrets(text), false);
}
