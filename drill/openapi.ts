import type { FastifyInstance } from 'fastify';

/**
 * The routes as /openapi.json documents them: the drills discover what to attack from the same
 * document partners read, so a new route is drilled the day it is documented.
 */
export type JsonSchema = Record<string, any>;

export interface Operation {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  /** The documented path, `{param}` placeholders included. */
  path: string;
  pathParams: string[];
  query: Array<{ name: string; schema: JsonSchema; required: boolean }>;
  body: JsonSchema | null;
  /** False for routes documented with `security: []` (no API key). */
  authenticated: boolean;
  tags: string[];
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, JsonSchema>>;
  components: { schemas: Record<string, JsonSchema> };
}

export async function discoverOperations(app: FastifyInstance): Promise<{ document: OpenApiDocument; operations: Operation[] }> {
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  if (res.statusCode !== 200) throw new Error(`/openapi.json answered ${res.statusCode}`);
  const document = res.json() as OpenApiDocument;
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const parameters = (operation.parameters ?? []) as Array<{ in: string; name: string; schema: JsonSchema; required?: boolean }>;
      operations.push({
        method: method.toUpperCase() as Operation['method'],
        path,
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema, required: p.required === true })),
        body: operation.requestBody?.content?.['application/json']?.schema ?? null,
        authenticated: !(Array.isArray(operation.security) && operation.security.length === 0),
        tags: operation.tags ?? [],
      });
    }
  }
  return { document, operations };
}

export function resolve(schema: JsonSchema, document: OpenApiDocument): JsonSchema {
  let current = schema;
  for (let hops = 0; typeof current.$ref === 'string' && hops < 10; hops++) {
    current = document.components.schemas[current.$ref.replace('#/components/schemas/', '')] ?? {};
  }
  return current;
}

/**
 * A valid value for `schema`: `hints` by property name first (ids, time zones, URLs the schema
 * cannot describe), then the schema's own example or default, then the smallest value its
 * constraints allow. Optional properties are left out.
 */
export function validValue(schema: JsonSchema, document: OpenApiDocument, hints: Record<string, unknown>, name?: string): unknown {
  const s = resolve(schema, document);
  if (name !== undefined && name in hints) return hints[name];
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if (s.default !== undefined) return s.default;
  const options = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (options) return validValue(options.find((o) => resolve(o, document).type !== 'null') ?? options[0] ?? {}, document, hints, name);
  if (Array.isArray(s.enum)) return s.enum[0];
  switch (s.type) {
    case 'object': {
      const value: Record<string, unknown> = {};
      for (const key of (s.required ?? []) as string[]) value[key] = validValue(s.properties?.[key] ?? {}, document, hints, key);
      return value;
    }
    case 'array':
      return Array.from({ length: Math.max(1, s.minItems ?? 1) }, () => validValue(s.items ?? {}, document, hints));
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    default:
      if (s.format === 'email') return 'drill@example.com';
      if (s.format === 'uri') return 'https://app.example.com/drill';
      if (s.format === 'date-time') return new Date().toISOString();
      return 'x'.repeat(Math.min(Math.max(s.minLength ?? 3, 3), s.maxLength ?? 3));
  }
}

/** The top-level properties of a body schema (for placing ids in bodies). */
export function bodyProperties(schema: JsonSchema | null, document: OpenApiDocument): string[] {
  if (!schema) return [];
  return Object.keys(resolve(schema, document).properties ?? {});
}

export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for {${name}} in ${path}`);
    return percentEncode(value);
  });
}

/** encodeURIComponent for any string, lone surrogates included (as their UTF-8 replacement bytes). */
export function percentEncode(value: string): string {
  return Array.from(Buffer.from(value, 'utf8'), (byte) =>
    /[A-Za-z0-9_.~-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
  ).join('');
}
