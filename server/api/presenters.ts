import type { IngestResult } from '../ingest/ingestContact';

/** What the integration API answers for an ingested contact. */
export function presentIngestResult(result: IngestResult) {
  const c = result.conversation;
  return {
    duplicate: result.duplicate,
    threadedBy: result.threadedBy,
    conversationCreated: result.conversationCreated,
    message: { id: result.message.id, externalId: result.message.externalId, channel: result.message.channel, receivedAt: result.message.receivedAt },
    conversation: {
      id: c.id,
      registrationNumber: c.registrationNumber,
      registeredAt: c.registeredAt,
      status: c.status,
      legalBasis: c.legalBasis,
      legalDueDate: c.legalDueDate,
      internalDueDate: c.internalDueDate,
    },
  };
}
