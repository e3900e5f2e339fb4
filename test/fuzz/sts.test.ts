// Property-based fuzzing of our STS client (main/core/exchange/sts.ts assumeRoleWithWebIdentity, through
// the real @aws-sdk/client-sts) against a local server that answers with arbitrary statuses,
// content types and mutated AssumeRoleWithWebIdentity bodies, or misbehaves at the socket level.
// Property: it returns complete credentials (four non-empty values, a real expiry) or throws a
// LakekeyError STS_REFUSED / STS_UNREACHABLE — never another error type, never a hang.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { LakekeyError } from '../../main/core/errors.js';
import { assumeRoleWithWebIdentity } from '../../main/core/exchange/sts.js';
import { listenOnLoopback, type Listening } from '../helpers/loopback-server.js';
import { reportCount, runs } from '../helpers/security-world.js';
import { stsHttp } from '../helpers/net.js';

type Behaviour = 'answer' | 'destroy' | 'short-body' | 'silent';
interface Reply {
  behaviour: Behaviour;
  status: number;
  contentType: string | undefined;
  body: string;
}

let reply: Reply = { behaviour: 'answer', status: 200, contentType: 'text/xml', body: '' };
let requests = 0;
let lastForm: URLSearchParams | undefined;
let listening: Listening;
let server: http.Server;
let endpoint: string;

before(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      lastForm = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const r = reply;
      if (r.behaviour === 'destroy') return void req.socket.destroy();
      if (r.behaviour === 'silent') return; // accept, never answer
      const headers: Record<string, string | number> = {};
      if (r.contentType) headers['Content-Type'] = r.contentType;
      const body = Buffer.from(r.body, 'utf8');
      if (r.behaviour === 'short-body') {
        headers['Content-Length'] = body.length + 100;
        res.writeHead(r.status, headers);
        res.write(body);
        setTimeout(() => req.socket.destroy(), 5);
        return;
      }
      headers['Content-Length'] = body.length;
      res.writeHead(r.status, headers);
      res.end(body);
    });
  });
  listening = await listenOnLoopback(server);
  endpoint = `http://127.0.0.1:${listening.port}`;
});
after(async () => {
  await listening.close();
});

const FIELDS = ['AccessKeyId', 'SecretAccessKey', 'SessionToken', 'Expiration'] as const;
type Field = (typeof FIELDS)[number];

const GOOD: Record<Field, string> = {
  AccessKeyId: 'ASIAFUZZEXAMPLE12345',
  SecretAccessKey: 'fuzzSecretKey/abc+def0123456789ABCDEFGHIJ',
  SessionToken: 'FwoGZXIvYXdzEFuzzSessionToken0123456789==',
  Expiration: '2031-05-06T07:08:09Z',
};

function document(fields: Partial<Record<Field, string | undefined>>, wrapper = 'AssumeRoleWithWebIdentity'): string {
  const creds = FIELDS.map((f) => (fields[f] === undefined ? '' : `<${f}>${fields[f]}</${f}>`)).join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?><${wrapper}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">` +
    `<${wrapper}Result><Credentials>${creds}</Credentials><SubjectFromWebIdentityToken>sub</SubjectFromWebIdentityToken>` +
    `<AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/r/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>` +
    `</${wrapper}Result><ResponseMetadata><RequestId>fuzz</RequestId></ResponseMetadata></${wrapper}Response>`
  );
}

const fieldValue = (f: Field): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(GOOD[f]) },
    fc.constant(undefined),
    fc.constant(''),
    fc.constant('   '),
    fc.constant('&amp;&lt;x&gt;'),
    fc.constant('<![CDATA[cdata]]>'),
    fc.constant('<nested>1</nested>'),
    fc.constant('&undefinedentity;'),
    fc.string({ maxLength: 30 }).map((s) => s.replace(/[<&]/g, '')),
    fc.constant('x'.repeat(20_000)),
    ...(f === 'Expiration'
      ? [
          fc.constantFrom(
            '2031-05-06T07:08:09.123Z',
            '2031-05-06T07:08:09+02:00',
            '2031-05-06',
            '1970-01-01T00:00:00Z',
            '9999-12-31T23:59:59Z',
            '2031-13-45T99:99:99Z',
            'tomorrow',
            '1999999999',
            '-1',
            'NaN',
            '+275760-09-13T00:00:00Z',
            '2031-05-06T07:08:09',
          ),
        ]
      : []),
  );

