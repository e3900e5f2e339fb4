// Lists said in words, one way everywhere (the CLI, the tray, the window): `a`, `a and b`, `a, b and c`.
// Node-free: the renderer imports it too.

export function sayAnd(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** The Log out action of a profile whose sign-in others share: it logs them out too, and says so before the click. */
export function logOutLabel(sharedWith: string[] | undefined): string {
  return sharedWith?.length ? `Log out (also ${sharedWith.join(', ')})` : 'Log out';
}
