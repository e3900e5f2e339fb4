// Run as a command (by another local user, in the endpoint's security test): asks a credentials
// endpoint once, as an SDK would, and prints {status, body} as JSON. Self-contained (no imports
// of the checkout), so a copy in a folder the other user can reach runs on its own.
const [uri, token] = process.argv.slice(2);
if (!uri || !token) {
  process.stderr.write('usage: endpoint-client URI TOKEN\n');
  process.exit(2);
}
try {
  const res = await fetch(uri, { headers: { Authorization: token } });
  process.stdout.write(JSON.stringify({ status: res.status, body: await res.text() }) + '\n');
} catch (err) {
  // The server may also just close the connection: that is a refusal too.
  process.stdout.write(JSON.stringify({ status: 0, body: String(err) }) + '\n');
}
