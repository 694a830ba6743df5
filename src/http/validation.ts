import type { FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import type { ValidationIssue } from '../errors.ts';

/** Carries Zod's issues from the validator to the error handler, where they become `details.issues`. */
export class SchemaValidationError extends Error {
  readonly issues: ValidationIssue[];
  validationContext?: string;

  constructor(issues: ValidationIssue[]) {
    super(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '));
    this.name = 'SchemaValidationError';
    this.issues = issues;
  }
}

/**
 * Fastify validator compiler for Zod schemas. It keeps Zod's issues intact (instead of Ajv-style
 * messages) so every failure reaches the caller as `{ path, code, message }`, one per field,
 * and an unknown field is named by its own path.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema }) => (data) => {
  const unstorable = unstorableText(data);
  if (unstorable) return { error: new SchemaValidationError([unstorable]) };
  const result = schema.safeParse(data);
  if (result.success) return { value: result.data };
  return { error: new SchemaValidationError(toValidationIssues(result.error.issues)) };
};

/**
 * The first string (value or key) in a body, query or path that no database can store as sent:
 * one holding U+0000 (Postgres text refuses it) or a lone surrogate (not Unicode; both engines
 * would store a replacement character instead). Iterative: bodies are bounded to 32 levels, but
 * this walk needs no such promise.
 */
function unstorableText(data: unknown): ValidationIssue | null {
  const pending: Array<[unknown, PropertyKey[]]> = [[data, []]];
  while (pending.length > 0) {
    const [value, path] = pending.pop() as [unknown, PropertyKey[]];
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) return { path: formatPath(path), code: 'invalid_string', message: problem };
    } else if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        const problem = textProblem(key);
        if (problem) return { path: formatPath([...path, key]), code: 'invalid_key', message: problem };
        pending.push([child, [...path, Array.isArray(value) ? Number(key) : key]]);
      }
    }
  }
  return null;
}

function textProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'Must not contain the NUL character (U+0000).';
  if (!text.isWellFormed()) return 'Must be well-formed Unicode (no lone surrogates).';
  return null;
}

export function toValidationIssues(issues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  return issues.flatMap((issue): ValidationIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: formatPath([...issue.path, key]),
        code: 'unrecognized_keys',
        message: `Unknown field "${key}".`,
      }));
    }
    return [{ path: formatPath(issue.path), code: issue.code, message: issue.message }];
  });
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}
