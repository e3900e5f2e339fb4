// Test peer — a FAKE lakeFS server, kept only for what lakeFS OSS lacks: the S3 gateway's temporary-credentials call
// (STS AssumeRoleWithWebIdentity, lakeFS Enterprise only) and faults the real server cannot be made to answer (429,
// 500, a body that is not JSON). Everything OSS serves is tested against the real server (test/peers/lakefs-server.ts).
// Like real lakeFS, STS login looks the user up by the ID token's `sub` (its external id) and answers 404 when no lakeFS
// user is linked; the token's `sub` and GET /user's `user.id` are the lakeFS username and `aud` is the string "login".
// It stands in for lakeFS Enterprise, which cannot run here: every JSON request and response under /api/v1 is checked against lakeFS's own swagger.yml (and the
// calls to the remote authenticator against authentication.yml); any mismatch is recorded in `violations` and answered
// loudly (400 for a request, 500 for a response), so tests assert that the list stays empty.
import { randomBytes, randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { listenOnLoopback, readBody } from '../helpers/loopback-server.js';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { lakefsContract } from './openapi.js';

/**
 * The Python of the venv holding the lakeFS Python SDK (`pip install lakefs`, which pulls in `lakefs-sdk`), set up by
 * `npm run setup:test` under LAKEKEY_TEST_CACHE (default ~/.cache/lakekey-test)/venv. Throws when it is missing.
 *
 * The SDK reads `LAKECTL_SERVER_ENDPOINT_URL` (with or without `/api/v1`: a URL with no path gets `/api/v1` appended;
 * any other path is kept as is) and `LAKECTL_CREDENTIALS_SESSION_TOKEN` (sent as `Authorization: Bearer`; it wins
 * over access keys and ~/.lakectl.yaml credentials). `lakefs.Client()` makes no request; `client.version` calls
 * GET /api/v1/config; `lakefs.repositories()` calls GET /api/v1/repositories.
 */
export function lakefsPython(): string {
  // The test harness swaps HOME for a temporary one; it passes the real cache folder on.
  const cache = process.env.LAKEKEY_TEST_CACHE || join(homedir(), '.cache', 'lakekey-test');
  const python = join(cache, 'venv', 'bin', 'python');
  if (!existsSync(python)) {
    throw new Error(`the lakeFS Python SDK is not installed (no ${python}): run \`npm run setup:test\` first.`);
  }
  return python;
}

/** Forced answers of POST /api/v1/sts/login: `malformed` is a 200 whose body is not JSON. Stays until changed. */
/** `hostile-token`: a 200 whose token (a string, as the contract asks) would inject code into a shell. */
export type LakefsFault = 'none' | '401' | '429' | '500' | 'malformed' | 'hostile-token';

export interface LakefsOptions {
  /** The remote authenticator's base, as lakeFS's `auth.authentication_api.endpoint` (`…/api/v1` is appended if missing). */
  authenticatorUrl: string;
  /** lakeFS users by the external id (IdP `sub`) linked to them; default: alice → `alice-lakefs`. */
  users?: Record<string, string>;
}

export interface LakefsCounts {
  /** Requests to POST /api/v1/sts/login (whatever the outcome). */
  stsLogins: number;
  /** Requests to GET /api/v1/user. */
  userCalls: number;
  /** STS requests (AssumeRoleWithWebIdentity or anything else) to the server root. */
  s3Sts: number;
  /** Requests to GET /api/v1/config (the Python SDK's `client.version`). */
  configCalls: number;
  /** Requests to GET /api/v1/repositories. */
  repositoryCalls: number;
}

/** One call of the S3 temporary-credentials API, as received. */
export interface StsCall {
  /** The request carried an Authorization header (a signed STS call; web-identity calls are normally unsigned). */
  signed: boolean;
  /** Query and form parameters, WebIdentityToken included. */
  params: Record<string, string>;
  status: number;
}

/** One request under /api/v1. */
export interface ApiCall {
  method: string;
  path: string;
  operationId?: string;
  /** The user a valid bearer token named, if any. */
  user?: string;
  bearer: boolean;
  status: number;
}

export interface IssuedS3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  userId: string;
  /** Epoch seconds. */
  expiration: number;
}

export interface LakefsUser {
  id: string;
  email?: string;
  friendly_name?: string;
  creation_date: number;
}

