// The flags every lakekey bun executable is compiled with: build:cli's `lakekey`, and the benches'
// floor and keychain readers (test/helpers/bun-compile.ts), so a comparison is like for like.
export const BUN_COMPILE_FLAGS = [
  '--compile',
  '--bytecode',
  // ES modules with code splitting: what only a renewal, a login or another command needs sits
  // in chunks a credential_process cache hit never evaluates (about 0.9 ms of its start here).
  '--format=esm',
  '--splitting',
  '--minify-syntax',
  // A compiled bun executable would otherwise read .env, bunfig.toml (whose `preload` runs
  // code), tsconfig.json and package.json from the folder it is started in: credential_process
  // runs in whatever folder `aws` runs in, so that would be code execution from any cloned
  // repository. lakekey reads only its documented variables (security round 3).
  '--no-compile-autoload-dotenv',
  '--no-compile-autoload-bunfig',
  '--no-compile-autoload-tsconfig',
  '--no-compile-autoload-package-json',
  '--define',
  'LAKEKEY_STANDALONE=true',
  '--external',
  '@napi-rs/keyring',
];
