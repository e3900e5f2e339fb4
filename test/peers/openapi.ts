// Test peers: validate HTTP requests and responses against an OpenAPI 3.0 contract (lakeFS's own swagger.yml and
// authentication.yml) with ajv, so a test peer that drifts from the real API fails loudly instead of passing quietly.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule, { type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

// ajv and ajv-formats are CommonJS with a `default` export; under NodeNext the default import is the module object.
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** One operation of the contract, as found by method and path. */
export interface ContractOperation {
  operationId: string;
  method: string;
  /** The path template as written in the contract, e.g. `/repositories/{repository}`. */
  template: string;
  /** Path parameters taken from the concrete path. */
  params: Record<string, string>;
  /** False when the operation says `security: []` (no authentication, e.g. /sts/login). */
  secured: boolean;
}

export interface Contract {
  /** `info.title` of the contract. */
  title: string;
  /** The first `servers[].url`, e.g. `/api/v1`. Paths given to the validators may carry it or not. */
  basePath: string;
  /** The operation for this method and path (query string ignored), or undefined when the contract has none. */
  operation(method: string, path: string): ContractOperation | undefined;
  /**
   * Checks a request body against the operation's requestBody. `body` is the parsed JSON (undefined when absent);
   * `contentType` (optional) is checked against the declared media types. Returns the violations, empty when valid.
   */
  validateRequest(method: string, path: string, body: unknown, contentType?: string): string[];
  /**
   * Checks a response: the status must be declared (or covered by `default`), and a JSON body must match the
   * declared schema. A 401 on a secured operation that does not declare one is checked against `Error`: lakeFS's
   * authentication middleware answers 401 `Error` for every secured operation, whether the operation lists it or not.
   */
  validateResponse(method: string, path: string, status: number, body: unknown, contentType?: string): string[];
}

interface CompiledPath {
  template: string;
  regex: RegExp;
  names: string[];
  item: JsonObject;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON-pointer escaping of one path segment (RFC 6901). */
function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * OpenAPI 3.0 schemas are a JSON Schema draft-4/5 dialect. ajv (draft-07) understands `nullable` itself; the one
 * draft-4 form that would break compilation is a boolean `exclusiveMinimum`/`exclusiveMaximum`, rewritten here.
 */
function toDraft7(node: Json): void {
  if (Array.isArray(node)) {
    for (const item of node) toDraft7(item);
    return;
  }
  if (!isObject(node)) return;
  for (const [bound, limit] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof node[bound] === 'boolean') {
      if (node[bound] === true && typeof node[limit] === 'number') {
        node[bound] = node[limit];
        delete node[limit];
      } else {
        delete node[bound];
      }
    }
  }
  for (const value of Object.values(node)) toDraft7(value);
}

function mediaTypeMatches(declared: string, actual: string): boolean {
  const base = actual.split(';')[0].trim().toLowerCase();
  if (declared === '*/*') return true;
  if (declared.endsWith('/*')) return base.startsWith(declared.slice(0, -1));
  return base === declared.toLowerCase();
}

