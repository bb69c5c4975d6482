import type { IngestWriteHook } from '../ingest/ingestHooks';

/** CallSids whose first webhook is being ingested by this process right now (startCall adds and removes them). */
export const startingCalls = new Set<string>();

/**
 * The routing row of an inbound call, written in the transaction that ingests the call (keyed by its CallSid, the
 * message's externalId): Twilio's first webhook waits for one commit instead of two, and routing never sees the
 * call's case without its live call (it would queue the case as ordinary voice work). startCall still creates
 * the row when this hook is not registered. Only calls startCall is starting: a voice contact ingested any other way
 * (the demo seed, a test) is not a live call. One function, so registering it from every app of a process keeps one.
 */
export const writeCallRow: IngestWriteHook = async ({ sql, conversation, message, now, timeline }) => {
  if (message.channel !== 'voice' || !message.externalId || !startingCalls.has(message.externalId)) return;
  const call = await sql.run(
    "INSERT INTO phone_calls (callSid, messageId, conversationId, language, routingState, declinedAgentIds, createdAt, updatedAt) VALUES (?, ?, ?, ?, 'ivr', '[]', ?, ?)",
    [message.externalId, message.id, conversation.id, conversation.language, now, now],
  );
  const direction = (message.metadata as { direction?: string }).direction ?? 'inbound';
  void timeline([{ conversationId: conversation.id, type: 'call.started', data: { callId: call.insertId, messageId: message.id, direction } }]);
};
