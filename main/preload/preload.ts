// The settings window's preload (sandboxed, context-isolated). Bundled by vite into one
// CommonJS file (dist/preload/preload.cjs) whose only import is `electron`, as sandboxed
// preloads require. It exposes exactly the typed API of main/ipc.ts as `window.lakekey`.
import { contextBridge, ipcRenderer } from 'electron';
import { API_GLOBAL } from '../ipc.js';
import { buildApi } from './api.js';

contextBridge.exposeInMainWorld(
  API_GLOBAL,
  buildApi(
    (channel, request) => ipcRenderer.invoke(channel, request),
    (channel, listener) => {
      // The page never sees Electron's event object: the listener gets no arguments.
      const forward = () => listener();
      ipcRenderer.on(channel, forward);
      return () => void ipcRenderer.removeListener(channel, forward);
    },
  ),
);
