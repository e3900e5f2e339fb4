// Property-based fuzzing of our lakeFS STS-login client (main/core/exchange/lakefs.ts stsLogin) against a
// local server answering with arbitrary statuses, content types and mutated AuthenticationToken
// bodies, or misbehaving at the socket level. Property: it returns a usable token (a non-empty
// string and a real, printable expiry) or throws a LakekeyError LAKEFS_REFUSED /
// LAKEFS_UNREACHABLE — never another error type, never a hang — and its messages never carry
// the authorization code or the PKCE verifier, even when the server echoes them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { LakekeyError } from '../../main/core/errors.js';
import { lakefsState, stsLogin } from '../../main/core/exchange/lakefs.js';
import { registerSecret } from '../../main/core/redact.js';
import { listenOnLoopback, type Listening } from '../helpers/loopback-server.js';
import { reportCount, runs } from '../helpers/security-world.js';
import { fetchWithin } from '../helpers/net.js';

type Behaviour = 'answer' | 'destroy' | 'short-body' | 'silent';
interface Reply {
  behaviour: Behaviour;
  status: number;
  contentType: string | undefined;
  body: string;
}

let reply: Reply = { behaviour: 'answer', status: 200, contentType: 'application/json', body: '{}' };
let lastBody: unknown;
let lastPath = '';
let listening: Listening;
let server: http.Server;
let endpoint: string;

before(async () => {
  process.env.LAKEKEY_HTTP_TIMEOUT_SECONDS = '2';
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      lastPath = req.url ?? '';
      try {
        lastBody = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        lastBody = undefined;
      }
      const r = reply;
      if (r.behaviour === 'destroy') return void req.socket.destroy();
      if (r.behaviour === 'silent') return;
      const body = Buffer.from(r.body, 'utf8');
      const headers: Record<string, string | number> = { 'Content-Length': r.behaviour === 'short-body' ? body.length + 50 : body.length };
      if (r.contentType) headers['Content-Type'] = r.contentType;
      res.writeHead(r.status, headers);
      if (r.behaviour === 'short-body') {
        res.write(body);
        setTimeout(() => req.socket.destroy(), 5);
      } else {
        res.end(body);
      }
    });
  });
  listening = await listenOnLoopback(server);
  endpoint = `http://127.0.0.1:${listening.port}`;
});
after(async () => {
  delete process.env.LAKEKEY_HTTP_TIMEOUT_SECONDS;
  await listening.close();
});

