// STS AssumeRoleWithWebIdentity against AWS, MinIO or lakeFS, through @aws-sdk/client-sts.
// The SDK sends this operation unsigned (its auth scheme is smithy.api#noAuth), which MinIO
// requires: a signed request is routed to AssumeRole. DurationSeconds is always sent, or
// MinIO ties the credentials' expiry to the web identity token's.
import { LakekeyError } from '../errors.js';
import { unreachableWords } from '../net/network-words.js';
import { plausibleExpiry, type S3Credentials } from '../keychain/record.js';
import { requireShape } from './credential-shape.js';
import { registerSecret } from '../redact.js';
import { outside } from '../text-gate.js';
import type { ProxyResolver } from '../ports.js';

export interface StsRequest {
  endpoint: string;
  region: string;
  roleArn?: string;
  webIdentityToken: string;
  sessionName: string;
  durationSeconds: number;
}

export function defaultStsEndpoint(region: string): string {
  return `https://sts.${region}.amazonaws.com`;
}

/** The Context's ports STS calls use (the AWS SDK sends through node:http, not our fetch). */
export interface StsHttp {
  timeoutMs: number;
  proxy: ProxyResolver;
  secrets?: { register(value: string | undefined | null): void };
}

export async function assumeRoleWithWebIdentity(req: StsRequest, what: string, http: StsHttp): Promise<S3Credentials> {
  const { STSClient, AssumeRoleWithWebIdentityCommand } = await import('@aws-sdk/client-sts');
  const { proxyAgentsFor } = await import('../net/proxy.js');
  const timeoutMs = http.timeoutMs;
  const sts = new STSClient({
    region: req.region,
    endpoint: req.endpoint,
    maxAttempts: 2,
    requestHandler: {
      connectionTimeout: Math.min(5_000, timeoutMs),
      // Without throwOnRequestTimeout the handler only logs a warning and waits forever.
      requestTimeout: timeoutMs,
      throwOnRequestTimeout: true,
      socketTimeout: timeoutMs,
      ...(await proxyAgentsFor(req.endpoint, http.proxy)),
    },
  });
  // A timer that holds the process open and bounds both attempts, whatever the handler does.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException(`no answer within ${Math.round((2 * timeoutMs) / 1000)} s`, 'TimeoutError')), 2 * timeoutMs);
  try {
    const out = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        // MinIO's claim-based mode takes no role; the SDK leaves an undefined field out.
        RoleArn: req.roleArn as string,
        WebIdentityToken: req.webIdentityToken,
        RoleSessionName: req.sessionName,
        DurationSeconds: req.durationSeconds,
      }),
      { abortSignal: deadline.signal },
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration || !plausibleExpiry(c.Expiration.getTime())) {
      throw new LakekeyError('STS_REFUSED', `${what} answered without complete credentials`, {
        hint: `Check the STS endpoint ${req.endpoint}.`,
      });
    }
    const registry = http?.secrets;
    const secret = (value: string) => (registry ? registry.register(value) : registerSecret(value));
    secret(c.AccessKeyId);
    secret(c.SecretAccessKey);
    secret(c.SessionToken);
    // These go into shells (`lakekey env`) and AWS config: only their own alphabets pass.
    const from = `${what} at ${req.endpoint}`;
    requireShape('access-key-id', c.AccessKeyId, from, 'access key id', 'STS_REFUSED');
    requireShape('secret-access-key', c.SecretAccessKey, from, 'secret access key', 'STS_REFUSED');
    requireShape('session-token', c.SessionToken, from, 'session token', 'STS_REFUSED');
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiresAt: c.Expiration.getTime(),
    };
  } catch (err) {
    throw stsError(err, req.endpoint, what);
  } finally {
    clearTimeout(timer);
    sts.destroy();
  }
}

function stsError(err: unknown, endpoint: string, what: string): LakekeyError {
  if (err instanceof LakekeyError) return err;
  const unreachable = unreachableWords(err, endpoint, 'STS service');
  if (unreachable)
    return new LakekeyError('STS_UNREACHABLE', `${what} at ${endpoint} is unreachable: ${unreachable.reason}`, { hint: unreachable.fix, cause: err });
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; $response?: { statusCode?: number } };
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  if (status !== undefined && status >= 500) {
    return new LakekeyError('STS_REFUSED', `${what} at ${endpoint} failed (HTTP ${status})`, {
      hint: 'This is a problem at the STS service, not in your setup: your session is kept; retry in a few minutes.',
      cause: err,
    });
  }
  // The SDK's deserialization errors run to several lines; the first says what happened.
  const firstLine = (e.message ?? '').split('\n')[0];
  const detail = `${e.name ?? 'error'}${status ? ` (HTTP ${status})` : ''}: ${firstLine}`;
  return new LakekeyError('STS_REFUSED', `${what} at ${endpoint} refused the request: ${outside(detail)}`, {
    hint: "Check the profile's role ARN and that the role trusts your identity provider; `lakekey doctor NAME` checks the wiring.",
    cause: err,
  });
}
