// The `lakekey` command table: every command once, as data — its name, what it does, its
// arguments, its flags (typed, described) and an example. Parsing (args.ts), per-command help,
// the overview, shell completion and did-you-mean are all derived from this table, so they
// cannot disagree with each other (nor with README's command section: a test compares them).
// Data only: no imports, so completion and help load nothing else.

export interface FlagSpec {
  name: string;
  type: 'string' | 'boolean';
  /** The value's placeholder in usage lines ("URL", "SECONDS"). */
  value?: string;
  /** The only values the flag takes (also what completion offers). */
  choices?: readonly string[];
  multiple?: boolean;
  required?: boolean;
  help: string;
}

export interface CommandSpec {
  /** "login", or "profile add" for a subcommand. */
  name: string;
  summary: string;
  /** Positional arguments as usage shows them ("NAME", "[NAME]"). */
  args: readonly string[];
  min: number;
  max: number;
  /** The first argument is a lakekey profile name (completion offers the profiles). */
  takesProfile?: boolean;
  /** Words after `--` are another command's (exec). */
  passthrough?: string;
  /** Usage alternatives that a single line cannot say ("status --check NAME"). */
  alsoUsage?: readonly string[];
  flags: readonly FlagSpec[];
  /** More words for the help page (defaults, caveats). */
  details?: string;
  example: string;
}

const json: FlagSpec = { name: 'json', type: 'boolean', help: 'print JSON on stdout (for scripts)' };
const format: FlagSpec = {
  name: 'format',
  type: 'string',
  value: 'sh|fish|powershell|json',
  choices: ['sh', 'fish', 'powershell', 'json'],
  help: 'the shell to write for (default sh)',
};
const server = (help: string): FlagSpec => ({ name: 'server', type: 'boolean', help });

/** The profile fields as flags: `profile add` takes them all, `profile set` changes any of them. */
const profileFields: readonly FlagSpec[] = [
  { name: 'issuer', type: 'string', value: 'URL', help: 'the OpenID issuer URL of your identity provider' },
  { name: 'client-id', type: 'string', value: 'ID', help: 'the client id your identity provider gave lakekey' },
  {
    name: 'client-secret',
    type: 'string',
    value: '-|SECRET',
    help: 'a client secret the IdP requires (Google); `-` reads it from stdin; kept in the keychain',
  },
  { name: 'scope', type: 'string', value: 'S', multiple: true, help: 'a scope to request (repeat it; default: openid email profile offline_access)' },
  { name: 'redirect-port', type: 'string', value: 'N', help: 'fixed loopback port for the login redirect (default: any free port)' },
  { name: 's3-sts-endpoint', type: 'string', value: 'URL', help: 'STS endpoint (MinIO: its URL; default: AWS STS of the region)' },
  { name: 's3-endpoint', type: 'string', value: 'URL', help: 'S3 API endpoint handed to tools, if not the STS endpoint' },
  { name: 's3-region', type: 'string', value: 'R', help: 'region (default us-east-1)' },
  { name: 's3-role-arn', type: 'string', value: 'ARN', help: 'role to assume: arn:aws:iam::ACCOUNT:role/NAME, or the arn:minio:iam:::role/… MinIO prints' },
  { name: 's3-duration', type: 'string', value: 'SECONDS', help: 'lifetime of S3 credentials, 900 to 43200 (default 3600)' },
  {
    name: 's3-token-source',
    type: 'string',
    value: 'idp|lakefs',
    choices: ['idp', 'lakefs'],
    help: "what STS is given: the IdP's ID token, or the lakeFS token (S3 through lakeFS)",
  },
  {
    name: 's3-session-name',
    type: 'string',
    value: 'TEMPLATE',
    help: 'the STS role session name, from claims of the token STS is given: "{email}", "{preferred_username}", "lakekey-{sub}" (default: the email, else the subject); with --s3-token-source lakefs only {sub}, the lakeFS username. Cut to STS\'s rules: 2-64 characters of letters, digits and _+=,.@-, others become "-"',
  },
  { name: 'lakefs-endpoint', type: 'string', value: 'URL', help: 'lakeFS server URL' },
  { name: 'lakefs-ttl', type: 'string', value: 'SECONDS', help: 'lifetime of lakeFS tokens, 60 to 43200 (default 3600)' },
  { name: 'lakectl-cache', type: 'boolean', help: "also write the lakeFS token to lakectl's PLAINTEXT cache file" },
  {
    name: 'endpoint',
    type: 'boolean',
    help: 'the tray serves the S3 credentials from its local credentials endpoint, for `lakekey env NAME --server` (needs S3 settings)',
  },
  {
    name: 'browser',
    type: 'string',
    value: 'CMD',
    help: 'the browser this profile logs in with: firefox, chromium, chrome, google-chrome, edge or brave, with arguments if you like ("chrome --profile-directory=Work"), or a command with {url} where the page goes ("flatpak run org.mozilla.firefox {url}"); run without a shell. Default: LAKEKEY_BROWSER, else the system browser',
  },
  {
    name: 'refresh-before',
    type: 'string',
    value: 'SECONDS',
    help: 'renew credentials this long before they expire, 60 to 43200, shorter than --s3-duration (default 1200, or a third of --s3-duration when that is shorter)',
  },
];