function jwt(claims: Record<string, unknown>): string {
  const b = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b({ alg: 'HS256', typ: 'JWT' })}.${b(claims)}.c2lnbmF0dXJl`;
}

const tokenArb = fc.oneof(
  { weight: 5, arbitrary: fc.constant(jwt({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 3600 })) },
  fc.constant(jwt({ sub: 'alice' })),
  fc.constant(jwt({ sub: 'alice', exp: '12' })),
  fc.constant('not.a.jwt'),
  fc.constant('opaque-token-value'),
  fc.constant(''),
  fc.constant(null),
  fc.constant(42),
  fc.constant(['a']),
  fc.constant({ token: 'x' }),
  fc.string({ maxLength: 40 }),
);

const expirationArb = fc.oneof(
  { weight: 5, arbitrary: fc.constant(Math.floor(Date.now() / 1000) + 3600) },
  fc.constant(undefined),
  fc.constant(null),
  fc.constant(0),
  fc.constant(-1),
  fc.constant(1.5),
  fc.constant('3600'),
  fc.constant('2031-01-01T00:00:00Z'),
  fc.constant(true),
  fc.double({ min: -1e9, max: 4e9, noNaN: false }),
  fc.integer({ min: -1e9, max: 4e9 }),
);

/** Expiries beyond what a Date can hold (in seconds, as lakeFS sends them). */
const absurdExpirationArb = fc.oneof(
  fc.constantFrom(1e300, -1e300, 8.64e12 + 1, 2 ** 53, Number.MAX_VALUE, -Number.MAX_VALUE),
  fc.double({ min: 8.64e12 + 1, max: 1e308, noNaN: true }),
  fc.double({ min: -1e308, max: -8.64e12 - 1, noNaN: true }),
);

const replyArb = (code: string, verifier: string): fc.Arbitrary<Reply & { pristine: boolean }> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .record({
          token: tokenArb,
          exp: expirationArb,
          extra: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
          status: fc.oneof({ weight: 6, arbitrary: fc.constant(200) }, fc.constantFrom(201, 204, 299)),
          contentType: fc.constantFrom('application/json', 'application/json', 'text/plain', 'text/html', undefined),
          truncate: fc.oneof({ weight: 5, arbitrary: fc.constant(-1) }, fc.nat({ max: 200 })),
        })
        .map(({ token, exp, extra, status, contentType, truncate }) => {
          const doc: Record<string, unknown> = { ...extra, token };
          if (exp !== undefined) doc.token_expiration = exp;
          const full = JSON.stringify(doc);
          const body = truncate >= 0 ? full.slice(0, truncate) : full;
          return { behaviour: 'answer' as const, status, contentType, body, pristine: false };
        }),
    },
    {
      weight: 3,
      arbitrary: fc
        .record({
          status: fc.oneof(fc.constantFrom(400, 401, 403, 404, 409, 420, 429, 500, 502, 503), fc.integer({ min: 300, max: 599 })),
          echo: fc.constantFrom(
            'invalid code',
            `invalid code ${code}`,
            `code ${code} already used`,
            `code=${code}`,
            `authenticator said: {"code":"${code}"}`,
            `code_verifier ${verifier} does not match`,
            `verifier mismatch: ${verifier}`,
            'plain failure',
          ),
          json: fc.boolean(),
        })
        .map(({ status, echo, json }) => ({
          behaviour: 'answer' as const,
          status,
          contentType: json ? 'application/json' : 'text/plain',
          body: json ? JSON.stringify({ message: echo }) : echo,
          pristine: false,
        })),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({
          status: fc.integer({ min: 200, max: 599 }),
          body: fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.json()),
        })
        .map(({ status, body }) => ({ behaviour: 'answer' as const, status, contentType: 'application/json', body, pristine: false })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Behaviour>('destroy', 'short-body').map((behaviour) => ({
        behaviour,
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({ token: 'x'.repeat(40), token_expiration: 2e9 }),
        pristine: false,
      })),
    },
  );

async function call(code: string, state: string, timeoutMs: number) {
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`stsLogin did not settle within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const ok = await Promise.race([
      stsLogin(endpoint, { code, state, redirectUri: 'http://127.0.0.1:1234/callback', ttlSeconds: 3600 }, { fetch: fetchWithin() }),
      hang,
    ]);
    return { ok, ms: Date.now() - t0 };
  } catch (err) {
    if (err instanceof Error && /did not settle/.test(err.message)) throw err;
    return { err, ms: Date.now() - t0 };
  } finally {
    clearTimeout(timer);
  }
}

/** What session.ts hands to stsLogin: the code from the callback and a state that carries the verifier. */
function loginInputs() {
  const code = randomBytes(18).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  const state = lakefsState(randomBytes(16).toString('base64url'), verifier);
  // As in the real flow: oidc.ts authorizationRequest registers the verifier and the state.
  registerSecret(verifier);
  registerSecret(state);
  return { code, verifier, state };
}

