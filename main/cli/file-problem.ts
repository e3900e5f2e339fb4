// File-system failures said as what they are: the user's to fix, with the path (exit 2).
import { causeChain, configError, LakekeyError } from '../core/errors.js';

/**
 * A file problem (a folder where a file belongs, a folder you cannot write, a read-only file
 * system) is the user's to fix, not an internal error: say the path and what to do (exit 2).
 */
export function fileProblem(err: unknown): LakekeyError | undefined {
  if (err instanceof LakekeyError) return undefined;
  for (const e of causeChain(err) as NodeJS.ErrnoException[]) {
    const path = e.path;
    if (typeof e.code !== 'string' || !path) continue;
    switch (e.code) {
      case 'EACCES':
      case 'EPERM':
        return configError(
          `cannot write ${path}: permission denied`,
          `Check who owns it and its mode (\`ls -ld ${path}\`): it should be yours and writable by you. Or point LAKEKEY_CONFIG_DIR (settings) or AWS_CONFIG_FILE elsewhere.`,
        );
      case 'EROFS':
        return configError(`cannot write ${path}: the file system is read-only`, 'Point LAKEKEY_CONFIG_DIR (settings) or AWS_CONFIG_FILE at a writable place.');
      case 'EISDIR':
        return configError(`${path} is a folder where lakekey needs a file`, `Move the folder aside (\`mv ${path} ${path}.old\`).`);
      case 'ENOTDIR':
      case 'EEXIST':
        return configError(
          `cannot create ${path}: a part of that path is a file, not a folder`,
          'Move that file aside, or point LAKEKEY_CONFIG_DIR at another folder.',
        );
      case 'ENOSPC':
        return configError(`cannot write ${path}: the disk is full`, 'Free some space and try again.');
    }
  }
  return undefined;
}
