/** A plain JSON object (not null, not an array): what a settings file, an import or an IPC request must be. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
