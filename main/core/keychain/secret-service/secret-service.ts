// The Secret Service (GNOME Keyring, KWallet, KeePassXC) spoken directly over D-Bus: lakekey's
// keychain on Linux. It reads and writes the very items keytar (libsecret) made — the generic
// schema with `service` and `account` attributes and the label "service/account" — so existing
// sessions carry over without a migration, and a keytar-based build still finds what this one
// wrote. https://specifications.freedesktop.org/secret-service-spec/latest/
//
// The session is "plain", as aws-vault's (99designs/keyring) is: the secret crosses the user's
// own session bus unencrypted, a socket only this user (and root) can reach. libsecret's
// Diffie-Hellman session guards against nothing that user could not read anyway, and costs
// most of keytar's time on a cache hit.
//
// A locked item or keyring is unlocked the way libsecret does it: the service's Unlock, and its
// prompt (the desktop's unlock dialog) when it asks for one. A dismissed prompt, or one that
// cannot be shown (no desktop), is a locked keychain.
import { Bus, DBusError, type Message, type Variant } from './dbus.js';
import { LakekeyError } from '../../errors.js';
import type { KeychainBackend } from '../../ports.js';

const SECRETS = 'org.freedesktop.secrets';
const SERVICE_PATH = '/org/freedesktop/secrets';
const SERVICE = 'org.freedesktop.Secret.Service';
const ITEM = 'org.freedesktop.Secret.Item';
const COLLECTION = 'org.freedesktop.Secret.Collection';
const PROMPT = 'org.freedesktop.Secret.Prompt';
const PROPERTIES = 'org.freedesktop.DBus.Properties';
/** libsecret's schema for keytar's items; stored as the `xdg:schema` attribute. */
const GENERIC_SCHEMA = 'org.freedesktop.Secret.Generic';

interface Connection {
  bus: Bus;
  session: string;
  /** Set when the service answered that our session is gone: it restarted while the bus stayed. */
  stale?: boolean;
}

/**
 * Error replies that mean nobody serves org.freedesktop.secrets on this bus, nor can be started
 * for it: no Secret Service at all (an SSH session's bus), as opposed to one that is locked.
 */
const NOBODY = /^org\.freedesktop\.DBus\.Error\.(ServiceUnknown|NameHasNoOwner|Spawn\.\w+)$/;

/**
 * Marks an error as "there is no Secret Service here" (no session bus, or nobody owns its name):
 * the keychain adapter (vault.ts) then offers the kernel keyring, which it never does for a
 * Secret Service that is merely locked.
 */
function markAbsent(err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  Object.defineProperty(e, 'secretServiceAbsent', { value: true, enumerable: false });
  return e;
}

/** Error replies that mean the service no longer knows our session (or an item it just listed). */
const GONE = new Set(['org.freedesktop.Secret.Error.NoSession', 'org.freedesktop.DBus.Error.UnknownObject']);

