// Module resolution hooks for module-trace.ts (they run on Node's loader thread).
import { appendFileSync } from 'node:fs';

const HEAVY = /\/node_modules\/(openid-client|oauth4webapi|jose|@aws-sdk|@smithy|undici|conf|ajv|diff)\//;
const OWN = /\/dist\/main\//;

type Next = (specifier: string, context: unknown) => Promise<{ url: string }>;

export async function resolve(specifier: string, context: unknown, next: Next): Promise<{ url: string }> {
  const result = await next(specifier, context);
  const file = process.env.LAKEKEY_TRACE_FILE;
  if (file && HEAVY.test(result.url)) appendFileSync(file, result.url + '\n');
  // lakekey's own modules, for the rooms a cache hit must not enter.
  if (file && OWN.test(result.url)) appendFileSync(`${file}.own`, result.url + '\n');
  return result;
}
