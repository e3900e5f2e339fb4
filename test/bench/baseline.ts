// Bench baseline: start Node, load keytar, read the same keychain item, print it. The floor any
// credential_process helper built on Node and the OS keychain pays.
import keytar from 'keytar';

const value = await keytar.getPassword('lakekey', process.argv[2]);
process.stdout.write(value ? 'ok\n' : 'missing\n');
