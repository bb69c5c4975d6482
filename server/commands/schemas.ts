import { z } from 'zod';
import { CHANNEL_KINDS, LANGUAGES } from '../../channels/contract';
import { CONVERSATION_STATUSES } from '../../db/models/Conversation';
import { validationError } from '../errors';
import { RESOLUTIONS, SETTABLE_STATUSES } from './statusMachine';

/** One zod schema per request shape of the case commands; the inferred types sit beside them. */

const id = z.number({ message: 'must be a number' }).int('must be a whole number').positive('must be positive');
const text = (max: number) => z.string({ message: 'must be text' }).trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

export const ReplySchema = z
  .object({
    text: text(100_000),
    subject: z.string().trim().max(998).optional(),
    channel: z.enum(CHANNEL_KINDS, { message: `must be one of ${CHANNEL_KINDS.join(', ')}` }).optional(),
    statusAfter: z.enum(SETTABLE_STATUSES, { message: `must be one of ${SETTABLE_STATUSES.join(', ')}` }).optional(),
    resolution: z.enum(RESOLUTIONS, { message: `must be one of ${RESOLUTIONS.join(', ')}` }).optional(),
    cannedResponseId: id.optional(),
  })
  .strict();
export type ReplyRequest = z.infer<typeof ReplySchema>;

export const NoteSchema = z.object({ text: text(20_000), mentionAgentIds: z.array(id).max(50).optional() }).strict();
export type NoteRequest = z.infer<typeof NoteSchema>;

export const StatusSchema = z
  .object({
    status: z.enum(SETTABLE_STATUSES, { message: `must be one of ${SETTABLE_STATUSES.join(', ')}` }),
    resolution: z.enum(RESOLUTIONS, { message: `must be one of ${RESOLUTIONS.join(', ')}` }).optional(),
    reason: z.string().trim().max(1000).optional(),
    expectedStatus: z.enum(CONVERSATION_STATUSES).optional(),
  })
  .strict();
export type StatusRequest = z.infer<typeof StatusSchema>;

export const CategorySchema = z.object({ categoryId: id.nullable(), moveToDepartment: z.boolean().optional() }).strict();
export type CategoryRequest = z.infer<typeof CategorySchema>;

export const DepartmentSchema = z.object({ departmentId: id.nullable(), note: z.string().trim().max(2000).optional() }).strict();
export type DepartmentRequest = z.infer<typeof DepartmentSchema>;

export const TransferSchema = z.union(
  [
    z.object({ toAgentId: id, note: z.string().trim().max(2000).optional() }).strict(),
    z.object({ toDepartmentId: id.nullable(), note: z.string().trim().max(2000).optional() }).strict(),
  ],
  { message: 'send either toAgentId or toDepartmentId (null for the general queue)' },
);
export type TransferRequest = z.infer<typeof TransferSchema>;

export const JoinSchema = z.object({ duplicateIds: z.array(id).min(1, 'must name at least one case').max(50, 'must name at most 50 cases') }).strict();
export type JoinRequest = z.infer<typeof JoinSchema>;

export const CannedResponseSchema = z
  .object({
    title: text(200),
    body: text(20_000),
    language: z.enum(LANGUAGES, { message: 'must be ro or en' }).default('ro'),
    shortcut: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be lower-case letters, digits, - or _ (e.g. confirmare)')
      .nullable()
      .optional(),
    departmentId: id.nullable().optional(),
    active: z.boolean().optional(),
  })
  .strict();
export type CannedResponseRequest = z.infer<typeof CannedResponseSchema>;
export const CannedResponsePatchSchema = CannedResponseSchema.partial().strict();

export const CannedListQuerySchema = z.object({
  language: z.enum(LANGUAGES, { message: 'must be ro or en' }).optional(),
  q: z.string().trim().max(200).optional(),
  includeInactive: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
});

export const RenderQuerySchema = z.object({ conversationId: z.coerce.number({ message: 'must be a case id' }).int().positive('must be a case id') });

export const SearchQuerySchema = z.object({
  q: z.string({ message: 'is required: a registration number, name, phone, email or words' }).trim().min(2, 'must be at least 2 characters').max(200, 'must be at most 200 characters'),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const IdParamsSchema = z.object({ id: z.string().regex(/^[1-9]\d{0,9}$/, 'must be a positive whole number').transform(Number) });

/** Parses a request part, reporting the first issue under the field name the client sent. */
export function parseRequest<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : 'body';
  throw validationError(field, issue.message, { issues: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) });
}