/** Loads an OpenAPI 3.0 YAML (or JSON) contract from `path`. Throws when the file is not an OpenAPI 3.0 document. */
export function loadContract(path: string): Contract {
  const doc = parseYaml(readFileSync(path, 'utf8')) as Json;
  if (!isObject(doc) || typeof doc.openapi !== 'string' || !doc.openapi.startsWith('3.0')) {
    throw new Error(`${path} is not an OpenAPI 3.0 document`);
  }
  toDraft7(doc);
  const title = isObject(doc.info) && typeof doc.info.title === 'string' ? doc.info.title : path;
  const servers = Array.isArray(doc.servers) ? doc.servers : [];
  const firstServer = servers.find(isObject);
  const basePath = firstServer && typeof firstServer.url === 'string' ? firstServer.url.replace(/\/+$/, '') : '';
  const globalSecurity = Array.isArray(doc.security) ? doc.security : [];

  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  const docId = 'contract.json';
  ajv.addSchema(doc as object, docId);
  const validators = new Map<string, ValidateFunction>();
  /** A validator for the schema at this JSON pointer of the document; `$ref`s inside resolve against the document. */
  const validatorAt = (pointer: string): ValidateFunction => {
    let validate = validators.get(pointer);
    if (!validate) {
      validate = ajv.compile({ $ref: `${docId}#${pointer}` });
      validators.set(pointer, validate);
    }
    return validate;
  };

  /** Follows a local `$ref` (e.g. to #/components/responses/X) and returns the target and its pointer. */
  const deref = (node: Json | undefined, pointer: string): { node: Json | undefined; pointer: string } => {
    let current = node;
    let at = pointer;
    for (let hops = 0; hops < 16 && isObject(current) && typeof current.$ref === 'string'; hops++) {
      const ref = current.$ref;
      if (!ref.startsWith('#/')) throw new Error(`${title}: only local $refs are supported, got ${ref}`);
      at = ref.slice(1);
      current = at
        .split('/')
        .slice(1)
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
        .reduce<Json | undefined>((n, key) => (isObject(n) ? n[key] : Array.isArray(n) ? n[Number(key)] : undefined), doc);
    }
    return { node: current, pointer: at };
  };

  const paths: CompiledPath[] = Object.entries(isObject(doc.paths) ? doc.paths : {}).flatMap(([template, item]) => {
    if (!isObject(item)) return [];
    const names: string[] = [];
    const pattern = template
      .split(/(\{[^}]+\})/)
      .map((part) => {
        const param = /^\{([^}]+)\}$/.exec(part);
        if (param) {
          names.push(param[1]);
          return '([^/]+)';
        }
        return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('');
    return [{ template, regex: new RegExp(`^${pattern}$`), names, item }];
  });
  // Literal paths win over templated ones (/repositories/{repository} must not swallow a literal sibling).
  paths.sort((a, b) => a.names.length - b.names.length);

  const stripBase = (path: string): string => {
    const pathname = path.split('?')[0].split('#')[0] || '/';
    if (basePath && (pathname === basePath || pathname.startsWith(`${basePath}/`))) {
      return pathname.slice(basePath.length) || '/';
    }
    return pathname;
  };

  const find = (method: string, path: string) => {
    const m = method.toLowerCase();
    if (!(METHODS as readonly string[]).includes(m)) return undefined;
    const relative = stripBase(path);
    for (const p of paths) {
      const match = p.regex.exec(relative);
      if (!match) continue;
      const op = p.item[m];
      if (!isObject(op)) continue;
      const params: Record<string, string> = {};
      p.names.forEach((name, i) => (params[name] = decodeURIComponent(match[i + 1])));
      const security = Array.isArray(op.security) ? op.security : globalSecurity;
      const info: ContractOperation = {
        operationId: typeof op.operationId === 'string' ? op.operationId : `${m} ${p.template}`,
        method: m.toUpperCase(),
        template: p.template,
        params,
        secured: security.length > 0,
      };
      return { info, op, pointer: `/paths/${escapePointer(p.template)}/${m}` };
    }
    return undefined;
  };

  /** Validates `body` against the JSON media type of a `content` map; `where` prefixes messages. */
  const checkContent = (content: Json | undefined, contentPointer: string, body: unknown, contentType: string | undefined, where: string): string[] => {
    if (!isObject(content)) return [];
    const types = Object.keys(content);
    if (contentType !== undefined && !types.some((t) => mediaTypeMatches(t, contentType))) {
      return [`${where}: content-type ${contentType} is not one of ${types.join(', ')}`];
    }
    const jsonType = types.find((t) => mediaTypeMatches(t, 'application/json'));
    if (!jsonType) return [];
    const media = content[jsonType];
    if (!isObject(media) || media.schema === undefined) return [];
    if (body === undefined) return [`${where}: JSON body missing`];
    const validate = validatorAt(`${contentPointer}/${escapePointer(jsonType)}/schema`);
    if (validate(body)) return [];
    return (validate.errors ?? []).map(
      (e) =>
        `${where}: body${e.instancePath || ''} ${e.message ?? 'is invalid'}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`,
    );
  };

  return {
    title,
    basePath,
    operation: (method, path) => find(method, path)?.info,

    validateRequest(method, path, body, contentType) {
      const found = find(method, path);
      const where = `${title}: ${method.toUpperCase()} ${stripBase(path)} request`;
      if (!found) return [`${where}: no such operation in the contract`];
      const { node: requestBody, pointer } = deref(found.op.requestBody, `${found.pointer}/requestBody`);
      if (!isObject(requestBody)) {
        return body === undefined ? [] : [`${where}: the operation takes no request body`];
      }
      if (body === undefined) return requestBody.required === true ? [`${where}: required body missing`] : [];
      return checkContent(requestBody.content, `${pointer}/content`, body, contentType, where);
    },

    validateResponse(method, path, status, body, contentType) {
      const found = find(method, path);
      const where = `${title}: ${method.toUpperCase()} ${stripBase(path)} response ${status}`;
      if (!found) return [`${where}: no such operation in the contract`];
      const responses = isObject(found.op.responses) ? found.op.responses : {};
      const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => responses[k] !== undefined);
      let response: Json | undefined;
      let pointer: string;
      if (key !== undefined) {
        ({ node: response, pointer } = deref(responses[key], `${found.pointer}/responses/${escapePointer(key)}`));
      } else if (
        status === 401 &&
        found.info.secured &&
        isObject(doc.components) &&
        isObject(doc.components.schemas) &&
        doc.components.schemas.Error !== undefined
      ) {
        const errors = body === undefined ? [`${where}: JSON body missing`] : [];
        if (body === undefined) return errors;
        const validate = validatorAt('/components/schemas/Error');
        return validate(body) ? [] : (validate.errors ?? []).map((e) => `${where}: body${e.instancePath} ${e.message ?? 'is invalid'}`);
      } else {
        return [`${where}: status not declared by the contract`];
      }
      if (!isObject(response)) return [`${where}: unreadable response object in the contract`];
      if (status === 204 || status === 304) {
        return body === undefined ? [] : [`${where}: a ${status} response carries no body`];
      }
      return checkContent(response.content, `${pointer}/content`, body, contentType, where);
    },
  };
}

