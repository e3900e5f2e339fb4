// Test peer: a real Keycloak (keycloak-quarkus-dist from Maven Central, unpacked once by
// scripts/setup-keycloak.sh) in dev mode on loopback, with a realm, a public PKCE-required client
// and a user created through its admin REST API — the settings README's Keycloak section names.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../helpers/cli.js';
import { freePort } from '../helpers/peer-process.js';

export const KEYCLOAK_VERSION = '26.4.7';

export function keycloakHome(): string {
  // The test harness swaps HOME for a temporary one; it passes the real cache folder on.
  const cache = process.env.LAKEKEY_TEST_CACHE || join(homedir(), '.cache', 'lakekey-test');
  return join(cache, `keycloak-${KEYCLOAK_VERSION}`);
}

/** Runs scripts/setup-keycloak.sh (a no-op once cached); throws with its output when it fails. */
export function ensureKeycloak(): string {
  const home = keycloakHome();
  const setup = spawnSync('bash', [join(REPO, 'scripts', 'setup-keycloak.sh')], {
    encoding: 'utf8',
    timeout: 20 * 60_000,
  });
  if (setup.status !== 0 || !existsSync(join(home, 'bin', 'kc.sh'))) {
    throw new Error(
      `Keycloak ${KEYCLOAK_VERSION} is missing at ${home} and scripts/setup-keycloak.sh could not fetch it (exit ${setup.status ?? setup.signal}):\n${setup.stdout}${setup.stderr}`,
    );
  }
  return home;
}

export interface Keycloak {
  /** http://127.0.0.1:PORT */
  base: string;
  /** The realm's issuer, no trailing slash. */
  issuer: string;
  clientId: string;
  username: string;
  password: string;
  email: string;
  /** Seconds from spawn to a ready realm endpoint, for the report. */
  startSeconds: number;
  /** Everything Keycloak printed (for failure messages). */
  output(): string;
  /** An admin access token for the master realm. */
  adminToken(): Promise<string>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 8 * 60_000;
const ADMIN_USER = 'kcadmin';
const ADMIN_PASSWORD = 'kcadmin-test-only';

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const kill = setTimeout(() => {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, 20_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    // kc.sh execs java in its own process group (detached): signal the group.
    if (child.pid) process.kill(-child.pid, 'SIGTERM');
  });
}

async function call(url: string, init: RequestInit & { token?: string; ok?: number[] }): Promise<Response> {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(url, { ...init, headers, signal: AbortSignal.timeout(60_000) });
  if (!(init.ok ?? [200, 201, 204]).includes(res.status)) {
    throw new Error(`Keycloak ${init.method ?? 'GET'} ${new URL(url).pathname}: HTTP ${res.status} ${await res.text()}`);
  }
  return res;
}

/**
 * Starts Keycloak in dev mode (in-memory database) on a free loopback port, waits for it (first
 * start 1–5 min on 2 cores; deadline 8 min), and creates realm `lakekey` with public client
 * `lakekey` and user `alice`.
 */
export async function startKeycloak(): Promise<Keycloak> {
  const home = ensureKeycloak();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  const child = spawn(
    join(home, 'bin', 'kc.sh'),
    ['start-dev', '--http-host=127.0.0.1', `--http-port=${port}`, '--db=dev-mem', '--health-enabled=false', '--metrics-enabled=false'],
    {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME,
        KC_BOOTSTRAP_ADMIN_USERNAME: ADMIN_USER,
        KC_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
        // Keep the JVM modest on a shared 2-core machine.
        JAVA_OPTS_KC_HEAP: '-XX:MaxRAMPercentage=25 -XX:InitialRAMPercentage=5',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let output = '';
  const keep = (d: Buffer) => {
    output += d.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = () => stopChild(child);

  const deadline = t0 + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Keycloak exited during start (${child.exitCode ?? child.signalCode}):\n${output.slice(-4000)}`);
    }
    try {
      const res = await fetch(`${base}/realms/master/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5_000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Keycloak did not answer within ${START_TIMEOUT_MS / 60_000} min:\n${output.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  const startSeconds = Math.round((Date.now() - t0) / 1000);

  const adminToken = async () => {
    const res = await call(`${base}/realms/master/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', client_id: 'admin-cli', username: ADMIN_USER, password: ADMIN_PASSWORD }).toString(),
    });
    return ((await res.json()) as { access_token: string }).access_token;
  };

  const realm = 'lakekey';
  const clientId = 'lakekey';
  const username = 'alice';
  const password = 'alice-test-password';
  const email = 'alice@example.com';
  try {
    const token = await adminToken();
    const json = { 'content-type': 'application/json' };
    await call(`${base}/admin/realms`, {
      method: 'POST',
      token,
      headers: json,
      body: JSON.stringify({
        realm,
        enabled: true,
        // Rotation that matters: a refresh token works once, then the new one must be used.
        revokeRefreshToken: true,
        refreshTokenMaxReuse: 0,
        clients: [
          {
            clientId,
            name: 'lakekey',
            enabled: true,
            protocol: 'openid-connect',
            publicClient: true,
            standardFlowEnabled: true,
            implicitFlowEnabled: false,
            directAccessGrantsEnabled: false,
            serviceAccountsEnabled: false,
            redirectUris: ['http://127.0.0.1/callback'],
            webOrigins: [],
            attributes: {
              'pkce.code.challenge.method': 'S256',
              'oauth2.device.authorization.grant.enabled': 'true',
              'use.refresh.tokens': 'true',
            },
            protocolMappers: [
              {
                // MinIO's claim mode (MINIO_IDENTITY_OPENID_CLAIM_NAME=policy): the policy to attach.
                name: 'minio-policy',
                protocol: 'openid-connect',
                protocolMapper: 'oidc-hardcoded-claim-mapper',
                config: {
                  'claim.name': 'policy',
                  'claim.value': 'readwrite',
                  'jsonType.label': 'String',
                  'id.token.claim': 'true',
                  'access.token.claim': 'true',
                  'userinfo.token.claim': 'true',
                },
              },
            ],
          },
        ],
      }),
    });
    // A user created on its own (as an admin would) gets the realm's default roles, offline_access among them.
    await call(`${base}/admin/realms/${realm}/users`, {
      method: 'POST',
      token,
      headers: json,
      body: JSON.stringify({
        username,
        email,
        emailVerified: true,
        firstName: 'Alice',
        lastName: 'Example',
        enabled: true,
        credentials: [{ type: 'password', value: password, temporary: false }],
      }),
    });
  } catch (err) {
    await stop();
    throw new Error(`setting up the Keycloak realm failed: ${(err as Error).message}\n${output.slice(-4000)}`);
  }

  return {
    base,
    issuer: `${base}/realms/${realm}`,
    clientId,
    username,
    password,
    email,
    startSeconds,
    output: () => output,
    adminToken,
    stop,
  };
}