export function secretServiceBackend(env: NodeJS.ProcessEnv): KeychainBackend {
  let connection: Promise<Connection> | undefined;
  const connect = (): Promise<Connection> => {
    const current = connection;
    if (current) {
      // A bus daemon that restarted broke the connection; a Secret Service that restarted (a
      // KeePassXC reopened, gnome-keyring --replace) forgot our session. Either way the tray
      // opens a new one, and callers that noticed together share it.
      return current.then((c) => {
        if (!c.bus.broken && !c.stale) return c;
        if (connection === current) {
          connection = undefined;
          c.bus.close();
        }
        return connect();
      });
    }
    const next = (async () => {
      const bus = await Bus.session(env).catch((err: unknown) => {
        throw markAbsent(err); // no session bus: no Secret Service either
      });
      try {
        const [, session] = await bus.call({
          destination: SECRETS,
          path: SERVICE_PATH,
          interface: SERVICE,
          member: 'OpenSession',
          signature: 'sv',
          body: ['plain', { sig: 's', value: '' }],
        });
        return { bus, session: session as string };
      } catch (err) {
        bus.close(); // a long-lived tray must not keep one socket per failed attempt
        throw err instanceof DBusError && NOBODY.test(err.dbusName) ? markAbsent(err) : err;
      }
    })();
    connection = next;
    next.catch(() => {
      if (connection === next) connection = undefined; // the next call tries again
    });
    return next;
  };

  /** Runs `op` on the connection; once more on a fresh session if the service forgot ours. */
  const withSession = async <T>(op: (c: Connection) => Promise<T>): Promise<T> => {
    const c = await connect();
    try {
      return await op(c);
    } catch (err) {
      if (!(err instanceof DBusError && GONE.has(err.dbusName))) throw err;
      c.stale = true;
      return op(await connect());
    }
  };

  const service = (c: Connection, member: string, signature = '', body: unknown[] = []) =>
    c.bus.call({ destination: SECRETS, path: SERVICE_PATH, interface: SERVICE, member, signature, body });

  /** The items whose attributes match, unlocked first; locked ones are unlocked (prompting if asked to). */
  const search = async (c: Connection, attributes: Record<string, string>, unlock: boolean): Promise<string[]> => {
    const [unlocked, locked] = (await service(c, 'SearchItems', 'a{ss}', [Object.entries(attributes)])) as [string[], string[]];
    if (!locked.length || !unlock) return unlocked;
    return [...unlocked, ...(await unlockPaths(c, locked))];
  };

  const unlockPaths = async (c: Connection, paths: string[]): Promise<string[]> => {
    const [done, prompt] = (await service(c, 'Unlock', 'ao', [paths])) as [string[], string];
    if (prompt === '/') return done;
    const result = await prompted(c.bus, prompt);
    return [...done, ...((result?.value as string[] | undefined) ?? [])];
  };

  /** Prompts in progress: while one is shown, a slow call is waiting for the user. */
  let prompting = 0;
  const prompted = async (bus: Bus, prompt: string): Promise<Variant | undefined> => {
    prompting++;
    try {
      return await runPrompt(bus, prompt);
    } finally {
      prompting--;
    }
  };

  const attributesOf = (svc: string, account: string) => ({ service: svc, account });

  return {
    getPassword: (svc, account) =>
      withSession(async (c) => {
        const [item] = await search(c, attributesOf(svc, account), true);
        if (!item) return null;
        const [secret] = (await c.bus.call({ destination: SECRETS, path: item, interface: ITEM, member: 'GetSecret', signature: 'o', body: [c.session] })) as [
          [string, Buffer, Buffer, string],
        ];
        return secret[2].toString('utf8');
      }),

    setPassword: (svc, account, password) =>
      withSession(async (c) => {
        const [collection] = (await service(c, 'ReadAlias', 's', ['default'])) as [string];
        if (collection === '/') {
          throw new LakekeyError('KEYCHAIN_UNAVAILABLE', 'the Secret Service has no default keyring to store the session in', {
            hint: 'Create a default keyring (GNOME: Passwords and Keys; KDE: KWallet), or start gnome-keyring-daemon --unlock in your D-Bus session, then retry.',
          });
        }
        const properties: Array<[string, Variant]> = [
          [`${ITEM}.Label`, { sig: 's', value: `${svc}/${account}` }],
          [`${ITEM}.Attributes`, { sig: 'a{ss}', value: Object.entries({ 'xdg:schema': GENERIC_SCHEMA, ...attributesOf(svc, account) }) }],
        ];
        const secret = [c.session, Buffer.alloc(0), Buffer.from(password, 'utf8'), 'text/plain'];
        const create = () =>
          c.bus.call({
            destination: SECRETS,
            path: collection,
            interface: COLLECTION,
            member: 'CreateItem',
            signature: 'a{sv}(oayays)b',
            body: [properties, secret, true],
          });
        let reply: unknown[];
        try {
          reply = await create();
        } catch (err) {
          if (!(err instanceof DBusError && err.dbusName === 'org.freedesktop.Secret.Error.IsLocked')) throw err;
          if (!(await unlockPaths(c, [collection])).includes(collection)) throw lockedError();
          reply = await create();
        }
        const [, prompt] = reply as [string, string];
        if (prompt !== '/') await prompted(c.bus, prompt);
      }),

    deletePassword: (svc, account) =>
      withSession(async (c) => {
        const items = await search(c, attributesOf(svc, account), true);
        for (const item of items) {
          const [prompt] = (await c.bus.call({ destination: SECRETS, path: item, interface: ITEM, member: 'Delete' })) as [string];
          if (prompt !== '/') await prompted(c.bus, prompt);
        }
        return items.length > 0;
      }),

    findCredentials: (svc) =>
      withSession(async (c) => {
        const items = await search(c, { service: svc }, false);
        const found: Array<{ account: string }> = [];
        for (const item of items) {
          const [v] = (await c.bus.call({
            destination: SECRETS,
            path: item,
            interface: PROPERTIES,
            member: 'Get',
            signature: 'ss',
            body: [ITEM, 'Attributes'],
          })) as [Variant];
          const account = (v.value as Array<[string, string]>).find(([k]) => k === 'account')?.[1];
          if (account !== undefined) found.push({ account });
        }
        return found;
      }),

    // Locked means one of our calls is showing the unlock prompt right now: that is known here,
    // not guessed. A call that is only slow (a daemon starved on a loaded machine) is not locked.
    // (Asking the collection's Locked property instead once answered true for an unlocked
    // keyring under 64 concurrent processes on a loaded machine.)
    locked: () => Promise.resolve(prompting > 0),
  };
}

