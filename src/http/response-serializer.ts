import fastJsonStringify from 'fast-json-stringify';
import type { FastifySerializerCompiler } from 'fastify';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

type JsonSchema = { [key: string]: unknown };

/**
 * Writes each response with a serializer compiled once from the JSON Schema of its Zod schema
 * (fast-json-stringify) instead of checking it against the Zod schema and `JSON.stringify`ing the
 * result on every response: for a page of 50 items the check was the route's largest item
 * (docs/performance.md). Both write the schema's properties in the schema's order and leave out the
 * others, so the bytes are the same; with `checkResponses` (the tests) every response is also
 * checked against its Zod schema and its bytes compared with what the Zod path writes, so a
 * difference fails the test that produced it. A schema without a JSON Schema form keeps the Zod path.
 */
export function responseSerializerCompiler(options: { checkResponses: boolean }): FastifySerializerCompiler<unknown> {
  return (route) => {
    const zodSerialize = zodSerializerCompiler(route as Parameters<typeof zodSerializerCompiler>[0]);
    const stringify = compileStringify(route.schema);
    if (!stringify) return zodSerialize;
    if (!options.checkResponses) return stringify;
    return (data) => {
      const expected = zodSerialize(data);
      const written = stringify(data);
      if (written !== expected) {
        throw new Error(`${route.method} ${route.url} ${route.httpStatus}: compiled serializer wrote ${written}, the Zod schema ${expected}`);
      }
      return written;
    };
  };
}

function compileStringify(schema: unknown): ((data: unknown) => string) | null {
  if (!(schema instanceof z.ZodType)) return null;
  let jsonSchema: JsonSchema;
  try {
    // An empty registry inlines every schema (no $ref into the OpenAPI components).
    jsonSchema = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'throw', metadata: z.registry(), target: 'draft-07' }) as JsonSchema;
  } catch {
    return null;
  }
  return fastJsonStringify(withNullableTypes(jsonSchema) as Parameters<typeof fastJsonStringify>[0]) as (data: unknown) => string;
}

/**
 * Zod writes a nullable value as `anyOf: [X, {type: 'null'}]`; fast-json-stringify checks each
 * value of an `anyOf` against its branches with a validator, so the same schema as
 * `type: [X's type, 'null']` is serialized without one.
 */
function withNullableTypes(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withNullableTypes);
  if (typeof schema !== 'object' || schema === null) return schema;
  const entries = Object.entries(schema).map(([key, value]) => [key, withNullableTypes(value)] as const);
  const rewritten = Object.fromEntries(entries) as JsonSchema;
  const branches = rewritten.anyOf;
  if (!Array.isArray(branches) || branches.length !== 2 || Object.keys(rewritten).length !== 1) return rewritten;
  const nullIndex = branches.findIndex((branch) => isNullType(branch));
  const other = branches[1 - nullIndex] as JsonSchema | undefined;
  if (nullIndex < 0 || !other || typeof other.type !== 'string' || other.anyOf !== undefined) return rewritten;
  const nullable: JsonSchema = { ...other, type: [other.type, 'null'] };
  if (Array.isArray(other.enum)) nullable.enum = [...other.enum, null];
  return nullable;
}

function isNullType(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && (schema as JsonSchema).type === 'null' && Object.keys(schema).length === 1;
}
