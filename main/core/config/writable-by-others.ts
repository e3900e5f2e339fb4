// Whether someone other than the user could change a program lakekey tells other tools to run
// (the `credential_process` line): the AWS CLI and the SDKs run it as the user, so whoever can
// replace it, or a folder above it, runs code as the user and sees every credential.
import { lstatSync, realpathSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface Exposure {
  /** The file or folder others can change. */
  path: string;
  /** Why, in words that finish "PATH …". */
  why: string;
}

export interface Ids {
  uid: number;
  gid: number;
}

/**
 * The first of `file` and the folders above it (as written and as resolved through symlinks)
 * that another user could change, or undefined when only the user and root can.
 *
 * The rule: a file or folder owned by someone other than the user or root (they can chmod it);
 * one every user may write — a sticky folder like /tmp too, because anyone can put a file there
 * beside ours (Node looks for node_modules in every folder above the script, and a name freed
 * by a temp-file cleaner is anyone's to take); and one its group may write, unless the group is
 * the user's own primary group (Debian's user-private groups with umask 002 would warn on every
 * home). Symlinks have no mode of their own; their owner and folder count. Windows keeps access
 * in ACLs, not modes: nothing is said there.
 */
export function exposedPath(file: string, ids: Ids | undefined = currentIds()): Exposure | undefined {
  if (!ids) return undefined;
  const paths = [resolve(file)];
  try {
    const real = realpathSync(file);
    if (real !== paths[0]) paths.push(real);
  } catch {
    /* a path that does not exist: only what is there can be judged */
  }
  // The nearest exposed folder on either path says the most (a sticky /tmp above both says little).
  let found: Exposure | undefined;
  for (const start of paths) {
    for (let p = start; p.length > (found?.path.length ?? 0); p = dirname(p)) {
      const why = exposure(p, ids);
      if (why) {
        found = { path: p, why };
        break;
      }
      if (dirname(p) === p) break;
    }
  }
  return found;
}

function exposure(path: string, ids: Ids): string | undefined {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    return undefined;
  }
  if (st.uid !== ids.uid && st.uid !== 0) return `belongs to another user (uid ${st.uid})`;
  if (st.isSymbolicLink()) return undefined;
  if (st.mode & 0o002) return st.isDirectory() && st.mode & 0o1000 ? 'is a folder every user can add files to' : 'is writable by every user';
  if (st.mode & 0o020 && st.gid !== ids.gid) return `is writable by group ${st.gid}`;
  return undefined;
}

function currentIds(): Ids | undefined {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  return uid === undefined || gid === undefined ? undefined : { uid, gid };
}
