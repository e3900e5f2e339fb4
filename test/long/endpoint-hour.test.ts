// `npm run test:long` only: the credentials endpoint's long-job scenario (test/helpers/endpoint-jobs.ts)
// for one hour against MinIO's own shortest credentials — 900 s, asked for with `--s3-duration 900`,
// nothing shortened by the test's peers — with lakekey's default renewal window for such a short
// lifetime (a third: renewed 600 s after each mint). About five sets expire under the readers.
import { endpointJobs } from '../helpers/endpoint-jobs.js';

endpointJobs({ ttlS: 900, lifetime: 'duration', runS: 3600, threads: 16, pauseS: 0.2, s3aPauseS: 0.2 });
