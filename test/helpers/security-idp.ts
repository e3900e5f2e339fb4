// DELIBERATELY MISCONFIGURED IDENTITY PROVIDER — FOR NEGATIVE TESTS ONLY.
//
// A minimal, hand-written OpenID Provider (discovery, JWKS, an authorize endpoint that redirects
// straight back with a code, a token endpoint) whose ID tokens can be broken on purpose: wrong
// `aud`/`iss`, expired, bad or missing nonce, a signature by another key, `alg: none`, an HMAC
// "signed" with the public key, an unknown `kid`, another subject. It exists so that the
// security suites can prove lakekey refuses such tokens. It checks PKCE (S256) and the
// redirect URI like a real provider so that the *only* defect is the one a test selects.
// Never use it as an identity provider for anything else.
//
// Also here: a fake STS that hands out well-formed AssumeRoleWithWebIdentity answers, so a
// profile with S3 settings can log in against this IdP without MinIO.
import { createHash, createHmac, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import { listenOnLoopback } from './loopback-server.js';

/** What is wrong with the ID tokens the provider issues. */
export type TokenFault =
  | 'none' // a correct token (the positive control)
  | 'wrong-aud'
  | 'wrong-iss'
  | 'expired'
  | 'bad-nonce'
  | 'missing-nonce'
  | 'bad-signature' // signed with another key, same kid
  | 'alg-none' // unsigned, header alg "none"
  | 'alg-hs256' // HMAC keyed with the public key (algorithm confusion)
  | 'unknown-kid' // signed with a key that is not in the JWKS
  | 'other-sub' // a valid token for another subject (only meaningful on refresh)
  | 'no-id-token'; // the response carries no id_token at all

export const ID_TOKEN_FAULTS: TokenFault[] = [
  'wrong-aud',
  'wrong-iss',
  'expired',
  'bad-nonce',
  'missing-nonce',
  'bad-signature',
  'alg-none',
  'alg-hs256',
  'unknown-kid',
];

export interface SecurityIdpOptions {
  clientId?: string;
  /** Also advertise "none" in id_token_signing_alg_values_supported (a misconfigured discovery). */
  advertiseAlgNone?: boolean;
  /** Put this value in the discovery document's `issuer` instead of the real one. */
  discoveryIssuer?: string;
}

export interface SecurityIdpCounts {
  authorizations: number;
  /** Token-endpoint requests, answered or not. */
  codeGrants: number;
  refreshGrants: number;
}

export interface SecurityIdp {
  issuer: string;
  clientId: string;
  counts: SecurityIdpCounts;
  /** The fault applied to ID tokens from the code grant. */
  codeFault: TokenFault;
  /** The fault applied to ID tokens from the refresh grant. */
  refreshFault: TokenFault;
  /** Whether the refresh grant hands out a new refresh token (rotation). */
  rotateRefreshTokens: boolean;
  subject: string;
  stop(): Promise<void>;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string | undefined;
  scope: string;
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

function rsaKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

export async function startSecurityIdp(opts: SecurityIdpOptions = {}): Promise<SecurityIdp> {
  const clientId = opts.clientId ?? 'lakekey';
  const good = rsaKey();
  const rogue = rsaKey();
  const kid = 'sec-test-rs256';
  const codes = new Map<string, PendingCode>();
  const refreshTokens = new Map<string, { scope: string }>();

  const server = http.createServer();
  const listening = await listenOnLoopback(server);
  const { port } = listening;
  const issuer = `http://127.0.0.1:${port}`;

  const idp: SecurityIdp = {
    issuer,
    clientId,
    counts: { authorizations: 0, codeGrants: 0, refreshGrants: 0 },
    codeFault: 'none',
    refreshFault: 'none',
    rotateRefreshTokens: false,
    subject: 'mallory-test-subject',
    stop: () => listening.close(),
  };

  function idToken(fault: TokenFault, nonce: string | undefined): string | undefined {
    if (fault === 'no-id-token') return undefined;
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: fault === 'wrong-iss' ? 'http://evil.example' : issuer,
      sub: fault === 'other-sub' ? 'someone-else' : idp.subject,
      aud: fault === 'wrong-aud' ? 'another-client' : clientId,
      iat: fault === 'expired' ? now - 7200 : now,
      exp: fault === 'expired' ? now - 3600 : now + 3600,
      email: fault === 'other-sub' ? 'someone-else@example.com' : 'mallory@example.com',
    };
    if (fault === 'bad-nonce') claims.nonce = 'not-the-nonce-you-sent';
    else if (fault !== 'missing-nonce' && nonce !== undefined) claims.nonce = nonce;
    const alg = fault === 'alg-none' ? 'none' : fault === 'alg-hs256' ? 'HS256' : 'RS256';
    const header = { alg, typ: 'JWT', kid: fault === 'unknown-kid' ? 'no-such-key' : kid };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    if (fault === 'alg-none') return `${input}.`;
    if (fault === 'alg-hs256') {
      const secret = good.publicKey.export({ format: 'pem', type: 'spki' });
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    }
    const key = fault === 'bad-signature' || fault === 'unknown-kid' ? rogue.privateKey : good.privateKey;
    return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
  }

  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', issuer);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
        return json(res, 200, {
          issuer: opts.discoveryIssuer ?? issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          grant_types_supported: ['authorization_code', 'refresh_token'],
          id_token_signing_alg_values_supported: opts.advertiseAlgNone ? ['RS256', 'none'] : ['RS256'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['none'],
          authorization_response_iss_parameter_supported: true,
          scopes_supported: ['openid', 'email', 'profile', 'offline_access'],
        });
      }
      if (req.method === 'GET' && url.pathname === '/jwks') {
        return json(res, 200, { keys: [{ ...good.publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] });
      }
      if (req.method === 'GET' && url.pathname === '/authorize') {
        idp.counts.authorizations += 1;
        const p = url.searchParams;
        const redirectUri = p.get('redirect_uri') ?? '';
        let redirect: URL;
        try {
          redirect = new URL(redirectUri);
        } catch {
          return json(res, 400, { error: 'invalid_request', error_description: 'bad redirect_uri' });
        }
        if (p.get('client_id') !== clientId || redirect.hostname !== '127.0.0.1' || redirect.pathname !== '/callback') {
          return json(res, 400, { error: 'invalid_request', error_description: 'unknown client or redirect_uri' });
        }
        if (p.get('response_type') !== 'code' || p.get('code_challenge_method') !== 'S256' || !p.get('code_challenge')) {
          return json(res, 400, { error: 'invalid_request', error_description: 'PKCE S256 required' });
        }
        const code = randomBytes(24).toString('base64url');
        codes.set(code, {
          clientId,
          redirectUri,
          challenge: p.get('code_challenge')!,
          nonce: p.get('nonce') ?? undefined,
          scope: p.get('scope') ?? 'openid',
        });
        redirect.searchParams.set('code', code);
        if (p.get('state') !== null) redirect.searchParams.set('state', p.get('state')!);
        redirect.searchParams.set('iss', issuer);
        res.writeHead(302, { location: redirect.href, 'cache-control': 'no-store' });
        return void res.end();
      }
      if (req.method === 'POST' && url.pathname === '/token') {
        const grant = form.get('grant_type');
        if (form.get('client_id') !== clientId) return json(res, 401, { error: 'invalid_client' });
        if (grant === 'authorization_code') {
          idp.counts.codeGrants += 1;
          const pending = codes.get(form.get('code') ?? '');
          codes.delete(form.get('code') ?? '');
          const verifier = form.get('code_verifier') ?? '';
          if (!pending || pending.redirectUri !== form.get('redirect_uri')) return json(res, 400, { error: 'invalid_grant' });
          if (createHash('sha256').update(verifier).digest('base64url') !== pending.challenge)
            return json(res, 400, { error: 'invalid_grant', error_description: 'PKCE' });
          const refresh = randomBytes(24).toString('base64url');
          refreshTokens.set(refresh, { scope: pending.scope });
          return json(res, 200, {
            access_token: randomBytes(24).toString('base64url'),
            token_type: 'Bearer',
            expires_in: 3600,
            scope: pending.scope,
            refresh_token: refresh,
            ...(idp.codeFault === 'no-id-token' ? {} : { id_token: idToken(idp.codeFault, pending.nonce) }),
          });
        }
        if (grant === 'refresh_token') {
          idp.counts.refreshGrants += 1;
          const old = form.get('refresh_token') ?? '';
          const known = refreshTokens.get(old);
          if (!known) return json(res, 400, { error: 'invalid_grant' });
          let next = old;
          if (idp.rotateRefreshTokens) {
            refreshTokens.delete(old);
            next = randomBytes(24).toString('base64url');
            refreshTokens.set(next, known);
          }
          return json(res, 200, {
            access_token: randomBytes(24).toString('base64url'),
            token_type: 'Bearer',
            expires_in: 3600,
            scope: known.scope,
            refresh_token: next,
            ...(idp.refreshFault === 'no-id-token' ? {} : { id_token: idToken(idp.refreshFault, undefined) }),
          });
        }
        return json(res, 400, { error: 'unsupported_grant_type' });
      }
      json(res, 404, { error: 'not_found' });
    });
  });
  return idp;
}

export interface FakeSts {
  url: string;
  /** AssumeRoleWithWebIdentity calls answered. */
  calls: number;
  stop(): Promise<void>;
}

/** A fake STS that answers every AssumeRoleWithWebIdentity with fresh one-hour credentials. */
export async function startFakeSts(): Promise<FakeSts> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      sts.calls += 1;
      const expires = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const body =
        '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>' +
        `<Credentials><AccessKeyId>ASIAFAKE${randomBytes(6).toString('hex').toUpperCase()}</AccessKeyId>` +
        `<SecretAccessKey>${randomBytes(20).toString('base64url')}</SecretAccessKey>` +
        `<SessionToken>${randomBytes(32).toString('base64url')}</SessionToken><Expiration>${expires}</Expiration></Credentials>` +
        '<SubjectFromWebIdentityToken>x</SubjectFromWebIdentityToken></AssumeRoleWithWebIdentityResult>' +
        '<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>';
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(body);
    });
  });
  const listening = await listenOnLoopback(server);
  const sts: FakeSts = {
    url: `http://127.0.0.1:${listening.port}`,
    calls: 0,
    stop: () => listening.close(),
  };
  return sts;
}
