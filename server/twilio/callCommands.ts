import { QueryTypes, UniqueConstraintError, type Transaction } from 'sequelize';
import { CALL_STATUS_RANK, callerNumber, voiceCallContact, type RecordingParams, type TranscriptionParams, type VoiceParams } from '../../channels/phone/inbound';
import type { Language } from '../../channels/contract';
import { Conversation, ConversationEvent, Department, Message, PhoneCall, type IvrMenuEntry } from '../../db/models';
import type { ActorType } from '../../db/models/ConversationEvent';
import type { AppContext } from '../context';
import { ingestContact } from '../ingest/ingestContact';
import { phoneClock } from './officeHours';
import { startingCalls } from './callRowOnIngest';
import { claimReceipt, withReceiptRetry } from './receipts';

/** A timeline row a call command writes. */
export interface CallEvent {
  type: string;
  data?: Record<string, unknown>;
  public?: boolean;
  actorType?: ActorType;
  actorId?: number | null;
}

/** What a call command sees and may change, all locked in one transaction. */
export interface CallScope {
  call: PhoneCall;
  message: Message;
  transaction: Transaction;
}

/**
 * The first webhook of a call: the call becomes a message of kind call (channel voice, externalId CallSid) in
 * the caller's conversation through ingest, whose transaction also writes the call's routing row and its
 * `call.started` event (writeCallRow) — so the routing engine, which leaves live calls to this module, never sees
 * the case without its live call. Without the hook (no Twilio web module in this process) the row is created
 * right after, as before. A replay finds both and changes nothing.
 */
export async function startCall(ctx: AppContext, p: VoiceParams): Promise<{ messageId: number; conversationId: number; duplicate: boolean }> {
  const contact = voiceCallContact(p);
  const repeatOf = await openVoiceCaseOf(ctx, callerNumber(p.From));
  // Ingest re-checks the case under its lock: closed, filed or spam meanwhile → a new case instead. The call's
  // routing row is written inside ingest's transaction (writeCallRow, registered by the Twilio web module).
  startingCalls.add(p.CallSid);
  const result = await ingestContact(ctx, repeatOf ? { ...contact, threadConversationId: repeatOf } : contact).finally(() => startingCalls.delete(p.CallSid));
  const done = { messageId: result.message.id, conversationId: result.conversation.id, duplicate: result.duplicate };
  if (await PhoneCall.count({ where: { callSid: p.CallSid } })) return done;
  try {
    // Two inserts and a commit: this is on the path of Twilio's first request, which waits for the answer.
    await ctx.db.transaction(async (transaction) => {
      const call = await PhoneCall.create(newCallRow(p.CallSid, result.message.id, result.conversation.id, result.conversation.language), { transaction });
      const event = await ConversationEvent.create(
        { conversationId: call.conversationId, type: 'call.started', actorType: 'system', actorId: null, data: { callId: call.id, messageId: call.messageId, direction: p.Direction ?? 'inbound' }, public: false },
        { transaction },
      );
      transaction.afterCommit(() => ctx.events.emit('conversation.changed', { conversationId: call.conversationId, eventIds: [event.id] }));
    });
  } catch (err) {
    // A replay running at the same moment created the row first: the call is started once.
    if (!(err instanceof UniqueConstraintError)) throw err;
  }
  return done;
}

/** Statuses of a voice case a repeat call joins: still being worked (not resolved, closed, joined, filed or spam). */
const REPEAT_CALL_STATUSES = ['new', 'open', 'pending_citizen', 'pending_department'];

/**
 * A repeat call: the newest voice case of the citizen who owns this number that is still open and had a contact
 * within PHONE_REPEAT_CALL_WINDOW_HOURS (24 by default). A withheld number, or the window set to 0, never threads.
 */
export async function openVoiceCaseOf(ctx: AppContext, phone: string | undefined, now = new Date()): Promise<number | null> {
  const hours = ctx.config.PHONE_REPEAT_CALL_WINDOW_HOURS;
  if (!phone || hours <= 0) return null;
  const since = new Date(now.getTime() - hours * 3_600_000);
  const [row] = await ctx.db.sequelize.query<{ id: number }>(
    `SELECT c.id AS id FROM citizen_identities i JOIN conversations c ON c.citizenId = i.citizenId
      WHERE i.kind = 'phone' AND i.value = :phone AND c.channel = 'voice' AND c.status IN (:statuses)
        AND COALESCE(c.lastInboundAt, c.registeredAt) >= :since
      ORDER BY c.id DESC LIMIT 1`,
    { replacements: { phone, statuses: REPEAT_CALL_STATUSES, since }, type: QueryTypes.SELECT },
  );
  return row ? Number(row.id) : null;
}

