// `npm run demo`: the whole flow on one machine, with no identity provider of your own. Starts
// the test IdP (log in as alice@example.com with any password), MinIO with OpenID pointed at it,
// and the lakeFS + remote-authenticator stand-ins, then writes a ready `demo` profile into a
// private settings folder and AWS config. Secrets still go to your real OS keychain.
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createBucket, startMinio } from '../peers/minio.js';
import { startIdp } from '../peers/idp.js';
import { startAuthenticator } from '../peers/authenticator.js';
import { startLakefs } from '../peers/lakefs.js';
import { CLI, runCli } from '../helpers/cli.js';

export interface Demo {
  env: Record<string, string>;
  minioEndpoint: string;
  lakefsEndpoint: string;
  bucket: string;
  stop(): Promise<void>;
}

export async function startDemo(root = join(homedir(), '.cache', 'lakekey-demo')): Promise<Demo> {
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const idp = await startIdp();
  const minio = await startMinio({ issuer: idp.issuer, clientId: idp.clientId });
  const bucket = 'demo';
  await createBucket(minio, bucket);
  const auth = await startAuthenticator({ issuer: idp.issuer, clientId: idp.clientId });
  const lakefs = await startLakefs({ authenticatorUrl: auth.url });
  const env = { LAKEKEY_CONFIG_DIR: join(root, 'lakekey'), AWS_CONFIG_FILE: join(root, 'aws-config') };
  const cli = (args: string[]) => runCli(args, { env: { ...process.env, ...env } });
  const add = await cli([
    'profile',
    'add',
    'demo',
    '--issuer',
    idp.issuer,
    '--client-id',
    idp.clientId,
    '--s3-sts-endpoint',
    minio.endpoint,
    '--lakefs-endpoint',
    lakefs.endpoint,
    '--force',
  ]);
  if (add.code !== 0) throw new Error(`could not add the demo profile: ${add.stderr}`);
  const wire = await cli(['configure-aws', 'demo']);
  if (wire.code !== 0) throw new Error(`could not write the demo AWS config: ${wire.stderr}`);
  return {
    env,
    minioEndpoint: minio.endpoint,
    lakefsEndpoint: lakefs.endpoint,
    bucket,
    async stop() {
      await lakefs.stop();
      await auth.stop();
      await minio.stop();
      await idp.stop();
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const demo = await startDemo();
  const exports = Object.entries(demo.env)
    .map(([k, v]) => `export ${k}="${v}"`)
    .join('\n');
  process.stdout.write(`
lakekey demo is running: a test IdP, MinIO (bucket "${demo.bucket}") and a lakeFS stand-in on 127.0.0.1.
In another terminal:

${exports}
alias lakekey='"${CLI}"'
lakekey login demo                   # your browser opens: log in as alice@example.com, any password
lakekey status
aws s3 ls s3://${demo.bucket} --profile demo --endpoint-url ${demo.minioEndpoint}
lakekey token demo --lakefs          # a lakeFS bearer token
curl -H "Authorization: Bearer $(lakekey token demo --lakefs)" ${demo.lakefsEndpoint}/api/v1/user

Ctrl-C stops the demo.
`);
  const stop = () => void demo.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
