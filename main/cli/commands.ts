// Every `lakekey` command except the credential-process hot path (lakekey.ts routes that first):
// the router. It finds the command in the table (spec.ts), answers help and did-you-mean,
// parses the flags (args.ts) and loads only the module that runs the command.
import { readFileSync } from 'node:fs';
import { usageError } from '../core/errors.js';
import { settingsDir } from '../core/config/paths.js';
import { readSettings } from '../core/config/settings.js';
import { Args, commandHelp, closest, groupHelp, overview, parseCommand, unknownCommand, wantsHelp } from './args.js';
import { fileProblem } from './file-problem.js';
import { say } from './output.js';
import { print } from './render.js';
import { findCommand, GROUPS, SHELLS, subWords, type CommandSpec } from './spec.js';

export { renderEnv } from './commands/handout.js';

type Handler = (a: Args) => Promise<number>;

/** Each command's code, loaded when it runs. */
const HANDLERS: Record<string, () => Promise<Handler>> = {
  'profile add': async () => (await import('./commands/profile.js')).add,
  'profile set': async () => (await import('./commands/profile.js')).set,
  'profile list': async () => (await import('./commands/profile.js')).list,
  'profile show': async () => (await import('./commands/profile.js')).show,
  'profile remove': async () => (await import('./commands/profile.js')).remove,
  'profile import': async () => (await import('./commands/profile-import.js')).importProfiles,
  login: async () => (await import('./commands/session.js')).loginCommand,
  logout: async () => (await import('./commands/session.js')).logoutCommand,
  status: async () => (await import('./commands/session.js')).statusCommand,
  'lakectl-login': async () => (await import('./commands/lakectl.js')).lakectlLoginCommand,
  'credential-process': async () => {
    const { credentialProcess } = await import('./credential-process.js');
    return (a) => credentialProcess(a.positionals);
  },
  env: async () => (await import('./commands/handout.js')).envCommand,
  exec: async () => (await import('./commands/handout.js')).execCommand,
  token: async () => (await import('./commands/handout.js')).tokenCommand,
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  'configure-aws': async () => (await import('./commands/aws.js')).configureAws,
  doctor: async () => (await import('./commands/doctor.js')).doctorCommand,
  keychain: async () => (await import('./commands/keychain.js')).keychainCommand,
  completion: async () => completionCommand,
  help: async () => async (a) => help(a.positionals),
  version: async () => async () => version(),
};

export async function run(argv: string[]): Promise<number> {
  try {
    return await route(argv);
  } catch (err) {
    throw fileProblem(err) ?? err;
  }
}

async function route(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    say(overview() + '\n');
    return 2;
  }
  if (first === '--help' || first === '-h') return help(rest);
  if (first === '--version' || first === '-V') return version();
  if (first === '__complete') return complete(rest);
  if (first.startsWith('-')) {
    const near = closest(first.replace(/^-+/, ''), ['help', 'version']);
    throw usageError(
      `unknown flag "${first}"${near ? `; did you mean "--${near}"?` : ''}`,
      'Commands come first: `lakekey COMMAND [flags]`; run `lakekey help` for the list.',
    );
  }
  let spec: CommandSpec | undefined;
  let words = rest;
  if (GROUPS[first]) {
    const [sub, ...more] = rest;
    if (sub === '--help' || sub === '-h') {
      print(groupHelp(first));
      return 0;
    }
    if (sub === undefined)
      throw usageError(`\`lakekey ${first}\` needs a command: ${subWords(first).join(', ')}`, `Run \`lakekey ${first} --help\` for what each does.`);
    spec = findCommand(`${first} ${sub}`);
    if (!spec) throw unknownCommand(sub, first);
    words = more;
  } else {
    spec = findCommand(first);
    if (!spec) throw unknownCommand(first);
  }
  if (wantsHelp(words)) {
    print(commandHelp(spec));
    return 0;
  }
  const args = parseCommand(spec, words);
  return (await HANDLERS[spec.name]())(args);
}

function help(words: string[]): number {
  const [first, sub] = words;
  if (first === undefined) print(overview());
  else if (GROUPS[first] && sub === undefined) print(groupHelp(first));
  else {
    const spec = findCommand(GROUPS[first] ? `${first} ${sub}` : first);
    if (!spec) throw GROUPS[first] ? unknownCommand(sub, first) : unknownCommand(first);
    print(commandHelp(spec));
  }
  return 0;
}

/** Defined by the standalone build (scripts/build-cli.mjs) from package.json; absent under Node. */
declare const LAKEKEY_VERSION: string | undefined;

function version(): number {
  // Under Node (development, tests) the entry is dist/main/cli/lakekey.js: package.json is three up.
  const v =
    typeof LAKEKEY_VERSION === 'string'
      ? LAKEKEY_VERSION
      : (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  print(`lakekey ${v}`);
  return 0;
}

async function completionCommand(a: Args): Promise<number> {
  const shell = a.positionals[0];
  if (!(SHELLS as readonly string[]).includes(shell)) {
    const near = closest(shell, SHELLS);
    throw usageError(`no completion for "${shell}"${near ? `; did you mean "${near}"?` : ''}`, `Use one of: ${SHELLS.join(', ')}.`);
  }
  const { completionScript } = await import('./completion.js');
  print(completionScript(shell as (typeof SHELLS)[number]));
  return 0;
}

/** `lakekey __complete SHELL CWORD WORDS...`: what the completion scripts ask. Never fails loudly. */
async function complete(words: string[]): Promise<number> {
  const [shell, cword, ...typed] = words;
  const { candidates } = await import('./completion.js');
  const profiles = () => {
    try {
      // Broken ones too: `profile set`, `show` and `remove` work on them.
      const { profiles, broken } = readSettings(settingsDir(process.env, process.platform));
      return [...Object.keys(profiles), ...broken.keys()];
    } catch {
      return []; // no settings, or a broken file: no names to offer
    }
  };
  for (const c of candidates(Number(cword), typed, profiles, shell === 'fish')) print(c);
  return 0;
}
