// The profile's settings fields and the `lakekey profile` flag that sets each, once: the CLI
// applies and unsets flags with it, and the settings parser names the flag that repairs a bad
// field. Node-free (lint-enforced), like the other shared rules.

export interface ProfileField {
  /** The flag without its dashes ("s3-duration"); also the word `--unset` takes. */
  flag: string;
  /** Its path in the settings file ("s3.durationSeconds"). */
  field: string;
  /** A profile cannot be without it, so it can be changed but not unset. */
  required?: true;
  /** A switch: the flag takes no value. */
  boolean?: true;
}

export const PROFILE_FIELDS: readonly ProfileField[] = [
  { flag: 'issuer', field: 'issuer', required: true },
  { flag: 'client-id', field: 'clientId', required: true },
  { flag: 'client-secret', field: 'clientSecret' },
  { flag: 'scope', field: 'scopes' },
  { flag: 'redirect-port', field: 'redirectPort' },
  { flag: 'refresh-before', field: 'refreshBeforeSeconds' },
  { flag: 's3-sts-endpoint', field: 's3.stsEndpoint' },
  { flag: 's3-endpoint', field: 's3.s3Endpoint' },
  { flag: 's3-region', field: 's3.region' },
  { flag: 's3-role-arn', field: 's3.roleArn' },
  { flag: 's3-duration', field: 's3.durationSeconds' },
  { flag: 's3-token-source', field: 's3.tokenSource' },
  { flag: 's3-session-name', field: 's3.sessionName' },
  { flag: 'lakefs-endpoint', field: 'lakefs.endpoint' },
  { flag: 'lakefs-ttl', field: 'lakefs.ttlSeconds' },
  { flag: 'lakectl-cache', field: 'lakefs.lakectlCache', boolean: true },
  { flag: 'endpoint', field: 'endpoint', boolean: true },
  { flag: 'browser', field: 'browser' },
];

/** The whole sections `--unset` also takes: all of a profile's S3 or lakeFS settings. */
export const PROFILE_SECTIONS = ['s3', 'lakefs'] as const;

/** The field a flag sets, or undefined for a flag that sets none. */
export function fieldOfFlag(flag: string): ProfileField | undefined {
  return PROFILE_FIELDS.find((f) => f.flag === flag);
}

/** The field at a settings path ("s3.durationSeconds"), or undefined. */
export function fieldAt(path: string): ProfileField | undefined {
  return PROFILE_FIELDS.find((f) => f.field === path);
}
