// What a profile hands out, in words ("S3 via STS, lakeFS"): one wording for `lakekey profile
// list`, the tray menu and the settings window. Node-free: it takes the profile's shape, not core types.

export interface ProfileShape {
  s3?: { tokenSource: 'idp' | 'lakefs'; stsEndpoint?: string };
  lakefs?: unknown;
}

export function kinds(p: ProfileShape): string {
  const s3 = p.s3 ? `S3 via ${p.s3.tokenSource === 'lakefs' ? 'lakeFS' : p.s3.stsEndpoint ? 'STS' : 'AWS STS'}` : '';
  return [s3, p.lakefs ? 'lakeFS' : ''].filter(Boolean).join(', ') || 'login only';
}
