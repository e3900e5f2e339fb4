// A CLI-like client process for the login broker test: asks the tray to log a profile in and
// prints the outcome as one JSON line.
import { requestLoginViaTray } from '../../../main/core/login/login-broker.js';

const [dir, profile, timeout] = process.argv.slice(2);
const t0 = Date.now();
requestLoginViaTray(dir, profile, Number(timeout), process.platform).then(
  (result) => process.stdout.write(JSON.stringify({ result, ms: Date.now() - t0 }) + '\n'),
  (err: { code?: string; message?: string }) => process.stdout.write(JSON.stringify({ error: err.code, message: err.message, ms: Date.now() - t0 }) + '\n'),
);
