// Builds the renderer's API from the contract: one method per entry of API_CHANNELS, each a
// single ipcRenderer.invoke on its channel, and one subscribe function per entry of
// EVENT_CHANNELS. Nothing else crosses the bridge: no ipcRenderer, no event objects (a listener
// is called with no arguments), no Node.
import { API_CHANNELS, EVENT_CHANNELS, type ApiMethod, type EventChannel, type EventMethod, type LakekeyApi } from '../ipc.js';

export type Invoke = (channel: string, request: unknown) => Promise<unknown>;
/** Listens on an event channel; answers the function that stops listening. */
export type Subscribe = (channel: EventChannel, listener: () => void) => () => void;

export function buildApi(invoke: Invoke, subscribe: Subscribe): LakekeyApi {
  const api: Record<string, unknown> = {};
  for (const method of Object.keys(API_CHANNELS) as ApiMethod[]) {
    const channel = API_CHANNELS[method];
    api[method] = (request: unknown) => invoke(channel, request ?? null);
  }
  for (const method of Object.keys(EVENT_CHANNELS) as EventMethod[]) {
    const channel = EVENT_CHANNELS[method];
    api[method] = (listener: unknown) => {
      if (typeof listener !== 'function') throw new TypeError(`${method} needs a function`);
      return subscribe(channel, () => void listener());
    };
  }
  return Object.freeze(api) as unknown as LakekeyApi;
}