export interface Lakefs {
  /** http://127.0.0.1:PORT — the server URL (STS lives on it; the API under /api/v1). */
  endpoint: string;
  /** `${endpoint}/api/v1`. */
  apiUrl: string;
  counts: LakefsCounts;
  /** Contract violations seen so far; a test that ends with any is broken (or found a real bug). */
  violations: string[];
  apiCalls: ApiCall[];
  stsCalls: StsCall[];
  /** S3 credentials handed out by AssumeRoleWithWebIdentity. */
  issued: IssuedS3Credentials[];
  /** lakeFS users by username (linked to IdP subjects by the `users` option). */
  users: Map<string, LakefsUser>;
  setFault(kind: LakefsFault): void;
  /**
   * Mints a lakeFS login token as /sts/login would, for tests of expired or foreign tokens. `expiresAt` is epoch
   * seconds (may be in the past); `secret` signs with another key (an invalid token).
   */
  mintToken(userId: string, expiresAt: number, secret?: Buffer): Promise<string>;
  /** The user a bearer token names, or undefined if it is missing, forged, expired or for an unknown user. */
  verifyToken(token: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

/** `ttl_seconds` when /sts/login gets none, and the most it grants (lakeFS: default 1 h, maximum 12 h). */
export const DEFAULT_TTL_SECONDS = 3600;
export const MAX_TTL_SECONDS = 43200;
/** AWS STS bounds for DurationSeconds. */
export const MIN_DURATION_SECONDS = 900;
export const MAX_DURATION_SECONDS = 43200;
const LOGIN_AUDIENCE = 'login'; // lakeFS login tokens carry aud "login"
const MAX_BODY = 256 * 1024;
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

async function signHs256(payload: JWTPayload, secret: Buffer): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret);
}

type TokenCheck = { ok: true; sub: string; exp: number } | { ok: false; reason: 'invalid' | 'expired' };

