// The point of the credentials endpoint: long jobs that never stop for credentials
// (test/helpers/endpoint-jobs.ts has the scenario). Short credentials, made so outside the
// clients: MinIO requires at least 900 s when asked for a duration, so the STS peer takes
// `DurationSeconds` out of the call and MinIO makes the credentials expire with the web identity
// token, whose lifetime the IdP peer sets to 65 s. With `--refresh-before 60` lakekey renews each
// set 5 s after minting it and serves each with at least 60 s left; every set really expires at
// MinIO 65 s after it was minted, and 80 s of reading runs past the third expiry (65 + 2 × 5 s).
// The mints are bound by the renewal schedule (one per 5 s, plus one, for 32 readers); the
// issue's "one per expiry plus one" needs sets that serve over half their lifetime — over 120 s,
// so a 280 s run — and is asserted by the hour-long run in `npm run test:long` instead, to keep
// `npm test` within its time budget.
import { endpointJobs } from '../helpers/endpoint-jobs.js';

endpointJobs({ ttlS: 65, lifetime: 'token', refreshBeforeS: 60, runS: 80, threads: 16, pauseS: 0.05 });
