// "Start at login" (off by default): Electron's login item settings on macOS and Windows, an XDG
// autostart entry on Linux (core/config/autostart.ts). The menu's toggle and the settings
// window's switch both go through this one object.
import type { App } from 'electron';
import { autostartDir, autostartEnabled, setAutostart } from '../core/config/autostart.js';

export interface StartAtLogin {
  enabled(): boolean;
  /** Turns it on or off; answers whether it is on now. */
  set(on: boolean): boolean;
}

export interface StartAtLoginDeps {
  platform: NodeJS.Platform;
  app: Pick<App, 'getLoginItemSettings' | 'setLoginItemSettings'>;
  env: NodeJS.ProcessEnv;
  home: string;
  /** What starts the tray: the packaged app (its AppImage when it is one), or Electron with the app's folder in a dev tree. */
  argv(): string[];
}

export function startAtLogin(d: StartAtLoginDeps): StartAtLogin {
  if (d.platform === 'darwin' || d.platform === 'win32') {
    const enabled = () => d.app.getLoginItemSettings().openAtLogin;
    return {
      enabled,
      set(on) {
        // Windows registers a command line (the Run key): the same program and arguments as on Linux.
        const [path, ...args] = d.argv();
        d.app.setLoginItemSettings(d.platform === 'win32' && path ? { openAtLogin: on, path, args } : { openAtLogin: on });
        return enabled();
      },
    };
  }
  const dir = autostartDir(d.env.XDG_CONFIG_HOME, d.home);
  return {
    enabled: () => autostartEnabled(dir),
    set(on) {
      setAutostart(dir, on, d.argv());
      return autostartEnabled(dir);
    },
  };
}

/** The command that starts this tray: the AppImage (not its temporary mount), the packaged executable, or `electron APP_ROOT`. */
export function trayCommand(packaged: boolean, execPath: string, appRoot: string, env: NodeJS.ProcessEnv): string[] {
  if (!packaged) return [execPath, appRoot];
  return [env.APPIMAGE || execPath];
}
