#!/usr/bin/env node
// The `lakekey` command. credential-process runs on every `aws` command, so it is routed
// before anything else is loaded; all other commands live in commands.ts.
import { exit, printError } from './output.js';

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'credential-process') {
    const { credentialProcess } = await import('./credential-process.js');
    return credentialProcess(argv.slice(1));
  }
  const { run } = await import('./commands.js');
  return run(argv);
}

main(process.argv.slice(2)).then(exit, (err) => exit(printError(err)));
