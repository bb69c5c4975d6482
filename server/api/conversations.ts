import express, { type Router } from 'express';
import { Op, type WhereOptions } from 'sequelize';
import { z } from 'zod';
import { CHANNEL_KINDS } from '../../channels/contract';
import { Agent, Attachment, Category, Citizen, CitizenIdentity, Conversation, ConversationEvent, Department, Message } from '../../db/models';
import { CONVERSATION_STATUSES } from '../../db/models/Conversation';
import { loadSession, requireAgent } from '../auth/sessions';
import { canSee, conversationScope, scopeWhere } from '../auth/visibility';
import type { AppContext } from '../context';
import { notFound, validationError } from '../errors';
import { redactCnpText } from '../text/cnp';
import { lettersOfMessages, mayViewOriginalScan, type CaseLetterView } from './letterView';
import { presentConversationDetail, presentConversationSummary } from './presenters';

/** A comma-separated list of allowed values (`status=new,open`); a repeated parameter counts too. */
function csvOf<T extends readonly [string, ...string[]]>(values: T) {
  return z.preprocess(
    (v) => (Array.isArray(v) ? v.join(',') : v),
    z
      .string()
      .transform((s) => [...new Set(s.split(',').map((x) => x.trim()).filter(Boolean))])
      .pipe(z.array(z.enum(values, { message: `must be a comma-separated list of ${values.join(', ')}` })).min(1, 'must name at least one value')),
  );
}

const SORTS = ['updated', 'created'] as const;
type Sort = (typeof SORTS)[number];

/** The query of GET /conversations. */
export const ConversationListQuerySchema = z.object({
  status: csvOf(CONVERSATION_STATUSES).optional(),
  channel: csvOf(CHANNEL_KINDS).optional(),
  /** A department code, or `general` for the general queue (no department). */
  queue: z.string().trim().min(1, 'must not be empty').max(64, 'must be at most 64 characters').optional(),
  /** `me`, `none`, or an agent id. */
  assignee: z
    .string()
    .trim()
    .regex(/^(me|none|[1-9]\d{0,9})$/, 'must be "me", "none" or an agent id')
    .optional(),
  /** `updated` (most recent activity first, the default) or `created` (newest case first). */
  sort: z.enum(SORTS, { message: `must be one of ${SORTS.join(', ')}` }).default('updated'),
  cursor: z.string().max(200, 'is not a cursor this server gave out').optional(),
  limit: z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').default(25),
});
export type ConversationListQuery = z.infer<typeof ConversationListQuerySchema>;

const CursorSchema = z.object({ s: z.enum(SORTS), t: z.number().int().optional(), i: z.number().int().positive() });
type Cursor = z.infer<typeof CursorSchema>;

/** The position after the last item of a page, opaque to clients. */
function encodeCursor(sort: Sort, last: Conversation): string {
  const cursor: Cursor = sort === 'updated' ? { s: sort, t: last.updatedAt.getTime(), i: last.id } : { s: sort, i: last.id };
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(raw: string, sort: Sort): Cursor {
  let cursor: Cursor;
  try {
    cursor = CursorSchema.parse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
  } catch {
    throw validationError('cursor', 'is not a cursor this server gave out; start again without it');
  }
  if (cursor.s !== sort || (sort === 'updated' && cursor.t === undefined)) {
    throw validationError('cursor', `was made for another sort order; send the same sort (${cursor.s}) or start again without a cursor`);
  }
  return cursor;
}

/** Reports the first zod issue under the name of the field the client sent. */
function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw validationError(String(issue.path[0] ?? 'query'), issue.message, {
    issues: parsed.error.issues.map((i) => ({ field: String(i.path[0] ?? 'query'), message: i.message })),
  });
}

export const IdParamSchema = z.object({ id: z.string().regex(/^[1-9]\d{0,9}$/, 'must be a positive whole number').transform(Number) });

/** The associations a case is shown with in lists. */
export function summaryIncludes() {
  return [
    { model: Category, as: 'category' },
    { model: Department, as: 'department' },
    { model: Agent, as: 'assignee', attributes: ['id', 'name', 'role'] },
    { model: Citizen, as: 'citizen', attributes: ['id', 'name'] },
  ];
}