const ERROR_CODES = [
  'InvalidIdentityToken',
  'ExpiredTokenException',
  'IDPCommunicationError',
  'IDPRejectedClaim',
  'AccessDenied',
  'Throttling',
  'InternalFailure',
  'MalformedPolicyDocument',
  '',
];

const replyArb: fc.Arbitrary<Reply & { pristine: boolean }> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({
        fields: fc.record({
          AccessKeyId: fieldValue('AccessKeyId'),
          SecretAccessKey: fieldValue('SecretAccessKey'),
          SessionToken: fieldValue('SessionToken'),
          Expiration: fieldValue('Expiration'),
        }),
        wrapper: fc.oneof({ weight: 5, arbitrary: fc.constant('AssumeRoleWithWebIdentity') }, fc.constantFrom('AssumeRole', 'GetSessionToken', 'Foo')),
        status: fc.oneof({ weight: 6, arbitrary: fc.constant(200) }, fc.constantFrom(201, 202, 204, 206, 299)),
        contentType: fc.constantFrom('text/xml', 'text/xml', 'application/xml', 'application/json', 'text/html', undefined),
        truncate: fc.oneof({ weight: 5, arbitrary: fc.constant(-1) }, fc.nat({ max: 900 })),
      })
      .map(({ fields, wrapper, status, contentType, truncate }) => {
        const full = document(fields, wrapper);
        const body = truncate >= 0 ? full.slice(0, truncate) : full;
        const pristine = status === 200 && wrapper === 'AssumeRoleWithWebIdentity' && truncate < 0 && FIELDS.every((f) => fields[f] === GOOD[f]);
        return { behaviour: 'answer' as const, status, contentType, body, pristine };
      }),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({
        status: fc.oneof(fc.constantFrom(400, 401, 403, 404, 408, 429, 500, 502, 503, 504), fc.integer({ min: 300, max: 599 })),
        code: fc.oneof(
          fc.constantFrom(...ERROR_CODES),
          fc.string({ maxLength: 20 }).map((s) => s.replace(/[<&]/g, '')),
        ),
        message: fc.string({ maxLength: 60 }).map((s) => s.replace(/[<&]/g, '')),
        xml: fc.boolean(),
      })
      .map(({ status, code, message, xml }) => ({
        behaviour: 'answer' as const,
        status,
        contentType: xml ? 'text/xml' : 'text/plain',
        body: xml
          ? `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r</RequestId></ErrorResponse>`
          : message,
        pristine: false,
      })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        status: fc.integer({ min: 200, max: 599 }),
        body: fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.constant('')),
      })
      .map(({ status, body }) => ({ behaviour: 'answer' as const, status, contentType: 'text/xml', body, pristine: false })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        // Entity expansion: must neither hang nor blow up memory.
        `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaaaaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]>${document({ ...GOOD, AccessKeyId: '&e;' })}`,
        `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>${document({ ...GOOD, SecretAccessKey: '&ext;' })}`,
        document(GOOD).repeat(3),
        document(GOOD).replace('<Credentials>', '<Credentials><Credentials>'),
      )
      .map((body) => ({ behaviour: 'answer' as const, status: 200, contentType: 'text/xml', body, pristine: false })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('destroy', 'short-body').map((behaviour) => ({
      behaviour: behaviour as Behaviour,
      status: 200,
      contentType: 'text/xml',
      body: document(GOOD),
      pristine: false,
    })),
  },
);

