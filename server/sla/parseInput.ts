import type { z } from 'zod';
import { validationError } from '../errors';

/** Parses a request part with its schema, naming the first wrong field in a validation_failed error. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw validationError(issue.path.join('.') || 'body', issue.message, { issues: result.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) });
}