test('fuzz: lakeFS login answers become a usable token or LAKEFS_REFUSED / LAKEFS_UNREACHABLE', async () => {
  let cases = 0;
  let accepted = 0;
  const codes: Record<string, number> = {};
  const inputs = loginInputs();
  await fc.assert(
    fc.asyncProperty(replyArb(inputs.code, inputs.verifier), async (r) => {
      cases++;
      reply = r;
      const out = await call(inputs.code, inputs.state, 20_000);
      assert.equal(lastPath, '/api/v1/sts/login');
      assert.deepEqual(lastBody, { code: inputs.code, state: inputs.state, redirect_uri: 'http://127.0.0.1:1234/callback', ttl_seconds: 3600 });
      if (out.ok) {
        accepted++;
        assert.ok(typeof out.ok.token === 'string' && out.ok.token.length > 0);
        assert.ok(Number.isFinite(out.ok.expiresAt), `a real expiry, got ${out.ok.expiresAt} for ${r.body.slice(0, 200)}`);
        assert.doesNotThrow(
          () => new Date(out.ok.expiresAt).toISOString(),
          `an expiry that can be printed (got ${out.ok.expiresAt} for ${r.body.slice(0, 200)})`,
        );
      } else {
        assert.ok(out.err instanceof LakekeyError, `a LakekeyError, got ${String(out.err)}`);
        assert.ok(out.err.code === 'LAKEFS_REFUSED' || out.err.code === 'LAKEFS_UNREACHABLE', `code ${out.err.code}`);
        codes[out.err.code] = (codes[out.err.code] ?? 0) + 1;
      }
    }),
    { numRuns: runs(300) },
  );
  reportCount('lakefs-responses', cases);
  process.stdout.write(`fuzz: lakefs-responses accepted=${accepted} refused=${codes.LAKEFS_REFUSED ?? 0} unreachable=${codes.LAKEFS_UNREACHABLE ?? 0}\n`);
  assert.ok(accepted > 0 && (codes.LAKEFS_REFUSED ?? 0) > 0);
});

test('fuzz: lakeFS error messages never carry the authorization code or the PKCE verifier', async () => {
  let cases = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('invalid code CODE', 'code CODE already used', 'code=CODE', '{"code":"CODE"}', 'verifier VERIFIER rejected', 'CODE'),
      fc.constantFrom(400, 401, 403, 404, 429, 500, 502),
      fc.boolean(),
      async (template, status, json) => {
        cases++;
        const inputs = loginInputs();
        const message = template.replace('CODE', inputs.code).replace('VERIFIER', inputs.verifier);
        reply = { behaviour: 'answer', status, contentType: 'application/json', body: json ? JSON.stringify({ message }) : message };
        const out = await call(inputs.code, inputs.state, 20_000);
        assert.ok(out.err instanceof LakekeyError);
        const text = `${out.err.message} ${out.err.hint ?? ''}`;
        assert.ok(!text.includes(inputs.verifier), `verifier leaked: ${text}`);
        assert.ok(!text.includes(inputs.code), `authorization code leaked: ${text}`);
      },
    ),
    { numRuns: runs(60) },
  );
  reportCount('lakefs-error-echo', cases);
});

test('fuzz: an absurd token_expiration or JWT exp never yields an expiry that cannot be printed', async () => {
  let cases = 0;
  const inputs = loginInputs();
  await fc.assert(
    fc.asyncProperty(absurdExpirationArb, fc.boolean(), async (exp, inJwt) => {
      cases++;
      const body = inJwt ? { token: jwt({ sub: 'alice', exp }) } : { token: jwt({ sub: 'alice' }), token_expiration: exp };
      reply = { behaviour: 'answer', status: 200, contentType: 'application/json', body: JSON.stringify(body) };
      const out = await call(inputs.code, inputs.state, 20_000);
      if (out.ok) {
        assert.doesNotThrow(() => new Date(out.ok.expiresAt).toISOString(), `expiry ${out.ok.expiresAt} from ${JSON.stringify(body)}`);
      } else {
        assert.ok(out.err instanceof LakekeyError && out.err.code === 'LAKEFS_REFUSED');
      }
    }),
    { numRuns: runs(50) },
  );
  reportCount('lakefs-absurd-expiry', cases);
});

test('a lakeFS server that accepts the connection and never answers gives LAKEFS_UNREACHABLE within the HTTP timeout', async () => {
  reply = { behaviour: 'silent', status: 200, contentType: 'application/json', body: '' };
  const inputs = loginInputs();
  const out = await call(inputs.code, inputs.state, 20_000);
  assert.ok(out.err instanceof LakekeyError, String(out.err));
  assert.equal(out.err.code, 'LAKEFS_UNREACHABLE');
  assert.ok(out.ms < 8_000, `bounded by LAKEKEY_HTTP_TIMEOUT_SECONDS=2, took ${out.ms} ms`);
  listening.dropConnections();
});