function lockedError(why = 'was not unlocked'): LakekeyError {
  return new LakekeyError('KEYCHAIN_LOCKED', `the Secret Service keyring is locked and ${why}`);
}

const BUS = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus' } as const;

/**
 * Shows a Secret Service prompt and waits for its Completed signal, accepted only from the
 * service itself. Resolves with the prompt's result; a dismissed prompt is a locked keychain,
 * and so is a service that goes away while its prompt is open (it would never complete).
 */
async function runPrompt(bus: Bus, prompt: string): Promise<Variant | undefined> {
  const [owner] = (await bus.call({ ...BUS, member: 'GetNameOwner', signature: 's', body: [SECRETS] })) as [string];
  const rules = [
    `type='signal',sender='${owner}',interface='${PROMPT}',member='Completed',path='${prompt}'`,
    `type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${SECRETS}'`,
  ];
  for (const rule of rules) await bus.call({ ...BUS, member: 'AddMatch', signature: 's', body: [rule] });
  let stop = () => {};
  const completed = new Promise<Message>((resolve, reject) => {
    stop = bus.onSignal((m) => {
      if (m.sender === owner && m.path === prompt && m.interface === PROMPT && m.member === 'Completed') resolve(m);
      if (m.sender === 'org.freedesktop.DBus' && m.member === 'NameOwnerChanged' && m.body[0] === SECRETS && m.body[2] !== owner) {
        reject(lockedError('its Secret Service stopped while asking for the password'));
      }
    });
  });
  completed.catch(() => undefined); // settled below; a rejection before the race is not unhandled
  try {
    await bus.call({ destination: SECRETS, path: prompt, interface: PROMPT, member: 'Prompt', signature: 's', body: [''] });
    const done = await Promise.race([completed, bus.closed.then((e) => Promise.reject(e))]);
    const [dismissed, result] = done.body as [boolean, Variant];
    if (dismissed) throw lockedError();
    return result;
  } finally {
    stop();
    // A tray's connection lives for days: it does not collect one match rule per prompt.
    for (const rule of rules) bus.call({ ...BUS, member: 'RemoveMatch', signature: 's', body: [rule] }).catch(() => undefined);
  }
}
