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
  const result = schema.safeParse(data);
  if (result.success) return { value: result.data };
  return { error: new SchemaValidationError(toValidationIssues(result.error.issues)) };
};

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