const loaded = new Map<string, Contract>();

/**
 * The folder holding lakeFS's contract files: `LAKEKEY_CONTRACTS_DIR`, else `../shared/contracts/lakefs` next to the
 * repository (DESIGN §1).
 */
export function lakefsContractsDir(): string {
  if (process.env.LAKEKEY_CONTRACTS_DIR) return process.env.LAKEKEY_CONTRACTS_DIR;
  // This file runs from dist/test/peers/; the repository root is three levels up.
  const repo = lakekeyRepo();
  const shared = join(repo, '..', 'shared', 'contracts', 'lakefs');
  // The shared copy is the source of truth; the vendored one serves a plain clone.
  return existsSync(shared) ? shared : join(repo, 'test', 'contracts', 'lakefs');
}

export function lakekeyRepo(): string {
  return process.env.LAKEKEY_REPO || fileURLToPath(new URL('../../../', import.meta.url));
}

/**
 * lakeFS's server API (`swagger.yml`), remote authenticator API (`authentication.yml`) or external auth service API
 * (`authorization.yml`), loaded once per process.
 */
export function lakefsContract(name: 'swagger.yml' | 'authentication.yml' | 'authorization.yml'): Contract {
  const path = join(lakefsContractsDir(), name);
  let contract = loaded.get(path);
  if (!contract) {
    if (!existsSync(path)) throw new Error(`lakeFS contract ${path} is missing (set LAKEKEY_CONTRACTS_DIR to its folder)`);
    contract = loadContract(path);
    loaded.set(path, contract);
  }
  return contract;
}
