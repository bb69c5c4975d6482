import { Conversation, ConversationEvent, Department } from '../../db/models';
import type { AppContext } from '../context';
import type { DomainEvents } from '../events/bus';
import { logger } from '../log';
import type { AgentsNamespace, SlaAlertPayload, SlaAlertView, WallboardNamespace } from './contract';
import { rooms } from './rooms';

const log = logger('realtime.sla');

/** How many recent rows of the alert's type are looked through for the one of the alert's clock. */
const RECENT_ROWS = 8;

/**
 * Delivers `sla.alert` domain events as socket events: to the case's assignee, the supervisors of its department,
 * supervisors of every department and admins, and the wallboard. The case and the timeline row are re-read, so the
 * view shows the state after commit (the assignee may have changed with the breach).
 */
export function startSlaAlerts(ctx: AppContext, agents: AgentsNamespace, wallboard: WallboardNamespace): () => void {
  // Handlers of the bus run concurrently: a case's warning and breach raised by one recompute would otherwise race
  // through their reads and could reach the console breach first, warning last (the console keeps the last one of a
  // clock). Deliveries of one case are chained, so they leave in the order they were raised.
  const chains = new Map<number, Promise<void>>();
  const deliver = async (p: DomainEvents['sla.alert']): Promise<void> => {
    try {
      const found = await loadSlaAlert(p);
      if (!found) return;
      const { alert } = found;
      const to: string[] = [rooms.allSupervisors];
      if (alert.departmentId !== null) to.push(rooms.supervisors(alert.departmentId));
      if (alert.assigneeId !== null) to.push(rooms.agent(alert.assigneeId));
      agents.to(to).emit('sla.alert', found);
      wallboard.emit('sla.alert', found);
    } catch (err) {
      log.error({ err, conversationId: p.conversationId }, 'sla alert not delivered');
    }
  };
  return ctx.events.on('sla.alert', (p) => {
    const next = (chains.get(p.conversationId) ?? Promise.resolve()).then(() => deliver(p));
    chains.set(p.conversationId, next);
    void next.then(() => {
      if (chains.get(p.conversationId) === next) chains.delete(p.conversationId);
    });
    return next;
  });
}

/** The alert's view from the case and its `sla.warning` / `sla.breached` row; null when the case is gone. */
export async function loadSlaAlert(p: DomainEvents['sla.alert']): Promise<SlaAlertPayload | null> {
  const c = await Conversation.findByPk(p.conversationId, {
    attributes: ['id', 'registrationNumber', 'departmentId', 'assigneeId', 'legalDueDate', 'dueAt'],
  });
  if (!c) return null;
  const type = p.level === 'warning' ? 'sla.warning' : 'sla.breached';
  const rows = await ConversationEvent.findAll({ where: { conversationId: c.id, type }, order: [['id', 'DESC']], limit: RECENT_ROWS });
  const row = rows.find((r) => r.data?.kind === p.kind) ?? null;
  const dueAt = typeof row?.data?.dueAt === 'string' ? row.data.dueAt : c.dueAt ? c.dueAt.toISOString() : null;
  const department = c.departmentId === null ? null : await Department.findByPk(c.departmentId, { attributes: ['id', 'nameRo'] });
  const alert: SlaAlertView = {
    conversationId: c.id,
    registrationNumber: c.registrationNumber,
    level: p.level,
    kind: p.kind,
    dueAt,
    legalDueDate: c.legalDueDate ?? null,
    departmentId: c.departmentId ?? null,
    departmentName: department?.nameRo ?? null,
    assigneeId: c.assigneeId ?? null,
    raisedAt: (row?.createdAt ?? new Date()).toISOString(),
  };
  return { eventId: row?.id ?? null, alert };
}
