// The settings form ↔ profile conversion, and validation through the core's own parser, so the
// window accepts exactly what `lakekey profile add` accepts. Pure.
import { LakekeyError } from '../core/errors.js';
import {
  DEFAULT_LAKEFS_TTL,
  DEFAULT_REFRESH_BEFORE,
  DEFAULT_S3_DURATION,
  DEFAULT_SCOPES,
  checkProfile,
  PROFILE_NAME,
  type Profile,
} from '../core/config/settings.js';
import { refreshBeforeProblem } from '../shared/freshness.js';
import type { DraftField, FieldError, ProfileDraft } from '../ipc.js';

export function defaultDraft(): ProfileDraft {
  return {
    issuer: '',
    clientId: '',
    scopes: DEFAULT_SCOPES.join(' '),
    redirectPort: '',
    refreshBeforeSeconds: String(DEFAULT_REFRESH_BEFORE),
    s3Enabled: false,
    s3StsEndpoint: '',
    s3Endpoint: '',
    s3Region: 'us-east-1',
    s3RoleArn: '',
    s3DurationSeconds: String(DEFAULT_S3_DURATION),
    s3TokenSource: 'idp',
    s3SessionName: '',
    endpointEnabled: false,
    lakefsEnabled: false,
    lakefsEndpoint: '',
    lakefsTtlSeconds: String(DEFAULT_LAKEFS_TTL),
    browser: '',
  };
}

export function profileToDraft(p: Profile): ProfileDraft {
  const d = defaultDraft();
  d.issuer = p.issuer;
  d.clientId = p.clientId;
  d.scopes = p.scopes.join(' ');
  d.redirectPort = p.redirectPort ? String(p.redirectPort) : '';
  d.refreshBeforeSeconds = String(p.refreshBeforeSeconds);
  d.browser = p.browser ?? '';
  if (p.s3) {
    d.s3Enabled = true;
    d.s3StsEndpoint = p.s3.stsEndpoint ?? '';
    d.s3Endpoint = p.s3.s3Endpoint ?? '';
    d.s3Region = p.s3.region;
    d.s3RoleArn = p.s3.roleArn ?? '';
    d.s3DurationSeconds = String(p.s3.durationSeconds);
    d.s3TokenSource = p.s3.tokenSource;
    d.s3SessionName = p.s3.sessionName ?? '';
    d.endpointEnabled = Boolean(p.endpoint);
  }
  if (p.lakefs) {
    d.lakefsEnabled = true;
    d.lakefsEndpoint = p.lakefs.endpoint;
    d.lakefsTtlSeconds = String(p.lakefs.ttlSeconds);
  }
  return d;
}

const opt = (s: string): string | undefined => (s.trim() === '' ? undefined : s.trim());

/** The raw settings object the core parses; blank fields fall back to the core's defaults. */
export function draftToRaw(d: ProfileDraft, keep?: Profile): Record<string, unknown> {
  const raw: Record<string, unknown> = {
    issuer: d.issuer,
    clientId: d.clientId,
    scopes: opt(d.scopes)?.split(/\s+/),
    redirectPort: opt(d.redirectPort),
    refreshBeforeSeconds: opt(d.refreshBeforeSeconds),
    browser: opt(d.browser),
  };
  if (d.s3Enabled) {
    raw.s3 = {
      stsEndpoint: opt(d.s3StsEndpoint),
      s3Endpoint: opt(d.s3Endpoint),
      region: opt(d.s3Region),
      roleArn: opt(d.s3RoleArn),
      durationSeconds: opt(d.s3DurationSeconds),
      tokenSource: d.s3TokenSource,
      sessionName: opt(d.s3SessionName),
    };
    if (d.endpointEnabled) raw.endpoint = true;
  }
  if (d.lakefsEnabled) {
    // The lakectl cache opt-in is a CLI-side choice the form does not show: keep it as it was.
    raw.lakefs = { endpoint: d.lakefsEndpoint, ttlSeconds: opt(d.lakefsTtlSeconds), lakectlCache: keep?.lakefs?.lakectlCache ?? false };
  }
  return JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
}

const FIELD_FOR_PATH: Record<string, DraftField> = {
  issuer: 'issuer',
  clientId: 'clientId',
  scopes: 'scopes',
  redirectPort: 'redirectPort',
  refreshBeforeSeconds: 'refreshBeforeSeconds',
  's3.region': 's3Region',
  's3.durationSeconds': 's3DurationSeconds',
  's3.stsEndpoint': 's3StsEndpoint',
  's3.s3Endpoint': 's3Endpoint',
  's3.roleArn': 's3RoleArn',
  's3.tokenSource': 's3TokenSource',
  's3.sessionName': 's3SessionName',
  'lakefs.endpoint': 'lakefsEndpoint',
  'lakefs.ttlSeconds': 'lakefsTtlSeconds',
  endpoint: 'endpointEnabled',
  browser: 'browser',
};

/** Turns the core's configuration error into an error on the form field it is about. */
export function fieldError(err: LakekeyError): FieldError {
  const m = /profile "[^"]*": ([\w.]+)(?::\s*|\s+)(.*)$/s.exec(err.message);
  if (m && FIELD_FOR_PATH[m[1]]) {
    const field = FIELD_FOR_PATH[m[1]];
    // "s3.tokenSource "lakefs" needs a lakeFS endpoint" reads best whole.
    return { field, message: err.message.includes(`${m[1]}:`) ? capitalise(m[2]) : capitalise(`${m[1]} ${m[2]}`) };
  }
  if (/names use letters/.test(err.message)) return { field: 'name', message: 'Use letters, digits, ".", "_" and "-" (at most 64).' };
  return { field: 'form', message: err.message };
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export type DraftCheck = { ok: true; profile: Profile } | { ok: false; errors: FieldError[] };

/** Validates a form submission with the core's rules (and the CLI's extra ones). */
export function validateDraft(name: string, draft: ProfileDraft, opts: { existing: string[]; originalName?: string; keep?: Profile }): DraftCheck {
  const errors: FieldError[] = [];
  if (!PROFILE_NAME.test(name)) errors.push({ field: 'name', message: 'Use letters, digits, ".", "_" and "-" (at most 64), starting with a letter or digit.' });
  else if (name !== opts.originalName && opts.existing.includes(name)) errors.push({ field: 'name', message: `A profile named "${name}" already exists.` });
  let profile: Profile | undefined;
  try {
    const checked = checkProfile(PROFILE_NAME.test(name) ? name : 'profile', draftToRaw(draft, opts.keep), 'settings');
    profile = checked.profile;
    // A refresh-before typed in the form that does not fit is said there (the CLI refuses it too);
    // left blank, the core's fitted default applies.
    if (checked.refreshBeforeAsked !== undefined && opt(draft.refreshBeforeSeconds) !== undefined && profile.s3) {
      errors.push({ field: 'refreshBeforeSeconds', message: refreshBeforeProblem(checked.refreshBeforeAsked, profile.s3.durationSeconds) });
    }
  } catch (err) {
    if (!(err instanceof LakekeyError)) throw err;
    errors.push(fieldError(err));
  }
  if (profile?.s3 && !profile.s3.stsEndpoint && !profile.s3.roleArn) {
    errors.push({ field: 's3RoleArn', message: 'AWS STS needs a role to assume; or give an STS endpoint for MinIO or lakeFS.' });
  }
  if (errors.length || !profile) return { ok: false, errors };
  return { ok: true, profile };
}
