import { Op, type Model, type Transaction } from 'sequelize';
import { Agent, AgentDepartment, Conversation, ConversationEvent, Message, SlaPolicy, SlaTimer } from '../../db/models';
import { OPEN_STATUSES, type SlaState } from '../../db/models/Conversation';
import type { SlaTimerKind } from '../../db/models/SlaTimer';
import type { BusinessCalendar } from '../calendar/businessCalendar';
import { loadBusinessCalendar } from '../calendar/calendarStore';
import { bucharestDate } from '../calendar/dates';
import { LEGAL_TERM_DAYS, legalDeadline, workingDaysBefore } from '../calendar/legalDeadline';
import type { AppContext } from '../context';
import { dueMoment, momentAt, pauseClock, resumeClock, usedAt, warnMs, type ClockState } from './clock';
import { matchPolicy } from './matchPolicy';

/** Statuses that end every clock without a verdict: the case needs no answer of its own. */
const EXCLUDED = new Set(['joined', 'filed_away', 'spam']);

/** What one recompute did; `eventIds` are the timeline rows it wrote (warnings, breaches, escalations). */
export interface SlaRecomputeResult {
  conversationId: number;
  eventIds: number[];
  slaState: SlaState;
  dueAt: Date | null;
}

interface PendingEvent {
  type: string;
  data: Record<string, unknown>;
}

/**
 * Recomputes a case's SLA clocks and due dates from its current state, and raises what is due: `sla.warning` at
 * the warning share, `sla.breached` at the due moment (each once per clock, guarded by `warnedAt`/`breachedAt`),
 * then escalates a breach. Runs in its own transaction (or the caller's) with the case locked; events are
 * published after commit. Safe to run any number of times: a second run with nothing new changes nothing.
 */
export async function recomputeSla(ctx: AppContext, conversationId: number, opts: { now?: Date; transaction?: Transaction } = {}): Promise<SlaRecomputeResult | null> {
  if (opts.transaction) return recomputeInTransaction(ctx, conversationId, opts.now ?? new Date(), opts.transaction);
  return ctx.db.transaction((t) => recomputeInTransaction(ctx, conversationId, opts.now ?? new Date(), t));
}

