// The part of the `electron` module the tray uses, as a type: main.ts receives it as a
// parameter (the real module in the app, test/helpers/electron-stub.ts in tests).
import type * as Electron from 'electron';

export type ElectronModule = Pick<
  typeof Electron,
  | 'app'
  | 'BrowserWindow'
  | 'Tray'
  | 'Menu'
  | 'ipcMain'
  | 'shell'
  | 'clipboard'
  | 'dialog'
  | 'powerMonitor'
  | 'Notification'
  | 'nativeImage'
  | 'nativeTheme'
  | 'protocol'
  | 'session'
>;
