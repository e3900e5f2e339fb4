// The credentials endpoint through an outage (issue 22, "Freshness and never blocking"): a real
// `lakekey serve` whose profile's S3 credentials are inside their renewal window — still valid,
// due for renewal — while the STS, or the IdP, cannot be reached. A client asking still gets the
// valid credentials (200), at once and again and again, not an error; the failure is said once.
// The real IdP, MinIO STS (behind the counting proxy, which plays dead) and keychain.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loggedIn } from '../helpers/reliability-world.js';
import { askEndpoint, startServe, type ServeProcess } from '../helpers/serve-process.js';
import { ageS3, startPeers, type Peers } from '../helpers/world.js';

let peers: Peers;
const servers: ServeProcess[] = [];
before(async () => {
  peers = await startPeers();
});
after(async () => {
  peers?.sts.setDown(false);
  peers?.idp.setDown(false);
  for (const s of servers) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  await peers?.stop();
});

/** A logged-in profile served by its own `lakekey serve`, its credentials aged into the renewal window (valid 10 min). */
async function servedInWindow(): Promise<{ vars: Record<string, string>; accessKeyId: string; serve: ServeProcess }> {
  const box = await loggedIn(peers);
  const serve = await startServe(box, ['--format', 'json']);
  servers.push(serve);
  // Nothing asked the endpoint yet, so it remembers nothing: the aged credentials are what it finds.
  const aged = await ageS3(box.name, 600); // < 1200 s left: due; > the cool-down: still served
  return { vars: JSON.parse(serve.stdout()) as Record<string, string>, accessKeyId: aged.s3!.accessKeyId, serve };
}

for (const down of ['sts', 'idp'] as const) {
  test(`the ${down === 'sts' ? 'STS' : 'IdP'} is down: requests still get the valid credentials (200), and the failure is said once`, async () => {
    const { vars, accessKeyId, serve } = await servedInWindow();
    peers[down].setDown(true);
    try {
      for (let i = 0; i < 3; i++) {
        const r = await askEndpoint(vars);
        assert.equal(r.status, 200, `request ${i + 1}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.AccessKeyId, accessKeyId, `request ${i + 1}: the current credentials`);
        assert.ok(Date.parse(r.body.Expiration) > Date.now() + 500_000, `request ${i + 1}: with their own expiry (${r.body.Expiration})`);
      }
    } finally {
      peers[down].setDown(false);
    }
    const said = serve.stderr().match(/could not renew credentials/g) ?? [];
    assert.equal(said.length, 1, serve.stderr());
    assert.doesNotMatch(serve.stderr(), new RegExp(accessKeyId), 'no credential in what it says');
  });
}