async function recomputeInTransaction(ctx: AppContext, conversationId: number, now: Date, transaction: Transaction): Promise<SlaRecomputeResult | null> {
  const conv = await Conversation.findByPk(conversationId, { transaction, lock: transaction.LOCK.UPDATE });
  if (!conv) return null;
  const cal = await loadBusinessCalendar({ transaction });
  const policies = await SlaPolicy.findAll({ where: { active: true }, transaction });
  const policy = matchPolicy(policies, conv);
  const existing = await SlaTimer.findAll({ where: { conversationId }, transaction });
  const timers = new Map<SlaTimerKind, SlaTimer>(existing.map((t) => [t.kind, t]));
  const events: PendingEvent[] = [];

  const open = OPEN_STATUSES.includes(conv.status);
  const excluded = EXCLUDED.has(conv.status);
  const paused = conv.status === 'pending_citizen';
  const pausedAt = conv.slaPausedAt ?? now;
  const endedAt = conv.resolvedAt ?? conv.closedAt ?? now;
  const share = (policy?.warnPercent ?? Math.round(cal.spec.warnShare * 100)) / 100;
  const minutes = (m: number | null | undefined) => (m === null || m === undefined ? null : m * 60_000);

  // Service clocks: first response and resolution run from registration.
  const service = async (kind: SlaTimerKind, targetMs: number | null, startedAt: Date, stopAt: Date | null) => {
    let t = timers.get(kind);
    if (!t) {
      t = SlaTimer.build({
        conversationId, kind, policyId: policy?.id ?? null, targetMs, termDays: null, startedAt, usedMs: 0, runningSince: startedAt,
        dueAt: null, warnAt: null, warnedAt: null, breachedAt: null, stoppedAt: null, outcome: null, decidedAt: null, elapsedMs: null,
      });
      timers.set(kind, t);
    }
    if (t.stoppedAt === null) {
      set(t, 'policyId', policy?.id ?? null);
      set(t, 'targetMs', targetMs);
    }
    await advanceServiceClock(cal, t, { paused, pausedAt, stopAt, excluded, now, share }, events);
  };

  await service('first_response', minutes(policy?.firstResponseMinutes), conv.registeredAt, conv.firstRespondedAt ?? (open ? null : endedAt));
  await service('resolution', minutes(policy?.resolutionMinutes), conv.registeredAt, open ? null : endedAt);
  if (open && timers.get('resolution')?.stoppedAt) reopen(timers.get('resolution')!, now);

  // Next response: from the citizen's latest message after the first reply until the next reply.
  if (conv.firstRespondedAt && conv.lastInboundAt && conv.lastInboundAt > conv.firstRespondedAt) {
    const reply = await Message.findOne({
      where: { conversationId, direction: 'outbound', automatic: false, receivedAt: { [Op.gte]: conv.lastInboundAt } },
      order: [['receivedAt', 'ASC']],
      attributes: ['id', 'receivedAt'],
      transaction,
    });
    const t = timers.get('next_response');
    if (t && t.startedAt.getTime() !== conv.lastInboundAt.getTime()) {
      // A new round: the citizen wrote again after the last reply.
      t.set({ startedAt: conv.lastInboundAt, usedMs: 0, runningSince: conv.lastInboundAt, warnedAt: null, breachedAt: null, stoppedAt: null, outcome: null, decidedAt: null, elapsedMs: null });
    }
    await service('next_response', minutes(policy?.nextResponseMinutes), conv.lastInboundAt, reply ? reply.receivedAt : open ? null : endedAt);
  }

  // The legal deadline, in calendar days by the Romanian rule, moved by the admin's calendar.
  await legalClock(cal, conv, timers, { now, excluded }, events);

  // Due dates on the case (nulls while paused or met), the nearest one, the state.
  const running = (k: SlaTimerKind) => {
    const t = timers.get(k);
    return t && !t.stoppedAt ? t.dueAt : null;
  };
  set(conv, 'firstResponseDueAt', running('first_response'));
  set(conv, 'nextResponseDueAt', running('next_response'));
  set(conv, 'resolutionDueAt', running('resolution'));
  const legal = timers.get('legal');
  const candidates = [conv.firstResponseDueAt, conv.nextResponseDueAt, conv.resolutionDueAt, legal && !legal.stoppedAt ? legal.warnAt : null];
  const nearest = candidates.filter((d): d is Date => d !== null).sort((a, b) => a.getTime() - b.getTime())[0] ?? null;
  // A paused case keeps its place in the queue by its legal target, or its last due date.
  if (nearest || !paused) set(conv, 'dueAt', nearest);
  set(conv, 'slaPausedAt', paused ? pausedAt : null);
  set(conv, 'slaState', slaStateOf([...timers.values()]));

  const breaches = events.filter((e) => e.type === 'sla.breached');
  if (breaches.length && open) events.push(...(await escalate(conv, policy, breaches, transaction)));

  // Routing orders its queue by dueAt and priority, and the console shows the state: tell them when these moved.
  const visible = ['dueAt', 'priority', 'slaState', 'assigneeId', 'firstResponseDueAt', 'nextResponseDueAt', 'resolutionDueAt', 'legalDueDate'].some((k) => conv.changed(k as keyof Conversation));
  await conv.save({ transaction });
  for (const t of timers.values()) if (t.isNewRecord || t.changed()) await t.save({ transaction });
  const rows = events.length
    ? await ConversationEvent.bulkCreate(
        events.map((e) => ({ conversationId, type: e.type, actorType: 'system' as const, actorId: null, data: e.data, public: false })),
        { transaction },
      )
    : [];
  const eventIds = rows.map((r) => r.id);
  if (eventIds.length || visible) {
    transaction.afterCommit(() => {
      ctx.events.emit('conversation.changed', { conversationId, eventIds });
      for (const e of events) {
        if (e.type === 'sla.warning' || e.type === 'sla.breached') {
          ctx.events.emit('sla.alert', { conversationId, level: e.type === 'sla.warning' ? 'warning' : 'breached', kind: e.data.kind as SlaTimerKind, departmentId: conv.departmentId ?? null });
        }
      }
    });
  }
  return { conversationId, eventIds, slaState: conv.slaState, dueAt: conv.dueAt };
}

interface ClockContext {
  paused: boolean;
  pausedAt: Date;
  stopAt: Date | null;
  excluded: boolean;
  now: Date;
  share: number;
}

