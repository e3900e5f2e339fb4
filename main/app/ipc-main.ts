// Main's side of the typed IPC: every handler is registered through `registerHandlers`, which
// checks the sender (the settings page in the top frame), checks the request's shape (the
// renderer is untrusted input), runs the handler and answers an Outcome — never a thrown
// Error, whose text Electron would mangle. `invoke` is the same path without Electron, used
// by the tests' transport.
import { asLakekeyError, LakekeyError } from '../core/errors.js';
import { gate } from '../core/text-gate.js';
import { isObject } from '../shared/is-object.js';
import { channels, type Channel, type EventChannel, type IpcHandlers, type Outcome, type ProfileDraft, type RequestOf, type ResponseOf } from '../ipc.js';

/** The draft's free-text fields, every one of them: a field added to ProfileDraft and not here fails to compile. */
type StringField = { [K in keyof ProfileDraft]: ProfileDraft[K] extends string ? (string extends ProfileDraft[K] ? K : never) : never }[keyof ProfileDraft];
const DRAFT_STRING_FIELDS: Record<StringField, true> = {
  issuer: true,
  clientId: true,
  scopes: true,
  redirectPort: true,
  refreshBeforeSeconds: true,
  s3StsEndpoint: true,
  s3Endpoint: true,
  s3Region: true,
  s3RoleArn: true,
  s3DurationSeconds: true,
  s3SessionName: true,
  lakefsEndpoint: true,
  lakefsTtlSeconds: true,
  browser: true,
};
const DRAFT_STRINGS = Object.keys(DRAFT_STRING_FIELDS) as StringField[];
const MAX_FIELD = 2048;

function shortString(v: unknown): v is string {
  return typeof v === 'string' && v.length <= MAX_FIELD;
}

function isDraft(v: unknown): v is ProfileDraft {
  if (!isObject(v)) return false;
  return (
    DRAFT_STRINGS.every((k) => shortString(v[k])) &&
    typeof v.s3Enabled === 'boolean' &&
    typeof v.endpointEnabled === 'boolean' &&
    typeof v.lakefsEnabled === 'boolean' &&
    (v.s3TokenSource === 'idp' || v.s3TokenSource === 'lakefs')
  );
}

const isName = (v: unknown) => isObject(v) && shortString(v.name);
const isSave = (v: unknown) => isName(v) && isObject(v) && isDraft(v.draft) && (v.originalName === undefined || shortString(v.originalName));

const REQUEST_SHAPES: { [C in Channel]: (v: unknown) => boolean } = {
  'profiles:list': (v) => v === null || v === undefined,
  'profiles:defaults': (v) => v === null || v === undefined,
  'profiles:validate': isSave,
  'profiles:save': isSave,
  'profiles:remove': isName,
  'profiles:check': isSave,
  'profiles:import-pick': (v) => v === null || v === undefined,
  // Only the choice: the file is the one main picked, never a path from the window.
  'profiles:import-apply': (v) => isObject(v) && typeof v.force === 'boolean' && Object.keys(v).length === 1,
  'session:login': isName,
  'session:login-other': isName,
  'session:refresh': isName,
  'session:logout': isName,
  'snippets:get': isName,
  'snippets:copy': (v) => isName(v) && isObject(v) && (v.kind === 'awsConfig' || v.kind === 'shell' || v.kind === 'endpoint'),
  'app:online': (v) => v === null || v === undefined,
  'app:start-at-login': (v) => v === null || v === undefined,
  'app:set-start-at-login': (v) => isObject(v) && typeof v.enabled === 'boolean' && Object.keys(v).length === 1,
};

/** Runs one handler and wraps its answer; errors become { code, message, hint }, redacted. */
export async function invoke<C extends Channel>(handlers: IpcHandlers, channel: C, request: unknown): Promise<Outcome<ResponseOf<C>>> {
  try {
    if (!channels().includes(channel)) throw new LakekeyError('USAGE', `unknown channel "${String(channel)}"`);
    if (!REQUEST_SHAPES[channel](request)) throw new LakekeyError('USAGE', `malformed request on ${channel}`);
    const handler = handlers[channel] as (r: RequestOf<C>) => Promise<ResponseOf<C>>;
    return { ok: true, value: await handler((request ?? null) as RequestOf<C>) };
  } catch (err) {
    const e = asLakekeyError(err);
    const error = { code: e.code, message: gate(e.message) };
    return { ok: false, error: e.hint ? { ...error, hint: gate(e.hint) } : error };
  }
}

/** The slice of ipcMain used (a stub implements it in tests). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: { senderFrame: { url: string; parent: unknown } | null }, request: unknown) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/**
 * Registers every channel of the contract on the Electron module's ipcMain (the one place in main
 * that touches raw ipcMain — lint enforces it); requests from anything but the settings page are refused.
 */
export function registerHandlers(
  electron: { ipcMain: IpcMainLike },
  handlers: IpcHandlers,
  isTrustedSender: (frameUrl: string | undefined) => boolean,
): () => void {
  const { ipcMain } = electron;
  for (const channel of channels()) {
    ipcMain.handle(channel, async (event, request) => {
      const frame = event.senderFrame;
      if (!frame || frame.parent !== null || !isTrustedSender(frame.url)) {
        return { ok: false, error: { code: 'FORBIDDEN', message: 'request refused: it did not come from the settings window' } } satisfies Outcome<never>;
      }
      return invoke(handlers, channel, request);
    });
  }
  return () => {
    for (const channel of channels()) ipcMain.removeHandler(channel);
  };
}

/** The slice of webContents an event goes to. */
export interface EventReceiver {
  isDestroyed(): boolean;
  send(channel: string): void;
}

/** Main → window: an event of the contract, with no payload (the window asks again what changed). */
export function sendEvent(contents: EventReceiver | undefined, channel: EventChannel): void {
  if (contents && !contents.isDestroyed()) contents.send(channel);
}
