// The use cases the CLI and the tray share, by one name: log in (login.ts), renew (renewal.ts),
// log out (logout.ts) and report status (status.ts). Hosts build a Context once (composeCore)
// and call these; nothing here parses flags or prints output beyond the user notices the host
// routes to stderr or the UI.
export type { Context, LoginOptions, Ports } from '../ports.js';
export { DEFAULT_LOGIN_TIMEOUT_SECONDS } from '../../shared/limits.js';
export { MIN_TOKEN_SECONDS } from '../../shared/freshness.js';
export { deviceLogin, login } from './login.js';
export { grantsFor } from '../login/login-grants.js';
export { type S3Options } from './renewal.js';
export { currentLakefsToken, currentS3Credentials, fromContext } from './current-credentials.js';
export { forget, logout, sayLogout, type LogoutOptions, type LogoutResult, type Revocation } from './logout.js';
export { describe, statusOf, type ProfileStatus } from './status.js';
export { readStored, sayProfiles } from './idp-session.js';