async function advanceServiceClock(cal: BusinessCalendar, t: SlaTimer, c: ClockContext, events: PendingEvent[]): Promise<void> {
  if (t.stoppedAt) return;
  let clock: ClockState = { targetMs: t.targetMs, usedMs: t.usedMs, runningSince: t.runningSince };
  // A case waiting on the citizen stops the clock from the moment it started waiting.
  const pauseAt = c.paused ? maxDate(c.pausedAt, t.runningSince ?? c.pausedAt) : null;
  const horizon = c.stopAt ?? pauseAt ?? c.now;
  raiseCrossings(cal, t, clock, horizon, c.share, events);
  if (c.stopAt) {
    clock = pauseClock(cal, clock, c.stopAt);
    t.set({ usedMs: clock.usedMs, runningSince: null, stoppedAt: c.stopAt, elapsedMs: c.stopAt.getTime() - t.startedAt.getTime(), dueAt: null, warnAt: null });
    if (c.excluded) t.set({ outcome: null, decidedAt: null });
    else if (!t.outcome) t.set({ outcome: t.targetMs === null ? null : 'met', decidedAt: c.stopAt });
    return;
  }
  clock = c.paused ? pauseClock(cal, clock, pauseAt!) : resumeClock(clock, c.now);
  set(t, 'usedMs', clock.usedMs);
  set(t, 'runningSince', clock.runningSince);
  set(t, 'dueAt', dueMoment(cal, clock));
  set(t, 'warnAt', t.targetMs === null ? null : momentAt(cal, clock, warnMs(t.targetMs, c.share)));
}

/** Raises the warning and the breach a clock crossed by `at` (each only once). */
function raiseCrossings(cal: BusinessCalendar, t: SlaTimer, clock: ClockState, at: Date, share: number, events: PendingEvent[]): void {
  if (t.targetMs === null) return;
  const used = usedAt(cal, clock, at);
  if (!t.warnedAt && used >= warnMs(t.targetMs, share)) {
    const when = momentAt(cal, clock, warnMs(t.targetMs, share)) ?? at;
    t.warnedAt = minDate(when, at);
    events.push({ type: 'sla.warning', data: { kind: t.kind, dueAt: (dueMoment(cal, clock) ?? at).toISOString(), targetMinutes: t.targetMs / 60_000 } });
  }
  if (!t.breachedAt && used > t.targetMs) {
    const due = dueMoment(cal, clock) ?? at;
    t.set({ breachedAt: minDate(due, at), outcome: 'breached', decidedAt: minDate(due, at) });
    events.push({ type: 'sla.breached', data: { kind: t.kind, dueAt: due.toISOString(), targetMinutes: t.targetMs / 60_000 } });
  }
}

async function legalClock(
  cal: BusinessCalendar,
  conv: Conversation,
  timers: Map<SlaTimerKind, SlaTimer>,
  c: { now: Date; excluded: boolean },
  events: PendingEvent[],
): Promise<void> {
  let t = timers.get('legal');
  if (conv.legalBasis === 'none') {
    if (t && !t.stoppedAt) t.set({ stoppedAt: c.now, runningSince: null, outcome: null, decidedAt: null, dueAt: null, warnAt: null });
    set(conv, 'legalDueDate', null);
    set(conv, 'internalDueDate', null);
    return;
  }
  const base: number = LEGAL_TERM_DAYS[conv.legalBasis as 'petition' | 'public_information'];
  // An extension (petition +≤15, information request 10 → 30) is recorded on the clock by its command.
  const termDays = conv.legalExtendedAt && t?.termDays ? t.termDays : base;
  const registeredOn = bucharestDate(conv.registeredAt);
  const legalDue = legalDeadline(registeredOn, termDays, cal.isWorkingDay);
  const internal = workingDaysBefore(legalDue, cal.spec.legalMarginWorkingDays, cal.isWorkingDay);
  set(conv, 'legalDueDate', legalDue);
  set(conv, 'internalDueDate', internal);
  const dueAt = cal.endOfOfficeDay(legalDue);
  const warnAt = cal.endOfOfficeDay(internal);
  if (!t) {
    t = SlaTimer.build({
      conversationId: conv.id, kind: 'legal', policyId: null, targetMs: null, termDays, startedAt: conv.registeredAt, usedMs: 0,
      runningSince: conv.registeredAt, dueAt, warnAt, warnedAt: null, breachedAt: null, stoppedAt: null, outcome: null, decidedAt: null, elapsedMs: null,
    });
    timers.set('legal', t);
  }
  set(t, 'termDays', termDays);
  const answeredAt = conv.answeredAt ?? conv.resolvedAt ?? (OPEN_STATUSES.includes(conv.status) ? null : conv.closedAt ?? c.now);
  if (t.stoppedAt && !answeredAt) {
    t.set({ stoppedAt: null, runningSince: t.startedAt, outcome: t.breachedAt ? 'breached' : null, decidedAt: t.breachedAt }); // reopened
  }
  if (t.stoppedAt) return;
  set(t, 'dueAt', dueAt);
  set(t, 'warnAt', warnAt);
  const horizon = answeredAt ?? c.now;
  // The law's day ends at 24:00 (Civil Code art. 2553(2)); the office day ends earlier: breach after the office day.
  if (!t.warnedAt && horizon >= warnAt && !c.excluded) {
    t.warnedAt = minDate(warnAt, horizon);
    events.push({ type: 'sla.warning', data: { kind: 'legal', dueAt: dueAt.toISOString(), legalDueDate: legalDue, internalDueDate: internal } });
  }
  if (!t.breachedAt && horizon > dueAt && !c.excluded) {
    t.set({ breachedAt: dueAt, outcome: 'breached', decidedAt: dueAt });
    events.push({ type: 'sla.breached', data: { kind: 'legal', dueAt: dueAt.toISOString(), legalDueDate: legalDue } });
  }
  if (answeredAt) {
    t.set({ stoppedAt: answeredAt, runningSince: null, elapsedMs: answeredAt.getTime() - t.startedAt.getTime() });
    if (c.excluded) t.set({ outcome: null, decidedAt: null });
    else if (!t.outcome) t.set({ outcome: 'met', decidedAt: answeredAt });
  }
}

