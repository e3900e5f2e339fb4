// Builds the renderer's API from the contract: one method per entry of API_CHANNELS, each a
// single ipcRenderer.invoke on its channel. Nothing else crosses the bridge: no ipcRenderer,
// no event objects, no Node.
import { API_CHANNELS, type ApiMethod, type LakekeyApi } from '../ipc.js';

export type Invoke = (channel: string, request: unknown) => Promise<unknown>;

export function buildApi(invoke: Invoke): LakekeyApi {
  const api: Record<string, (request: unknown) => Promise<unknown>> = {};
  for (const method of Object.keys(API_CHANNELS) as ApiMethod[]) {
    const channel = API_CHANNELS[method];
    api[method] = (request: unknown) => invoke(channel, request ?? null);
  }
  return Object.freeze(api) as unknown as LakekeyApi;
}