async function call(timeoutMs: number): Promise<{ ok?: Awaited<ReturnType<typeof assumeRoleWithWebIdentity>>; err?: unknown; ms: number }> {
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`assumeRoleWithWebIdentity did not settle within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const ok = await Promise.race([
      assumeRoleWithWebIdentity(
        { endpoint, region: 'us-east-1', webIdentityToken: 'eyJhbGciOiJSUzI1NiJ9.fuzz.token', sessionName: 'fuzz', durationSeconds: 3600 },
        'STS',
        stsHttp(),
      ),
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

test('fuzz: STS answers become complete credentials or STS_REFUSED / STS_UNREACHABLE', async () => {
  let cases = 0;
  let accepted = 0;
  const codes: Record<string, number> = {};
  await fc.assert(
    fc.asyncProperty(replyArb, async (r) => {
      cases++;
      reply = r;
      const before = requests;
      const out = await call(40_000);
      if (out.ok) {
        accepted++;
        const c = out.ok;
        for (const v of [c.accessKeyId, c.secretAccessKey, c.sessionToken]) assert.ok(typeof v === 'string' && v.length > 0, 'non-empty credential values');
        assert.ok(Number.isFinite(c.expiresAt), `a real expiry, got ${c.expiresAt} for ${JSON.stringify(r.body.slice(0, 400))}`);
        assert.doesNotThrow(() => new Date(c.expiresAt).toISOString(), 'an expiry that can be printed');
        if (r.pristine) {
          assert.deepEqual(c, {
            accessKeyId: GOOD.AccessKeyId,
            secretAccessKey: GOOD.SecretAccessKey,
            sessionToken: GOOD.SessionToken,
            expiresAt: Date.parse(GOOD.Expiration),
          });
        }
      } else {
        assert.ok(out.err instanceof LakekeyError, `a LakekeyError, got ${String(out.err)}`);
        assert.ok(out.err.code === 'STS_REFUSED' || out.err.code === 'STS_UNREACHABLE', `code ${out.err.code}`);
        assert.ok(!r.pristine, `a pristine answer was refused: ${out.err.message}`);
        assert.ok(!out.err.message.includes(GOOD.SecretAccessKey) && !out.err.message.includes(GOOD.SessionToken), 'no secret in the message');
        codes[out.err.code] = (codes[out.err.code] ?? 0) + 1;
      }
      assert.ok(requests - before >= 1, 'the request reached the server');
      assert.equal(lastForm?.get('Action'), 'AssumeRoleWithWebIdentity');
      assert.equal(lastForm?.get('DurationSeconds'), '3600', 'DurationSeconds always sent');
    }),
    { numRuns: runs(250) },
  );
  reportCount('sts-responses', cases);
  process.stdout.write(`fuzz: sts-responses accepted=${accepted} refused=${codes.STS_REFUSED ?? 0} unreachable=${codes.STS_UNREACHABLE ?? 0}\n`);
  assert.ok(accepted > 0 && (codes.STS_REFUSED ?? 0) > 0, 'both outcomes are reached');
});

test('an STS that accepts the connection and never answers gives STS_UNREACHABLE within LAKEKEY_HTTP_TIMEOUT_SECONDS, not a hang', async () => {
  reply = { behaviour: 'silent', status: 200, contentType: 'text/xml', body: '' };
  const saved = process.env.LAKEKEY_HTTP_TIMEOUT_SECONDS;
  process.env.LAKEKEY_HTTP_TIMEOUT_SECONDS = '3';
  try {
    const out = await call(40_000);
    process.stdout.write(`fuzz: sts-silent-server settled in ${out.ms} ms\n`);
    assert.ok(out.err instanceof LakekeyError, String(out.err));
    assert.equal(out.err.code, 'STS_UNREACHABLE');
    assert.ok(out.ms < 20_000, `bounded by the HTTP timeout (2 attempts of 3 s), took ${out.ms} ms`);
  } finally {
    if (saved === undefined) delete process.env.LAKEKEY_HTTP_TIMEOUT_SECONDS;
    else process.env.LAKEKEY_HTTP_TIMEOUT_SECONDS = saved;
    listening.dropConnections();
  }
});
