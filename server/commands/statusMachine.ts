import type { Conversation, ConversationStatus, Resolution } from '../../db/models/Conversation';
import { conflict, forbidden, validationError } from '../errors';

/**
 * The case's status machine (DESIGN.md): new → open → pending_citizen | pending_department → resolved → closed,
 * plus filed_away and spam. `joined` is entered only by joining duplicates, never by a status change.
 * resolved → resolved records a second, different resolution (answered first, fixed later): the two stay apart.
 */
export const TRANSITIONS: Readonly<Record<ConversationStatus, readonly ConversationStatus[]>> = Object.freeze({
  new: ['open', 'pending_citizen', 'pending_department', 'resolved', 'filed_away', 'spam'],
  open: ['pending_citizen', 'pending_department', 'resolved', 'filed_away', 'spam'],
  pending_citizen: ['open', 'pending_department', 'resolved', 'filed_away', 'spam'],
  pending_department: ['open', 'pending_citizen', 'resolved', 'filed_away'],
  resolved: ['resolved', 'open', 'closed'],
  closed: ['open'],
  joined: [],
  filed_away: ['open'],
  spam: ['open'],
});

/** Transitions that undo a final decision: only supervisors and administrators. */
const SUPERVISOR_ONLY = new Set(['closed>open', 'filed_away>open']);

/** The statuses a command may set (joined comes from joinConversations only). */
export const SETTABLE_STATUSES = ['open', 'pending_citizen', 'pending_department', 'resolved', 'closed', 'filed_away', 'spam'] as const;
export type SettableStatus = (typeof SETTABLE_STATUSES)[number];
export const RESOLUTIONS = ['answered', 'fixed', 'rejected', 'forwarded'] as const;

export interface StatusChangeInput {
  to: SettableStatus;
  resolution?: Resolution;
  supervisor: boolean;
  now: Date;
}

/**
 * Applies a status change to a (locked) case in memory and returns the event data, or throws: 409 for a
 * transition the machine does not allow, 403 for one reserved to supervisors, 400 for a missing resolution.
 */
export function applyStatusChange(c: Conversation, input: StatusChangeInput): Record<string, unknown> {
  const from: ConversationStatus = c.status as ConversationStatus;
  const { to, now } = input;
  if (!TRANSITIONS[from].includes(to)) {
    throw conflict(
      from === 'joined'
        ? `This case was joined into another one; work on that case instead.`
        : `A case in status "${from}" cannot go to "${to}"; allowed next: ${TRANSITIONS[from].join(', ') || 'none'}. Reload the case: someone may have changed it.`,
      'invalid_transition',
    );
  }
  if (SUPERVISOR_ONLY.has(`${from}>${to}`) && !input.supervisor) throw forbidden(`Only a supervisor can reopen a case that is ${from}; ask one.`);
  if (to === 'resolved' && !input.resolution) throw validationError('resolution', `is required when resolving: one of ${RESOLUTIONS.join(', ')}`);
  if (to !== 'resolved' && input.resolution) throw validationError('resolution', 'is only accepted together with status "resolved"');
  if (from === 'resolved' && to === 'resolved' && c.resolution === input.resolution) {
    throw conflict(`The case is already resolved as "${input.resolution}".`, 'invalid_transition');
  }

  const data: Record<string, unknown> = { from, to };
  if (to === 'resolved') {
    const resolution = input.resolution!;
    data.resolution = resolution;
    if (from === 'resolved') data.previousResolution = c.resolution;
    c.resolution = resolution;
    if (!c.resolvedAt || from !== 'resolved') c.resolvedAt = now;
    // "Answered" (the citizen got a reply) and "fixed" (the problem is gone) are separate facts with separate times.
    if (resolution === 'answered' && !c.answeredAt) c.answeredAt = now;
    if (resolution === 'fixed' && !c.fixedAt) c.fixedAt = now;
  } else if (from === 'resolved' || from === 'closed') {
    if (to === 'open') {
      c.resolution = null;
      c.resolvedAt = null;
      c.closedAt = null;
    }
  }
  if (to === 'closed') c.closedAt = now;
  c.status = to;
  return data;
}