function reopen(t: SlaTimer, now: Date): void {
  // A resolved case the citizen reopened: the resolution clock runs again from where it stopped.
  t.set({ stoppedAt: null, runningSince: now, elapsedMs: null });
  if (t.outcome === 'met') t.set({ outcome: null, decidedAt: null });
}

/**
 * Escalation of a breach: the case's priority goes up (to the policy's level, or by one), the supervisors of its
 * department are named in the timeline (the realtime layer notifies them from `sla.alert`), and, when the policy
 * says so, the case is taken from its assignee to be offered again.
 */
async function escalate(conv: Conversation, policy: SlaPolicy | null, breaches: PendingEvent[], transaction: Transaction): Promise<PendingEvent[]> {
  const from = conv.priority;
  const to = Math.max(from, policy?.escalatePriority ?? from + 1);
  conv.priority = to;
  const supervisors = await Agent.findAll({ where: { role: 'supervisor', active: true }, attributes: ['id', 'allDepartments'], transaction });
  let notified = supervisors.filter((s) => s.allDepartments).map((s) => s.id);
  if (conv.departmentId) {
    const links = await AgentDepartment.findAll({ where: { departmentId: conv.departmentId, agentId: supervisors.map((s) => s.id) }, transaction });
    notified = [...new Set([...notified, ...links.map((l) => l.agentId)])];
  }
  const out: PendingEvent[] = [
    { type: 'sla.escalated', data: { kinds: breaches.map((b) => b.data.kind), priorityFrom: from, priorityTo: to, notifiedAgentIds: notified.sort((a, b) => a - b) } },
  ];
  if (policy?.reassignOnBreach && conv.assigneeId) {
    out.push({ type: 'conversation.unassigned', data: { previousAssigneeId: conv.assigneeId, reason: 'sla_breached' } });
    conv.assigneeId = null;
  }
  return out;
}

function slaStateOf(timers: SlaTimer[]): SlaState {
  const live = timers.filter((t) => !t.stoppedAt && (t.targetMs !== null || t.kind === 'legal'));
  if (live.some((t) => t.breachedAt)) return 'breached';
  if (live.some((t) => t.warnedAt)) return 'warning';
  if (live.length) return 'ok';
  return timers.some((t) => t.outcome === 'breached') ? 'breached' : timers.some((t) => t.outcome === 'met') ? 'ok' : 'none';
}

/** Sets a field only when the value differs (dates compared by time), so an unchanged row is not written. */
function set(row: Model, key: string, value: unknown): void {
  const old = (row.get as (k: string) => unknown).call(row, key);
  const same = old instanceof Date && value instanceof Date ? old.getTime() === value.getTime() : old === value;
  if (!same) (row.set as (k: string, v: unknown) => void).call(row, key, value);
}

function minDate(a: Date, b: Date): Date {
  return a.getTime() <= b.getTime() ? a : b;
}
function maxDate(a: Date, b: Date): Date {
  return a.getTime() >= b.getTime() ? a : b;
}
