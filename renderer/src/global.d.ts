import type { LakekeyApi } from '../../main/ipc.js';

declare global {
  interface Window {
    /** The preload's typed API (main/ipc.ts). */
    readonly lakekey: LakekeyApi;
  }
}