/** The fields a profile cannot be without: `profile add` requires them, `profile set --unset` refuses them. */
const requiredFields: readonly string[] = ['issuer', 'client-id'];

/** What `profile set --unset` takes: each optional field by its flag's name, and the S3 and lakeFS parts whole. */
const unsettable: readonly string[] = [...profileFields.map((f) => f.name).filter((n) => !requiredFields.includes(n)), 's3', 'lakefs'];

/** `env` and `exec`: which half of a profile with S3 and lakeFS to hand over (README: "Profiles with S3 and lakeFS"). */
const halves: readonly FlagSpec[] = [
  { name: 's3', type: 'boolean', help: 'hand over only the S3 credentials; only they must be valid (renewed if needed)' },
  { name: 'lakefs', type: 'boolean', help: 'hand over only the lakeFS token; only it must be valid (a browser login renews it)' },
];

const halvesRule =
  'On a profile with S3 and lakeFS, --s3 or --lakefs picks a half, and only that half must be valid (both flags: both must). Without either, each half that can be is handed over: S3 renewed as credential-process renews it, an expired lakeFS token renewed by a browser login only when the run was started at a terminal. One line on stderr says what was left out and how to get it; the exit is non-zero only when nothing can be handed over.';

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'profile add',
    summary: 'add a profile: your identity provider, and S3 and/or lakeFS',
    args: ['NAME'],
    min: 1,
    max: 1,
    flags: [
      ...profileFields.map((f) => (requiredFields.includes(f.name) ? { ...f, required: true } : f)),
      { name: 'force', type: 'boolean', help: 'replace a profile of that name' },
    ],
    details: 'A profile with neither S3 nor lakeFS settings can log in (to check the IdP) but hands out nothing; add them later with `lakekey profile set`.',
    example: 'lakekey profile add work --issuer https://idp.example.com --client-id lakekey --s3-role-arn arn:aws:iam::123456789012:role/data',
  },
  {
    name: 'profile set',
    summary: 'change some fields of a profile, keeping the others',
    args: ['NAME'],
    min: 1,
    max: 1,
    takesProfile: true,
    flags: [
      ...profileFields,
      { name: 'no-lakectl-cache', type: 'boolean', help: "stop writing lakectl's plaintext cache file" },
      { name: 'no-endpoint', type: 'boolean', help: 'the tray stops serving the profile from its credentials endpoint' },
      {
        name: 'unset',
        type: 'string',
        value: 'FIELD',
        multiple: true,
        choices: unsettable,
        help: 'clear an optional field, named as its flag without dashes (s3-role-arn); its default applies again. s3 or lakefs clears that whole part. Repeat it for more',
      },
    ],
    details:
      "Works on a profile whose settings are broken (a hand-edited value, an older version's settings): the change is applied, and the result is saved when it is valid.",
    example: 'lakekey profile set work --s3-duration 7200 --unset s3-role-arn',
  },
  {
    name: 'profile list',
    summary: 'list the profiles',
    args: [],
    min: 0,
    max: 0,
    flags: [json],
    example: 'lakekey profile list --json',
  },
  {
    name: 'profile show',
    summary: "show one profile's settings (never a secret)",
    args: ['NAME'],
    min: 1,
    max: 1,
    takesProfile: true,
    flags: [json],
    example: 'lakekey profile show work',
  },
  {
    name: 'profile remove',
    summary: 'remove a profile, its keychain item and what configure-aws wrote for it in the AWS config',
    args: ['NAME'],
    min: 1,
    max: 1,
    takesProfile: true,
    flags: [{ name: 'keep-aws-config', type: 'boolean', help: 'leave what configure-aws wrote in the AWS config file' }],
    details: 'Only sections whose credential_process runs lakekey for this profile are removed; the file is backed up first.',
    example: 'lakekey profile remove work',
  },
  {
    name: 'profile import',
    summary: "add the profiles of a team's settings file (never secrets)",
    args: ['FILE'],
    min: 1,
    max: 1,
    flags: [
      { name: 'dry-run', type: 'boolean', help: 'print what would change and write nothing' },
      { name: 'force', type: 'boolean', help: 'replace your profiles that differ from the file' },
    ],
    details:
      'FILE has the settings file\'s shape, { "profiles": { "NAME": { "issuer": …, "clientId": …, "s3": {…}, "lakefs": {…} } } }, as JSON (or YAML: .yaml, .yml). Every profile is validated first, and nothing is written unless all are valid; a field that looks like a secret is refused. The plan is printed (+ new, = the same, ~ differs, field by field); new profiles are added, yours that differ are kept unless --force.',
    example: 'lakekey profile import team-profiles.json --dry-run',
  },
  {
    name: 'login',
    summary: 'log in through your identity provider in the browser',
    args: ['NAME'],
    min: 1,
    max: 1,
    takesProfile: true,
    flags: [
      { name: 'no-browser', type: 'boolean', help: 'print a local link to open instead of starting a browser' },
      { name: 'device', type: 'boolean', help: 'log in on another device with a code (SSH, no desktop)' },
      { name: 'timeout', type: 'string', value: 'SECONDS', help: 'how long to wait for the login, 10 to 3600 (default 300)' },
      {
        name: 'select-account',
        type: 'boolean',
        help: "log in as another account: the IdP lets you choose one (OIDC prompt=select_account) instead of reusing the browser's sign-in, or asks you to sign in again (prompt=login) where it offers no account choice",
      },
      { name: 'login-hint', type: 'string', value: 'USER', help: 'the account the IdP should offer or fill in (OIDC login_hint), such as your email' },
    ],
    details:
      "A login that signs in another user than the stored session's replaces that session: the previous user is logged out first (the refresh token revoked where the IdP offers it), and lakekey says so.",
    example: 'lakekey login work --select-account --login-hint bob@example.com',
  },
  {
    name: 'logout',
    summary: "forget the profile's secrets and end its sign-in (for every profile sharing it); revoke the refresh token where the IdP offers it, and say which",
    args: ['NAME'],
    min: 1,
    max: 1,
    takesProfile: true,
    flags: [json],
    example: 'lakekey logout work',
  },
  {
    name: 'status',
    summary: 'who is logged in (and which profiles share a sign-in), and how long each credential stays valid',
    args: ['[NAME]'],
    min: 0,
    max: 1,
    takesProfile: true,
    alsoUsage: ['lakekey status --check NAME [--s3 | --lakefs]'],
    flags: [
      json,
      {
        name: 'check',
        type: 'boolean',
        help: 'for scripts: exit 0 if credentials need no person, 3 if a login is needed (with --s3 or --lakefs: that half only)',
      },
      ...halves,
    ],
    example: 'lakekey status --check work || lakekey login work',
  },
  {
    name: 'lakectl-login',
    summary: "lakectl's login: log in the lakeFS profile of lakectl's server and leave the token in lakectl's token cache",
    args: [],
    min: 0,
    max: 0,
    alsoUsage: ['lakectl login [--profile NAME] [--config FILE] [--no-browser] [--timeout SECONDS]'],
    flags: [
      { name: 'profile', type: 'string', value: 'NAME', help: "the lakekey profile to log in (default: the one whose lakeFS endpoint is lakectl's server)" },
      {
        name: 'config',
        type: 'string',
        value: 'FILE',
        help: "lakectl's configuration file (default: LAKECTL_CONFIG_FILE, else ~/.lakectl.yaml); lakectl does not pass its own --config to a plugin",
      },
      { name: 'no-browser', type: 'boolean', help: 'print a local link to open instead of starting a browser' },
      { name: 'timeout', type: 'string', value: 'SECONDS', help: 'how long to wait for the login, 10 to 3600 (default 300)' },
    ],
    details:
      "Link lakekey onto PATH as `lakectl-login` (lakectl 1.62 or later runs it for `lakectl login`). lakectl's server is LAKECTL_SERVER_ENDPOINT_URL, else server.endpoint_url in its configuration; a profile matches when its --lakefs-endpoint names the same server (with or without /api/v1). The profile must keep lakectl's token cache (--lakectl-cache, a PLAINTEXT file), and lakectl must have no access key of its own: it would use that instead.",
    example: 'lakectl login --profile work',
  },
  {
    name: 'credential-process',
    summary: 'print S3 credentials for the AWS CLI and SDKs (credential_process in ~/.aws/config)',
    args: ['NAME'],
    min: 1,
    max: 1,
    takesProfile: true,
    flags: [],
    example: 'credential_process = lakekey credential-process work',
  },
  {
    name: 'env',
    summary: 'print the credentials as shell variables',
    args: ['NAME'],
    min: 1,
    max: 1,
    takesProfile: true,
    flags: [...halves, server("the variables that point SDKs at the running credentials endpoint (lakekey serve, or the tray's) instead of keys"), format],
    details: halvesRule,
    example: 'eval "$(lakekey env work)"',
  },
  {
    name: 'exec',
    summary: 'run a command with the credentials',
    args: ['NAME'],
    min: 1,
    max: 1,
    takesProfile: true,
    passthrough: '-- COMMAND [ARGS...]',
    flags: [
      ...halves,
      { name: 'static', type: 'boolean', help: 'hand the command plain keys (as env does) instead of a credential_process profile' },
      server(
        'serve the credentials to the command from a local endpoint that lives as long as it does (no process per refresh; JVMs and SDKs with no AWS config)',
      ),
    ],
    details: `By default the command gets an AWS profile whose credential_process is lakekey, so a long job keeps getting fresh credentials. With --server it gets AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN instead, which every AWS SDK's default chain asks, and nothing that would win over them (no keys, no AWS_PROFILE, no AWS config or credentials file). ${halvesRule}`,
    example: 'lakekey exec work -- aws s3 ls',
  },
  {
    name: 'serve',
    summary: 'serve S3 credentials to SDKs from a local endpoint, in the foreground',
    args: ['NAME...'],
    min: 1,
    max: 16,
    takesProfile: true,
    flags: [{ name: 'port', type: 'string', value: 'PORT', help: 'listen on this port of 127.0.0.1 (default: any free port)' }, format],
    details:
      'Prints the variables that point a process at it (AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE; `lakekey env NAME --server` prints them too), then serves until Ctrl-C or SIGTERM, renewing ahead of expiry. Only you can use it: 127.0.0.1 only, a random token, and on Linux only your own programs.',
    example: 'lakekey serve work',
  },
  {
    name: 'token',
    summary: 'print the lakeFS token',
    args: ['NAME'],
    min: 1,
    max: 1,
    takesProfile: true,
    flags: [{ name: 'lakefs', type: 'boolean', required: true, help: 'the lakeFS session token' }],
    example: 'curl -H "Authorization: Bearer $(lakekey token work --lakefs)" …',
  },
  {
    name: 'configure-aws',
    summary: 'wire an AWS profile to lakekey in the AWS config file',
    args: ['NAME'],
    min: 1,
    max: 1,
    takesProfile: true,
    flags: [
      { name: 'aws-profile', type: 'string', value: 'P', help: 'the AWS profile to write (default: NAME)' },
      { name: 'dry-run', type: 'boolean', help: 'print the change as a diff; write nothing' },
      json,
    ],
    example: 'lakekey configure-aws work --dry-run',
  },
  {
    name: 'doctor',
    summary: 'check the keychain, settings, IdP, clock, STS, lakeFS, AWS wiring and the credentials endpoint',
    args: ['[NAME]'],
    min: 0,
    max: 1,
    takesProfile: true,
    flags: [json],
    example: 'lakekey doctor work',
  },
  {
    name: 'keychain',
    summary: 'say where secrets are kept, or choose: the OS keychain, or the Linux kernel keyring (SSH, no desktop)',
    args: ['[os|kernel]'],
    min: 0,
    max: 1,
    flags: [],
    details:
      'os (the default): the Secret Service (GNOME Keyring, KWallet) on Linux, the Keychain on macOS, Credential Manager on Windows. ' +
      'kernel: the Linux kernel keyring, for a machine without a desktop: secrets live in kernel memory only, readable by your own processes; ' +
      'they are gone at reboot and a few days (3 by default) after lakekey last used them. Choosing kernel first checks that it works here. ' +
      'Sessions are not moved: log in again after a change. LAKEKEY_KEYCHAIN=os|kernel overrides the setting.',
    example: 'lakekey keychain kernel',
  },
  {
    name: 'completion',
    summary: 'print a shell completion script',
    args: ['bash|zsh|fish|powershell'],
    min: 1,
    max: 1,
    flags: [],
    details:
      'bash: add `source <(lakekey completion bash)` to ~/.bashrc. zsh: `source <(lakekey completion zsh)` in ~/.zshrc. fish: `lakekey completion fish > ~/.config/fish/completions/lakekey.fish`. PowerShell: `lakekey completion powershell | Out-String | Invoke-Expression` in $PROFILE.',
    example: 'source <(lakekey completion bash)',
  },
  {
    name: 'help',
    summary: 'show help for all commands, or for one',
    args: ['[COMMAND]'],
    min: 0,
    max: 2,
    flags: [],
    example: 'lakekey help login',
  },
  {
    name: 'version',
    summary: "print lakekey's version",
    args: [],
    min: 0,
    max: 0,
    flags: [],
    example: 'lakekey version',
  },
];