function newCallRow(callSid: string, messageId: number, conversationId: number, language: Language) {
  return {
    callSid,
    messageId,
    conversationId,
    language,
    departmentCode: null,
    queueName: null,
    queueSid: null,
    offeredAgentId: null,
    offerExpiresAt: null,
    agentId: null,
    agentDevice: null,
    queuedAt: null,
    bridgedAt: null,
    endedAt: null,
  };
}

/** The routing row of a call whose message exists, created on first use inside the caller's transaction. */
async function findOrCreateCall(callSid: string, transaction: Transaction): Promise<PhoneCall | null> {
  const existing = await PhoneCall.findOne({ where: { callSid }, transaction, lock: transaction.LOCK.UPDATE });
  if (existing) return existing;
  const message = await Message.findOne({ where: { channel: 'voice', externalId: callSid }, transaction });
  if (!message) return null;
  const conversation = await Conversation.findByPk(message.conversationId, { transaction, rejectOnEmpty: true });
  // A concurrent twin creating the same row fails on the unique CallSid; withReceiptRetry runs again and finds it.
  return PhoneCall.create(newCallRow(callSid, message.id, message.conversationId, conversation.language), { transaction });
}

/**
 * Runs one change to a call in one transaction: claims the webhook's receipt (when `receipt` is given), locks
 * the call and its message, applies `fn`, writes the timeline rows, and emits `conversation.changed` after
 * commit. Returns null when the call is unknown or the webhook was applied before.
 */
export async function changeCall<T>(
  ctx: AppContext,
  where: { callSid: string } | { id: number },
  receipt: { kind: string; key: string } | null,
  fn: (scope: CallScope) => Promise<{ events: CallEvent[]; result: T } | null>,
): Promise<T | null> {
  return withReceiptRetry(() =>
    ctx.db.transaction(async (transaction) => {
      const call = 'callSid' in where ? await findOrCreateCall(where.callSid, transaction) : await PhoneCall.findOne({ where, transaction, lock: transaction.LOCK.UPDATE });
      if (!call) return null;
      if (receipt && !(await claimReceipt(receipt.kind, receipt.key, transaction))) return null;
      const message = await Message.findByPk(call.messageId, { transaction, lock: transaction.LOCK.UPDATE, rejectOnEmpty: true });
      const outcome = await fn({ call, message, transaction });
      if (!outcome) return null;
      if (call.changed()) await call.save({ transaction });
      if (message.changed()) await message.save({ transaction });
      const rows = outcome.events.length
        ? await ConversationEvent.bulkCreate(
            outcome.events.map((e) => ({
              conversationId: call.conversationId,
              type: e.type,
              actorType: e.actorType ?? 'system',
              actorId: e.actorId ?? null,
              data: { callId: call.id, messageId: call.messageId, ...e.data },
              public: e.public ?? false,
            })),
            { transaction },
          )
        : [];
      if (rows.length) transaction.afterCommit(() => ctx.events.emit('conversation.changed', { conversationId: call.conversationId, eventIds: rows.map((r) => r.id) }));
      return outcome.result;
    }),
  );
}

/** Sets keys of a message's metadata (a new object, so Sequelize sees the change). */
export function patchMetadata(message: Message, patch: Record<string, unknown>): void {
  message.metadata = { ...message.metadata, ...patch };
}

/**
 * A status callback (queued, ringing, in-progress, completed with its duration…). Deduplicated on
 * (CallSid, CallStatus); the message's status never moves backwards when callbacks arrive out of order, but
 * each status is kept in the history and the timeline.
 */
export async function applyCallStatus(ctx: AppContext, p: VoiceParams): Promise<boolean> {
  const status = p.CallStatus;
  if (!status) return false;
  const applied = await changeCall(ctx, { callSid: p.CallSid }, { kind: 'call.status', key: `${p.CallSid}:${status}` }, async ({ call, message, transaction }) => {
    const meta = message.metadata as { status?: string; statusHistory?: unknown[] };
    const at = new Date();
    const advance = (CALL_STATUS_RANK[status] ?? 0) > (CALL_STATUS_RANK[meta.status ?? ''] ?? 0);
    patchMetadata(message, {
      ...(advance ? { status } : {}),
      ...(p.CallDuration !== undefined ? { durationSeconds: Number(p.CallDuration) } : {}),
      statusHistory: [...(meta.statusHistory ?? []), { status, at: at.toISOString(), ...(p.SequenceNumber ? { sequence: Number(p.SequenceNumber) } : {}) }],
    });
    const events: CallEvent[] = [];
    if ((CALL_STATUS_RANK[status] ?? 0) >= 4 && call.routingState !== 'ended') {
      // The caller hung up while the call rang at an agent's console: the offer goes away there.
      if (call.routingState === 'offered' && call.offeredAgentId) events.push({ type: 'call.offer_revoked', data: { agentId: call.offeredAgentId, reason: 'hung_up' } });
      // The agent's voice slot is free again (their load is shown to colleagues and the wallboard).
      const freed = call.routingState === 'offered' ? call.offeredAgentId : call.agentId;
      if (freed) transaction.afterCommit(() => ctx.events.emit('agent.changed', { agentId: freed }));
      call.routingState = 'ended';
      call.endedAt = at;
      call.offeredAgentId = null;
      call.offerExpiresAt = null;
    }
    const data: Record<string, unknown> = { status };
    if (p.CallDuration !== undefined) data.durationSeconds = Number(p.CallDuration);
    return { events: [{ type: `call.${status.replace(/-/g, '_')}`, data }, ...events], result: true };
  });
  return applied ?? false;
}

