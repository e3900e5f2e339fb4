// Which installed AWS clients are new enough for what lakekey hands them: `endpoint_url` in an AWS
// profile (configure-aws) and AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (the credentials endpoint's
// token file, from the tray and `lakekey env NAME --server`). doctor asks the two clients it can
// ask cheaply — `aws --version` and python3's botocore — once per run, both at once, with a short
// bound; the rules below read what they said, so tests pass versions instead of spawning.
import { execFile } from 'node:child_process';

/** What the installed clients said, raw; absent when a client is missing, slow or unreadable. */
export interface InstalledClients {
  /** `aws --version`: "aws-cli/2.9.19 Python/3.11.2 Linux/6.1 …" or "aws-cli/1.30.0 … botocore/1.32.0". */
  aws?: string;
  /** `python3 -c 'import botocore; print(botocore.__version__)'`: "1.29.27". */
  botocore?: string;
}

/** A client's first version with a feature: AWS CLI v2 bundles its own botocore; v1 and boto3 follow botocore's. */
export interface Minimums {
  awsCliV2: string;
  botocore: string;
  /** What needs it, for the words ("endpoint_url", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"). */
  feature: string;
}

/** `endpoint_url` in a config profile: AWS CLI v2 2.13.0, botocore 1.31.0 (configured endpoints). */
export const ENDPOINT_URL: Minimums = { awsCliV2: '2.13.0', botocore: '1.31.0', feature: 'endpoint_url' };

/**
 * AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE in the container provider: botocore 1.32.0 (its
 * ContainerProvider, "Added Support for EKS container credentials"; AWS CLI v1 1.30.0 pins it),
 * AWS CLI v2 2.15.0 (its bundled botocore got the same change). Older ones read only
 * AWS_CONTAINER_AUTHORIZATION_TOKEN.
 */
export const TOKEN_FILE: Minimums = { awsCliV2: '2.15.0', botocore: '1.32.0', feature: 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE' };

/** The installed clients too old for a feature, each said with what it is ("the AWS CLI on PATH (aws-cli/2.9.19)"). */
export function tooOld(clients: InstalledClients, min: Minimums): string[] {
  const old: string[] = [];
  // "aws-cli/2.9.19 Python/3.11.2 Linux/6.1 source/x86_64.debian.12" or "aws-cli/1.36.0 Python/3.11 Linux/6.1 botocore/1.35.0"
  const cli = /aws-cli\/(\d+(?:\.\d+)*)\S*(?:.*botocore\/(\d+(?:\.\d+)*))?/.exec(clients.aws ?? '');
  if (cli) {
    const v2 = cli[1].startsWith('2.');
    if (v2 ? older(cli[1], min.awsCliV2) : cli[2] !== undefined && older(cli[2], min.botocore)) old.push(`the AWS CLI on PATH (${cli[0].split(' ')[0]})`);
  }
  const botocore = botocoreVersion(clients);
  if (botocore && older(botocore, min.botocore)) old.push(`python3's botocore ${botocore} (boto3, s3fs)`);
  return old;
}

/** The installed clients that were found and are new enough, said briefly ("AWS CLI 2.15.3", "python3's botocore 1.34.50"). */
export function newEnough(clients: InstalledClients, min: Minimums): string[] {
  const found: string[] = [];
  const cli = /aws-cli\/(\d+(?:\.\d+)*)/.exec(clients.aws ?? '');
  const old = tooOld(clients, min);
  if (cli && !old.some((o) => o.startsWith('the AWS CLI'))) found.push(`AWS CLI ${cli[1]}`);
  const botocore = botocoreVersion(clients);
  if (botocore && !old.some((o) => o.startsWith("python3's botocore"))) found.push(`python3's botocore ${botocore}`);
  return found;
}

/** The dotted version python3 printed for botocore, and nothing else it printed. */
function botocoreVersion(clients: InstalledClients): string | undefined {
  return /^\d+\.\d+(?:\.\d+)*/.exec(clients.botocore?.trim() ?? '')?.[0];
}

/** Whether dotted version `v` comes before `min` (missing parts count as 0). */
export function older(v: string, min: string): boolean {
  const a = v.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const b = min.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return false;
}

/** Asks `aws` and `python3` at once, each bounded by `timeoutMs`; a client missing or too slow is left out. */
export async function installedClients(timeoutMs = 5000): Promise<InstalledClients> {
  const [aws, botocore] = await Promise.all([
    say('aws', ['--version'], timeoutMs),
    say('python3', ['-c', 'import botocore; print(botocore.__version__)'], timeoutMs),
  ]);
  return { ...(aws ? { aws } : {}), ...(botocore ? { botocore } : {}) };
}

function say(cmd: string, args: string[], timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    // AWS CLI v1 printed its version on stderr once; take whichever stream has it.
    execFile(cmd, args, { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const text = `${stdout ?? ''}`.trim() || `${stderr ?? ''}`.trim();
      resolve(err || !text ? undefined : text.split('\n')[0]);
    });
  });
}