/** Commands with subcommands ("profile"), and what they are for. */
export const GROUPS: Readonly<Record<string, string>> = { profile: 'add, change, list, show and remove profiles' };

export const SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const;

/** What `lakekey keychain` takes (the core's KEYCHAINS; a unit test keeps them equal). */
export const KEYCHAIN_WORDS = ['os', 'kernel'] as const;

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** The words that can follow `lakekey` (top-level commands and groups). */
export function topWords(): string[] {
  return [...new Set(COMMANDS.map((c) => c.name.split(' ')[0]))];
}

/** The subcommand names of a group. */
export function subWords(group: string): string[] {
  return COMMANDS.filter((c) => c.name.startsWith(`${group} `)).map((c) => c.name.slice(group.length + 1));
}

/** The usage line's parts, a flag with its value as one part (help wraps between parts only). */
export function usageParts(c: CommandSpec): string[] {
  const flags = c.flags.map((f) => {
    const word = `--${f.name}${f.type === 'string' ? ` ${f.value ?? 'VALUE'}` : ''}`;
    return f.required ? word : `[${word}]${f.multiple ? '...' : ''}`;
  });
  return [`lakekey ${c.name}`, ...c.args, ...flags, ...(c.passthrough ? [c.passthrough] : [])];
}

/** `lakekey login NAME [--no-browser] [--device] [--timeout SECONDS]`. */
export function usageLine(c: CommandSpec): string {
  return usageParts(c).join(' ');
}