/** The caller chose a menu entry in office hours: the call waits in that entry's queue. Replays change nothing. */
export async function queueCall(ctx: AppContext, callSid: string, entry: IvrMenuEntry, language: Language, from: string | null = null): Promise<PhoneCall | null> {
  return changeCall(ctx, { callSid }, null, async ({ call, message, transaction }) => {
    if (call.routingState !== 'ivr') return null;
    call.language = language;
    call.departmentCode = entry.departmentCode;
    call.queueName = entry.queueName;
    call.routingState = 'queued';
    call.queuedAt = phoneClock.now();
    // The caller's number, for the agent's offer card (masked there for agents) and the timeline.
    patchMetadata(message, { menu: { digit: entry.digit, queue: entry.queueName, department: entry.departmentCode }, language, ...(from ? { from } : {}) });
    const conversation = await Conversation.findByPk(call.conversationId, { transaction, lock: transaction.LOCK.UPDATE, rejectOnEmpty: true });
    const department = entry.departmentCode ? await Department.findOne({ where: { code: entry.departmentCode, active: true }, transaction }) : null;
    const events: CallEvent[] = [{ type: 'call.queued', data: { queue: entry.queueName, department: entry.departmentCode, language } }];
    if (department && !conversation.departmentId) {
      conversation.departmentId = department.id;
      events.push({ type: 'conversation.department_changed', data: { departmentId: department.id, reason: 'ivr' } });
    }
    conversation.language = language;
    if (conversation.changed()) await conversation.save({ transaction });
    return { events, result: call };
  });
}

/** Out of office hours: the call goes to voicemail. */
export async function sendToVoicemail(ctx: AppContext, callSid: string): Promise<void> {
  await changeCall(ctx, { callSid }, null, async ({ call, message }) => {
    if (call.routingState === 'voicemail') return null;
    call.routingState = 'voicemail';
    patchMetadata(message, { voicemail: true });
    return { events: [{ type: 'call.voicemail', data: { reason: 'out_of_hours' } }], result: true };
  });
}

/** A recording is ready (voicemail or a recorded conversation). Deduplicated on RecordingSid + status. */
export async function applyRecording(ctx: AppContext, p: RecordingParams): Promise<boolean> {
  const applied = await changeCall(ctx, { callSid: p.CallSid }, { kind: 'recording', key: `${p.RecordingSid}:${p.RecordingStatus}` }, async ({ message }) => {
    const recording = {
      sid: p.RecordingSid,
      url: p.RecordingUrl,
      status: p.RecordingStatus,
      durationSeconds: p.RecordingDuration !== undefined ? Number(p.RecordingDuration) : null,
    };
    patchMetadata(message, { recording });
    return { events: [{ type: 'call.recording', data: { recordingSid: p.RecordingSid, status: p.RecordingStatus, durationSeconds: recording.durationSeconds } }], result: true };
  });
  return applied ?? false;
}

/**
 * A voicemail's transcription, which Twilio sends minutes after the recording. Its text becomes the call
 * message's text, so the agent reads it in the timeline and search finds it. Deduplicated on TranscriptionSid.
 */
export async function applyTranscription(ctx: AppContext, p: TranscriptionParams): Promise<boolean> {
  const applied = await changeCall(ctx, { callSid: p.CallSid }, { kind: 'transcription', key: p.TranscriptionSid }, async ({ message }) => {
    const ok = p.TranscriptionStatus === 'completed';
    if (ok) message.text = p.TranscriptionText.slice(0, 20_000);
    patchMetadata(message, { transcription: { sid: p.TranscriptionSid, status: p.TranscriptionStatus, recordingSid: p.RecordingSid ?? null } });
    return { events: [{ type: ok ? 'call.transcribed' : 'call.transcription_failed', data: { transcriptionSid: p.TranscriptionSid, characters: ok ? p.TranscriptionText.length : 0 } }], result: true };
  });
  return applied ?? false;
}
