// The name this executable was started under. A link to lakekey named `lakectl-login` (on Windows
// `lakectl-login.exe`) is lakectl's login plugin: lakectl runs it for `lakectl login`. The compiled
// executable sees the name in argv[0] (process.execPath resolves the link); under Node, in the
// script's path. Imported by the hot path's entry, so it imports nothing.

/** True when started as lakectl's login plugin. */
export function startedAsLakectlLogin(argv0: string, script: string | undefined): boolean {
  return [argv0, script ?? ''].some((p) => /(?:^|[\\/])lakectl-login(?:\.exe)?$/i.test(p));
}