/** /api/v1/conversations — the agents' inbox and the case screen. */
export function conversationsRouter(ctx: AppContext): Router {
  const router = express.Router();
  router.use(loadSession(ctx), requireAgent);

  router.get('/', async (req, res) => {
    const query = parseOrThrow(ConversationListQuerySchema, req.query);
    const agent = req.agent!;
    const where: WhereOptions<Conversation>[] = [];

    if (query.status) where.push({ status: { [Op.in]: query.status } });
    if (query.channel) where.push({ channel: { [Op.in]: query.channel } });
    if (query.queue === 'general') where.push({ departmentId: null });
    else if (query.queue) {
      const department = await Department.findOne({ where: { code: query.queue } });
      if (!department) throw validationError('queue', `is not a known department code: ${query.queue} (or "general" for the general queue)`);
      where.push({ departmentId: department.id });
    }
    if (query.assignee === 'me') where.push({ assigneeId: agent.id });
    else if (query.assignee === 'none') where.push({ assigneeId: null });
    else if (query.assignee) where.push({ assigneeId: Number(query.assignee) });

    const scope = scopeWhere(await conversationScope(agent));
    if (scope) where.push(scope);

    if (query.cursor) {
      const c = decodeCursor(query.cursor, query.sort);
      // Keyset pagination: rows inserted or moved to the top meanwhile never shift what the next page holds.
      if (query.sort === 'updated') {
        const t = new Date(c.t!);
        where.push({ [Op.or]: [{ updatedAt: { [Op.lt]: t } }, { updatedAt: t, id: { [Op.lt]: c.i } }] });
      } else {
        where.push({ id: { [Op.lt]: c.i } });
      }
    }

    const rows = await Conversation.findAll({
      where: { [Op.and]: where },
      include: summaryIncludes(),
      order: query.sort === 'updated' ? [['updatedAt', 'DESC'], ['id', 'DESC']] : [['id', 'DESC']],
      limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    const nextCursor = rows.length > query.limit ? encodeCursor(query.sort, page[page.length - 1]!) : null;
    res.set('Cache-Control', 'no-store');
    res.json({ items: page.map(presentConversationSummary), nextCursor });
  });

  router.get('/:id', async (req, res) => {
    const { id } = parseOrThrow(IdParamSchema, req.params);
    const conversation = await Conversation.findByPk(id, {
      include: [
        ...summaryIncludes().filter((i) => i.as !== 'citizen'),
        { model: Citizen, as: 'citizen', include: [{ model: CitizenIdentity, as: 'identities' }] },
      ],
      order: [[{ model: Citizen, as: 'citizen' }, { model: CitizenIdentity, as: 'identities' }, 'id', 'ASC']],
    });
    // A case the agent may not see answers like one that does not exist.
    if (!conversation || !canSee(await conversationScope(req.agent!), conversation)) throw notFound('The case');

    const [messages, events] = await Promise.all([
      Message.findAll({
        where: { conversationId: conversation.id },
        include: [
          { model: Attachment, as: 'attachments' },
          { model: Agent, as: 'agent', attributes: ['id', 'name', 'role'] },
        ],
        order: [['receivedAt', 'ASC'], ['id', 'ASC'], [{ model: Attachment, as: 'attachments' }, 'id', 'ASC']],
      }),
      ConversationEvent.findAll({ where: { conversationId: conversation.id }, order: [['id', 'ASC']] }),
    ]);
    const detail = presentConversationDetail(conversation, messages, events);
    // A letter shows its pages (images through the letters API) and their redacted text; its original scan is
    // listed only for the roles that may open it.
    const letters = await lettersOfMessages(messages);
    const scanAllowed = mayViewOriginalScan(req.agent!);
    for (const entry of detail.timeline) {
      if (entry.kind !== 'message' || entry.message.channel !== 'letter' || entry.message.direction !== 'inbound') continue;
      const m = entry.message as typeof entry.message & { letter: CaseLetterView | null; originalScanHidden: boolean };
      m.text = redactCnpText(m.text);
      m.letter = letters.get(m.id) ?? null;
      m.originalScanHidden = !scanAllowed && m.attachments.length > 0;
      if (!scanAllowed) m.attachments = [];
    }
    res.set('Cache-Control', 'no-store');
    res.json(detail);
  });

  return router;
}
