#!/usr/bin/env node
// The `lakekey` command. credential-process runs on every `aws` command, so it is routed
// before anything else is loaded (its --help goes the long way, through the command table);
// all other commands live in commands.ts. Started as `lakectl-login` (invoked-as.ts), it is
// lakectl's login plugin.
import { startedAsLakectlLogin } from './invoked-as.js';
import { exit, printError } from './output.js';

async function main(argv: string[]): Promise<number> {
  // Linked as lakectl's login plugin: `lakectl login ARGS` runs `lakectl-login ARGS`.
  if (startedAsLakectlLogin(process.argv0, process.argv[1])) {
    const { run } = await import('./commands.js');
    return run(['lakectl-login', ...argv]);
  }
  if (argv[0] === 'credential-process' && !argv.includes('--help') && !argv.includes('-h')) {
    const { credentialProcess } = await import('./credential-process.js');
    return credentialProcess(argv.slice(1));
  }
  const { run } = await import('./commands.js');
  return run(argv);
}

let settled = false;
// If the event loop empties while a command is still unfinished, a promise was dropped: never
// let that look like success (exit 0 with nothing printed) to the AWS CLI or a script.
process.once('beforeExit', () => {
  if (!settled) exit(printError(new Error('lakekey stopped before the command finished (internal error)')));
});
main(process.argv.slice(2)).then(
  (code) => {
    settled = true;
    exit(code);
  },
  (err) => {
    settled = true;
    exit(printError(err));
  },
);
