// Renders the pure menu model to Electron: the one place that knows Electron's Menu API.
import type { Menu as MenuType, MenuItemConstructorOptions } from 'electron';
import type { MenuAction, MenuModel, TrayState } from './menu-model.js';

export function menuTemplate(model: MenuModel, dispatch: (action: MenuAction) => void): MenuItemConstructorOptions[] {
  return model.items.map((item): MenuItemConstructorOptions => {
    switch (item.kind) {
      case 'separator':
        return { type: 'separator' };
      case 'header':
        return { label: item.label, enabled: false };
      case 'info':
        return { label: `   ${item.label}`, enabled: false };
      case 'action':
        return {
          label: 'profile' in item.action ? `   ${item.label}` : item.label,
          enabled: item.enabled,
          ...(item.checked === undefined ? {} : { type: 'checkbox' as const, checked: item.checked }),
          click: () => dispatch(item.action),
        };
    }
  });
}

export function renderMenu(
  Menu: { buildFromTemplate(t: MenuItemConstructorOptions[]): MenuType },
  model: MenuModel,
  dispatch: (action: MenuAction) => void,
): MenuType {
  return Menu.buildFromTemplate(menuTemplate(model, dispatch));
}

/** Tray icon file for a state (build/make-icons.mjs draws them); macOS uses template images (black + alpha, tinted by the system). */
export function trayIconFile(state: TrayState, platform = process.platform): string {
  return platform === 'darwin' ? `${state}Template.png` : `${state}.png`;
}
