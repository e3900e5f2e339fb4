// Module resolution hooks for module-trace.ts (they run on Node's loader thread).
import { appendFileSync } from 'node:fs';

const HEAVY = /\/node_modules\/(openid-client|oauth4webapi|jose|@aws-sdk|@smithy|undici|conf|ajv|diff)\//;

type Next = (specifier: string, context: unknown) => Promise<{ url: string }>;

export async function resolve(specifier: string, context: unknown, next: Next): Promise<{ url: string }> {
  const result = await next(specifier, context);
  const file = process.env.LAKEKEY_TRACE_FILE;
  if (file && HEAVY.test(result.url)) appendFileSync(file, result.url + '\n');
  return result;
}
