// The point of the credentials endpoint: long jobs that never stop for credentials
// (test/helpers/endpoint-jobs.ts has the scenario). Short credentials, made so outside the
// clients: MinIO requires at least 900 s when asked for a duration, so the STS peer takes
// `DurationSeconds` out of the call and MinIO makes the credentials expire with the web identity
// token, whose lifetime the IdP peer sets to 130 s.
//
// Why 130 s: the issue allows at most one STS mint per expiry plus one, so a set must serve more
// than half its lifetime before it is replaced (then no lifetime holds more than two mints).
// `--refresh-before` cannot be under 60 s (the settings' floor, and the AWS SDK for Java's
// one-minute stale window: it must get credentials with more than a minute left), so the lifetime
// must exceed 2 × 60 s plus the rounding of expiries to whole seconds. With 130 s, lakekey renews
// each set about 69 s after minting it and serves each with at least 60 s left. The first set is
// minted a few seconds before the run (by the login, or for the Java SDK test's request), so the
// third expiry at MinIO comes at most about 130 + 2 × 69 = 268 s into it: the readers read 280 s.
import { endpointJobs } from '../helpers/endpoint-jobs.js';

endpointJobs({ ttlS: 130, lifetime: 'token', refreshBeforeS: 60, runS: 280, threads: 16, pauseS: 0.1, s3aPauseS: 0.1 });
