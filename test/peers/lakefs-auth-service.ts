// Test peer — a FAKE: a stand-in for lakeFS's external auth service (`auth.api.endpoint`), because that service is
// not open source (it ships with lakeFS Enterprise and Cloud), yet lakeFS OSS answers STS login only when one is
// configured. It implements only what the real lakeFS server asks of it (found by running it): `/healthcheck` and
// `/config/version` at start, user lookups (`GET /auth/users?external_id=…` for STS login, `GET /auth/users/{id}` for
// every bearer token), and for the one admin with an access key, `GET /auth/credentials/{key}` and its effective
// policies (`GET /auth/users/{id}/policies?effective=true`). Every request it gets must be an operation of lakeFS's
// contract `authorization.yml`, and every answer is checked against it: a mismatch, or a call it does not serve, is
// recorded in `violations` (tests assert the list stays empty) and answered loudly (500/501).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { listenOnLoopback, readBody } from '../helpers/loopback-server.js';
import { lakefsContract } from './openapi.js';

export interface AuthServiceUser {
  /** The lakeFS username (what lakeFS puts in its token's `sub` and answers as GET /user's `user.id`). */
  username: string;
  /** The IdP subject linked to this user (what lakeFS looks up after STS login); none for a key-only user. */
  externalId?: string;
  email?: string;
  friendlyName?: string;
}

export interface AuthServiceOptions {
  /** The users lakeFS knows. An admin with an access key (full access) is always added: see `admin`. */
  users: AuthServiceUser[];
}

export interface AuthServiceCounts {
  /** GET /auth/users?external_id=… (STS login's lookup). */
  externalIdLookups: number;
  /** GET /auth/users/{id}. */
  userLookups: number;
}

export interface AuthService {
  /** As lakeFS's `auth.api.endpoint` wants it: `http://127.0.0.1:PORT/api/v1`. */
  url: string;
  /** The admin user, with the access key lakeFS authenticates it by; its policy allows everything. */
  admin: { username: string; accessKeyId: string; secretAccessKey: string };
  counts: AuthServiceCounts;
  /** The external ids lakeFS looked up, in order. */
  externalIdsLookedUp: string[];
  /** Contract violations (authorization.yml) or calls this stand-in does not serve; tests assert it stays empty. */
  violations: string[];
  /** Users by username; tests may add or delete (lakeFS's user cache must be off for that to show at once). */
  users: Map<string, AuthServiceUser>;
  stop(): Promise<void>;
}

const VERSION = 'lakekey-test-auth-service';

export async function startLakefsAuthService(opts: AuthServiceOptions): Promise<AuthService> {
  const contract = lakefsContract('authorization.yml');
  const created = Math.floor(Date.now() / 1000);
  const admin = {
    username: 'admin',
    accessKeyId: `AKIAJ${randomBytes(8).toString('hex').toUpperCase().slice(0, 15)}`,
    secretAccessKey: randomBytes(30).toString('base64url'),
  };
  const users = new Map<string, AuthServiceUser>(opts.users.map((u) => [u.username, u]));
  users.set(admin.username, { username: admin.username });
  const counts: AuthServiceCounts = { externalIdLookups: 0, userLookups: 0 };
  const externalIdsLookedUp: string[] = [];
  const violations: string[] = [];

  const asUser = (u: AuthServiceUser) => ({
    name: u.username,
    username: u.username,
    creation_date: created,
    encryptedPassword: '',
    ...(u.email ? { email: u.email } : {}),
    ...(u.friendlyName ? { friendly_name: u.friendlyName } : {}),
    ...(u.externalId ? { external_id: u.externalId } : {}),
  });
  const page = (count: number) => ({ has_more: false, next_offset: '', results: count, max_per_page: 1000 });

  type Reply = { status: number; json?: unknown };
  const notFound: Reply = { status: 404, json: { message: 'not found' } };

  function answer(operationId: string, params: Record<string, string>, query: URLSearchParams): Reply {
    switch (operationId) {
      case 'healthCheck':
        return { status: 204 };
      case 'getVersion':
        return { status: 200, json: { version: VERSION } };
      case 'listUsers': {
        let found = [...users.values()];
        const externalId = query.get('external_id');
        if (externalId !== null) {
          counts.externalIdLookups += 1;
          externalIdsLookedUp.push(externalId);
          found = found.filter((u) => u.externalId === externalId);
        }
        const email = query.get('email');
        if (email !== null) found = found.filter((u) => u.email === email);
        // lakeFS asks for `amount=2` to be sure a lookup is unique.
        const amount = Number(query.get('amount') ?? 100);
        found.sort((a, b) => a.username.localeCompare(b.username));
        const results = found.slice(0, amount < 0 ? undefined : amount).map(asUser);
        return { status: 200, json: { pagination: page(results.length), results } };
      }
      case 'getUser': {
        counts.userLookups += 1;
        const user = users.get(params.userId);
        return user ? { status: 200, json: asUser(user) } : notFound;
      }
      case 'getCredentials':
        if (params.accessKeyId !== admin.accessKeyId) return notFound;
        return {
          status: 200,
          json: { access_key_id: admin.accessKeyId, secret_access_key: admin.secretAccessKey, creation_date: created, user_id: 0, user_name: admin.username },
        };
      case 'listUserPolicies': {
        // The admin may do anything; IdP users may read (list repositories, read their own user).
        if (!users.has(params.userId)) return notFound;
        const statement =
          params.userId === admin.username
            ? [{ effect: 'allow', resource: '*', action: ['*'] }]
            : [{ effect: 'allow', resource: '*', action: ['fs:Read*', 'fs:List*', 'auth:ReadUser', 'auth:ListCredentials'] }];
        const policy = { name: params.userId === admin.username ? 'FullAccess' : 'Reader', creation_date: created, statement };
        return { status: 200, json: { pagination: page(1), results: [policy] } };
      }
      default:
        violations.push(`lakeFS auth service stand-in: ${operationId} is not implemented (lakeFS called it: add it here, per authorization.yml)`);
        return { status: 501, json: { message: `${operationId} is not implemented by the lakeFS auth service stand-in` } };
    }
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const text = await readBody(req);
    const op = contract.operation(method, url.pathname);
    let reply: Reply;
    if (!op && method === 'GET' && url.pathname.endsWith('/auth/credentials/')) {
      // lakeFS itself asks for the empty access key when a client sends basic auth without one
      // (lakectl with no credentials): the contract's path cannot name it, and no key is "": 404.
      reply = notFound;
    } else if (!op) {
      violations.push(`${contract.title}: ${method} ${url.pathname}: no such operation in the contract`);
      reply = notFound;
    } else {
      let body: unknown;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          violations.push(`${contract.title}: ${method} ${url.pathname} request: body is not JSON`);
        }
      }
      violations.push(...contract.validateRequest(method, url.pathname, body, req.headers['content-type']));
      reply = answer(op.operationId, op.params, url.searchParams);
      const problems = contract.validateResponse(method, url.pathname, reply.status, reply.json, reply.json === undefined ? undefined : 'application/json');
      if (problems.length) {
        violations.push(...problems);
        reply = { status: 500, json: { message: `auth service stand-in broke its contract: ${problems.join('; ')}` } };
      }
    }
    if (reply.json === undefined) res.writeHead(reply.status).end();
    else res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.json));
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      violations.push(`auth service stand-in crashed: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'internal error' }));
    });
  });
  const listening = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${listening.port}/api/v1`,
    admin,
    counts,
    externalIdsLookedUp,
    violations,
    users,
    stop: () => listening.close(),
  };
}
