// `node --import <this file>` records every module a process resolves whose URL matches the
// heavy packages the credential-process hot path must not load (DESIGN §5), one per line in
// the file named by LAKEKEY_TRACE_FILE.
import { register } from 'node:module';

register('./module-trace-hooks.js', import.meta.url);