/** lakeFS's check of its own login token: HS256 under the server's secret, audience "login", a subject, not expired. */
async function checkHs256(token: string, secret: Buffer): Promise<TokenCheck> {
  try {
    const { payload } = await jwtVerify(token, secret, { algorithms: ['HS256'], audience: LOGIN_AUDIENCE, requiredClaims: ['sub', 'exp'] });
    return { ok: true, sub: payload.sub!, exp: payload.exp! };
  } catch (err) {
    return { ok: false, reason: err instanceof errors.JWTExpired ? 'expired' : 'invalid' };
  }
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

/** Epoch seconds as AWS STS writes timestamps: `YYYY-MM-DDTHH:MM:SSZ`. */
function isoSeconds(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function randomAlnum(length: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

class StsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Starts the test lakeFS server on 127.0.0.1 with an ephemeral port. */
export async function startLakefs(opts: LakefsOptions): Promise<Lakefs> {
  const swagger = lakefsContract('swagger.yml');
  const authContract = lakefsContract('authentication.yml');
  const authBase = opts.authenticatorUrl.replace(/\/+$/, '').replace(/(?<!\/api\/v1)$/, '/api/v1');
  const linked = opts.users ?? { alice: 'alice-lakefs' };
  const secret = randomBytes(32);
  const counts: LakefsCounts = { stsLogins: 0, userCalls: 0, s3Sts: 0, configCalls: 0, repositoryCalls: 0 };
  const violations: string[] = [];
  const apiCalls: ApiCall[] = [];
  const stsCalls: StsCall[] = [];
  const issued: IssuedS3Credentials[] = [];
  const users = new Map<string, LakefsUser>(Object.values(linked).map((id) => [id, { id, creation_date: Math.floor(Date.now() / 1000) }]));
  let fault: LakefsFault = 'none';
  const startedAt = Math.floor(Date.now() / 1000);

  const mintToken = (userId: string, expiresAt: number, key: Buffer = secret): Promise<string> =>
    signHs256({ jti: randomUUID(), aud: LOGIN_AUDIENCE, sub: userId, iat: Math.floor(Date.now() / 1000), exp: expiresAt }, key);

  const verify = async (token: string): Promise<TokenCheck> => {
    const result = await checkHs256(token, secret);
    if (result.ok && !users.has(result.sub)) return { ok: false, reason: 'invalid' };
    return result;
  };

  // ---- /api/v1 --------------------------------------------------------------------------------------------------

  interface ApiReply {
    status: number;
    /** JSON value to send; undefined for no body. */
    json?: unknown;
    /** Raw body sent as-is and not validated (the `malformed` fault). */
    raw?: string;
    /** Skip response validation: a deliberately injected fault. */
    injected?: boolean;
  }

  const error = (status: number, message: string): ApiReply => ({ status, json: { message } });

  /** Calls the remote authenticator, checking our request and its response against authentication.yml. */
  async function authenticate(code: string, state: string, redirectUri: string): Promise<{ status: number; claims?: Record<string, string> }> {
    const request = { code, state, redirect_uri: redirectUri };
    violations.push(...authContract.validateRequest('POST', '/sts/login', request, 'application/json'));
    const res = await fetch(`${authBase}/sts/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      violations.push(`${authContract.title}: POST /sts/login response ${res.status}: body is not JSON`);
      return { status: res.status };
    }
    const problems = authContract.validateResponse('POST', '/sts/login', res.status, body, res.headers.get('content-type') ?? undefined);
    violations.push(...problems);
    if (res.status === 200 && !problems.length) return { status: 200, claims: (body as { claims: Record<string, string> }).claims };
    return { status: res.status };
  }

  async function stsLogin(body: { code: string; state: string; redirect_uri: string; ttl_seconds?: number }): Promise<ApiReply> {
    counts.stsLogins += 1;
    switch (fault) {
      case '401':
        return { ...error(401, 'unauthorized (test fault)'), injected: true };
      case '429':
        return { ...error(429, 'too many requests (test fault)'), injected: true };
      case '500':
        return { ...error(500, 'internal server error (test fault)'), injected: true };
      case 'malformed':
        return { status: 200, raw: '<html><body>upstream hiccup</body></html>', injected: true };
      case 'hostile-token':
        return {
          status: 200,
          json: { token: "x\u2019; Write-Output PWNED; \u2019 '; echo PWNED; '", token_expiration: Math.floor(Date.now() / 1000) + 3600 },
          injected: true,
        };
      case 'none':
        break;
    }
    const ttl = body.ttl_seconds ?? DEFAULT_TTL_SECONDS;
    if (!Number.isSafeInteger(ttl) || ttl < 1) return error(400, 'ttl_seconds must be a positive integer');
    if (ttl > MAX_TTL_SECONDS) return error(400, `ttl_seconds must be at most ${MAX_TTL_SECONDS} (12 hours)`);
    let auth: { status: number; claims?: Record<string, string> };
    try {
      auth = await authenticate(body.code, body.state, body.redirect_uri);
    } catch (err) {
      return error(500, `remote authenticator unreachable: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (auth.status === 401) return error(401, 'the remote authenticator refused the login');
    if (auth.status !== 200 || !auth.claims) return error(500, `the remote authenticator failed (${auth.status})`);
    if (!auth.claims.sub) return error(401, 'missing subject in claims');
    const userId = Object.hasOwn(linked, auth.claims.sub) ? linked[auth.claims.sub] : undefined;
    // Real lakeFS: no user with this external id is 404 "not found".
    if (!userId || !users.has(userId)) return error(404, 'not found');
    const user = users.get(userId)!;
    if (auth.claims.email && !user.email) user.email = auth.claims.email;
    const expiration = Math.floor(Date.now() / 1000) + ttl;
    return { status: 200, json: { token: await mintToken(userId, expiration), token_expiration: expiration } };
  }

  function currentUser(userId: string): ApiReply {
    const user = users.get(userId);
    return user ? { status: 200, json: { user } } : error(401, 'user not found');
  }

  function config(): ApiReply {
    return {
      status: 200,
      json: {
        version_config: { version: '1.84.0', version_context: 'lakekey test peer' },
        storage_config: {
          blockstore_type: 'local',
          blockstore_namespace_example: 'local://example-bucket/',
          blockstore_namespace_ValidityRegex: '^local://',
          pre_sign_support: false,
          pre_sign_support_ui: false,
          import_support: false,
          import_validity_regex: '^local://',
        },
      },
    };
  }

  function repositories(): ApiReply {
    return {
      status: 200,
      json: {
        pagination: { has_more: false, next_offset: '', results: 1, max_per_page: 1000 },
        results: [{ id: 'example-repo', creation_date: startedAt, default_branch: 'main', storage_namespace: 'local://example-bucket/example-repo' }],
      },
    };
  }

  async function handleApi(req: http.IncomingMessage, url: URL): Promise<{ reply: ApiReply; call: ApiCall }> {
    const method = req.method ?? 'GET';
    const call: ApiCall = { method, path: url.pathname, bearer: false, status: 0 };
    const op = swagger.operation(method, url.pathname);
    if (!op) {
      violations.push(`${swagger.title}: ${method} ${url.pathname}: no such operation in the contract`);
      return { reply: error(404, `no such operation: ${method} ${url.pathname}`), call };
    }
    call.operationId = op.operationId;

    const text = await readBody(req, MAX_BODY);
    const contentType = req.headers['content-type'];
    let body: unknown;
    if (text.length) {
      try {
        body = JSON.parse(text);
      } catch {
        violations.push(`${swagger.title}: ${method} ${url.pathname} request: body is not JSON`);
        return { reply: error(400, 'request body is not JSON'), call };
      }
    }
    const problems = swagger.validateRequest(method, url.pathname, body, contentType);
    if (problems.length) {
      violations.push(...problems);
      return { reply: error(400, problems.join('; ')), call };
    }

    let userId: string | undefined;
    if (op.secured) {
      const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      call.bearer = match !== null;
      if (!match) return { reply: error(401, 'authentication required: Authorization: Bearer <lakeFS token>'), call };
      const checked = await verify(match[1]);
      if (!checked.ok) return { reply: error(401, checked.reason === 'expired' ? 'token expired' : 'invalid token'), call };
      userId = checked.sub;
      call.user = userId;
    }

    switch (op.operationId) {
      case 'stsLogin':
        return { reply: await stsLogin(body as Parameters<typeof stsLogin>[0]), call };
      case 'getCurrentUser':
        counts.userCalls += 1;
        return { reply: currentUser(userId as string), call };
      case 'getConfig':
        counts.configCalls += 1;
        return { reply: config(), call };
      case 'listRepositories':
        counts.repositoryCalls += 1;
        return { reply: repositories(), call };
      case 'healthCheck':
        return { reply: { status: 204 }, call };
      default:
        // Loud: a client called something this peer does not serve. Add it here (per swagger) if a test needs it.
        violations.push(`lakeFS test peer: ${op.operationId} (${method} ${op.template}) is not implemented`);
        return { reply: error(501, `${op.operationId} is not implemented by the lakeFS test peer`), call };
    }
  }

  async function api(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const { reply, call } = await handleApi(req, url);
    let { status } = reply;
    let payload: string | undefined = reply.raw ?? (reply.json === undefined ? undefined : JSON.stringify(reply.json));
    if (!reply.injected && reply.raw === undefined) {
      const problems = swagger.validateResponse(
        req.method ?? 'GET',
        url.pathname,
        status,
        reply.json,
        reply.json === undefined ? undefined : 'application/json',
      );
      if (problems.length && swagger.operation(req.method ?? 'GET', url.pathname)) {
        violations.push(...problems);
        status = 500;
        payload = JSON.stringify({ message: `lakeFS test peer broke its contract: ${problems.join('; ')}` });
      }
    }
    call.status = status;
    apiCalls.push(call);
    if (payload === undefined) {
      res.writeHead(status).end();
    } else {
      res.writeHead(status, { 'content-type': 'application/json' }).end(payload);
    }
  }

  // ---- STS (server root) ----------------------------------------------------------------------------------------

  async function assumeRoleWithWebIdentity(params: Record<string, string>): Promise<string> {
    if (params.Action !== 'AssumeRoleWithWebIdentity') {
      throw new StsError(400, 'InvalidAction', `Could not find operation ${params.Action ?? '(none)'} for version ${params.Version ?? '(none)'}`);
    }
    if (params.Version !== '2011-06-15') throw new StsError(400, 'InvalidParameterValue', 'Version must be 2011-06-15');
    for (const name of ['RoleArn', 'RoleSessionName', 'WebIdentityToken']) {
      if (!params[name]) throw new StsError(400, 'MissingParameter', `The request must contain the parameter ${name}`);
    }
    if (!/^[\w+=,.@-]{2,64}$/.test(params.RoleSessionName)) {
      throw new StsError(400, 'ValidationError', 'RoleSessionName must be 2-64 characters of [\\w+=,.@-]');
    }
    let duration = 3600;
    if (params.DurationSeconds !== undefined) {
      duration = Number(params.DurationSeconds);
      if (!Number.isInteger(duration) || duration < MIN_DURATION_SECONDS || duration > MAX_DURATION_SECONDS) {
        throw new StsError(400, 'ValidationError', `DurationSeconds must be between ${MIN_DURATION_SECONDS} and ${MAX_DURATION_SECONDS}`);
      }
    }
    const checked = await verify(params.WebIdentityToken);
    if (!checked.ok) {
      if (checked.reason === 'expired') throw new StsError(400, 'ExpiredTokenException', 'The web identity token has expired');
      throw new StsError(400, 'InvalidIdentityToken', 'The web identity token is not a valid lakeFS token');
    }
    const now = Math.floor(Date.now() / 1000);
    // The credentials never outlive the lakeFS login they were derived from.
    const expiration = Math.min(now + duration, checked.exp);
    const creds: IssuedS3Credentials = {
      accessKeyId: `ASIA${randomAlnum(16)}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(96).toString('base64'),
      userId: checked.sub,
      expiration,
    };
    issued.push(creds);
    const roleId = `AROA${randomAlnum(17)}`;
    return `<AssumeRoleWithWebIdentityResponse xmlns="${STS_NS}">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>${xmlEscape(checked.sub)}</SubjectFromWebIdentityToken>
    <Audience>${LOGIN_AUDIENCE}</Audience>
    <AssumedRoleUser>
      <Arn>${xmlEscape(`${params.RoleArn.replace(':role/', ':assumed-role/')}/${params.RoleSessionName}`)}</Arn>
      <AssumedRoleId>${roleId}:${xmlEscape(params.RoleSessionName)}</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>${creds.accessKeyId}</AccessKeyId>
      <SecretAccessKey>${xmlEscape(creds.secretAccessKey)}</SecretAccessKey>
      <SessionToken>${xmlEscape(creds.sessionToken)}</SessionToken>
      <Expiration>${isoSeconds(expiration)}</Expiration>
    </Credentials>
    <Provider>lakeFS</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>${randomUUID()}</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>
`;
  }

  async function sts(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    counts.s3Sts += 1;
    const params: Record<string, string> = Object.fromEntries(url.searchParams);
    if (req.method === 'POST') {
      const text = await readBody(req, MAX_BODY);
      if ((req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
        Object.assign(params, Object.fromEntries(new URLSearchParams(text)));
      }
    }
    const call: StsCall = { signed: req.headers.authorization !== undefined, params, status: 0 };
    stsCalls.push(call);
    let status = 200;
    let xml: string;
    try {
      xml = await assumeRoleWithWebIdentity(params);
    } catch (err) {
      if (!(err instanceof StsError)) throw err;
      status = err.status;
      xml = `<ErrorResponse xmlns="${STS_NS}">
  <Error>
    <Type>Sender</Type>
    <Code>${err.code}</Code>
    <Message>${xmlEscape(err.message)}</Message>
  </Error>
  <RequestId>${randomUUID()}</RequestId>
</ErrorResponse>
`;
    }
    call.status = status;
    res.writeHead(status, { 'content-type': 'text/xml' }).end(xml);
  }

  // ---- server ---------------------------------------------------------------------------------------------------

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const work =
      url.pathname === '/api/v1' || url.pathname.startsWith('/api/v1/')
        ? api(req, res, url)
        : url.pathname === '/' && (req.method === 'POST' || url.searchParams.has('Action'))
          ? sts(req, res, url)
          : Promise.resolve().then(() => {
              violations.push(`lakeFS test peer: unexpected request ${req.method} ${url.pathname}`);
              res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'not found' }));
            });
    work.catch((err: unknown) => {
      violations.push(`lakeFS test peer crashed on ${req.method} ${url.pathname}: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'internal error' }));
    });
  });
  const listening = await listenOnLoopback(server);
  const { port } = listening;
  const endpoint = `http://127.0.0.1:${port}`;

  return {
    endpoint,
    apiUrl: `${endpoint}/api/v1`,
    counts,
    violations,
    apiCalls,
    stsCalls,
    issued,
    users,
    setFault(kind: LakefsFault) {
      fault = kind;
    },
    mintToken,
    async verifyToken(token: string) {
      const checked = await verify(token);
      return checked.ok ? checked.sub : undefined;
    },
    stop: () => listening.close(),
  };
}
