// Quick checks the window runs as you type, with the core's own limits (main/shared/limits.ts)
// so mistakes show at once. Main validates again with the core itself on Check and Save; this
// is only the fast, friendly first pass.
import type { FieldError, ProfileDraft } from '../../main/ipc.js';
import { refreshBeforeProblem } from '../../main/shared/freshness.js';
import { LIMITS, PROFILE_NAME } from '../../main/shared/limits.js';
import { isSecureUrl } from '../../main/shared/secure-url.js';
import { parseSessionNameTemplate } from '../../main/shared/session-name.js';
import { parseBrowserCommand } from '../../main/shared/browser-command.js';

// The same rules the core's parser enforces (main/shared/limits.ts), for the checks as you type.
export { LIMITS };
export const NAME_PATTERN = PROFILE_NAME;

/** Empty when fine, else what is wrong with the endpoint. */
export function endpointProblem(value: string, required: boolean): string {
  const text = value.trim();
  if (!text) return required ? 'Required.' : '';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'Not a URL: use https://host/path.';
  }
  if (!isSecureUrl(url)) {
    return 'Must use https (plain http only for 127.0.0.1, ::1 and localhost).';
  }
  if (url.username || url.password) return 'Must not contain a user name or password.';
  if (url.search || url.hash) return 'Must not contain a query or fragment.';
  return '';
}

export function numberProblem(value: string, [min, max]: readonly [number, number], required: boolean): string {
  const text = value.trim();
  if (!text) return required ? 'Required.' : '';
  if (!/^\d+$/.test(text)) return `A whole number from ${min} to ${max}.`;
  const n = Number(text);
  return n < min || n > max ? `A whole number from ${min} to ${max}.` : '';
}

/** Empty when fine (or blank: the default), else what is wrong with the role session name template. */
export function sessionNameProblem(value: string): string {
  const text = value.trim();
  if (!text) return '';
  const parsed = parseSessionNameTemplate(text);
  return 'problem' in parsed ? `The template ${parsed.problem}.` : '';
}

/** Empty when fine (or blank: the default), else what is wrong with the browser command. */
export function browserProblem(value: string): string {
  if (!value.trim()) return '';
  const parsed = parseBrowserCommand(value);
  return 'problem' in parsed ? `The command ${parsed.problem}.` : '';
}

export function checkDraft(name: string, d: ProfileDraft): FieldError[] {
  const errors: FieldError[] = [];
  const add = (field: FieldError['field'], message: string) => {
    if (message) errors.push({ field, message });
  };
  add(
    'name',
    !name.trim() ? 'Required.' : NAME_PATTERN.test(name.trim()) ? '' : 'Use letters, digits, ".", "_" and "-" (at most 64), starting with a letter or digit.',
  );
  add('issuer', endpointProblem(d.issuer, true));
  add('clientId', d.clientId.trim() ? '' : 'Required.');
  add(
    'scopes',
    d.scopes
      .split(/\s+/)
      .filter(Boolean)
      .every((s) => /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))
      ? ''
      : 'Scope names are separated by spaces and contain no quotes or backslashes.',
  );
  add('redirectPort', numberProblem(d.redirectPort, LIMITS.redirectPort, false));
  add('refreshBeforeSeconds', numberProblem(d.refreshBeforeSeconds, LIMITS.refreshBeforeSeconds, false));
  add('browser', browserProblem(d.browser));
  if (d.s3Enabled) {
    add('s3StsEndpoint', endpointProblem(d.s3StsEndpoint, false));
    add('s3Endpoint', endpointProblem(d.s3Endpoint, false));
    add('s3DurationSeconds', numberProblem(d.s3DurationSeconds, LIMITS.s3DurationSeconds, false));
    if (
      !errors.some((e) => e.field === 'refreshBeforeSeconds' || e.field === 's3DurationSeconds') &&
      d.refreshBeforeSeconds.trim() &&
      d.s3DurationSeconds.trim()
    ) {
      add('refreshBeforeSeconds', refreshBeforeProblem(Number(d.refreshBeforeSeconds), Number(d.s3DurationSeconds)));
    }
    if (!d.s3StsEndpoint.trim() && !d.s3RoleArn.trim()) add('s3RoleArn', 'AWS STS needs a role to assume; or give an STS endpoint for MinIO or lakeFS.');
    if (d.s3TokenSource === 'lakefs' && !d.lakefsEnabled) add('s3TokenSource', 'S3 through lakeFS needs the lakeFS section.');
    add('s3SessionName', sessionNameProblem(d.s3SessionName));
  }
  if (d.lakefsEnabled) {
    add('lakefsEndpoint', endpointProblem(d.lakefsEndpoint, true));
    add('lakefsTtlSeconds', numberProblem(d.lakefsTtlSeconds, LIMITS.lakefsTtlSeconds, false));
  }
  return errors;
}
