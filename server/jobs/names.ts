import { z } from 'zod';

/**
 * Every job and its payload schema, in one frozen module. Payloads carry ids, never personal data or
 * secrets: a job re-reads what it needs from the database when it runs.
 */
export const JOB_SCHEMAS = Object.freeze({
  /** Send one outbound message on its channel. Job id: `send:${messageId}`. */
  'outbound.send': z.object({ messageId: z.number().int().positive() }),
  /** Acknowledge a new case to the citizen. Job id: `ack:${conversationId}`. */
  'conversation.acknowledge': z.object({ conversationId: z.number().int().positive(), messageId: z.number().int().positive() }),
  /** Tell the citizen about a public status change of their case. Job id: `notify:${eventId}`. */
  'citizen.notify': z.object({ eventId: z.number().int().positive() }),
  /** Sweep due dates for SLA warnings and breaches (recurring). */
  'sla.sweep': z.object({}),
  /** Remove expired sessions and old rate-limit rows (recurring). */
  'maintenance.cleanup': z.object({}),
  /** Read a scanned letter's pages (OCR), extract its fields, release it or hold it for review. Job id: `ocr:${letterId}`. */
  'letter.ocr': z.object({ letterId: z.number().int().positive() }),
  /** Used by the job system's own tests. */
  'test.echo': z.object({ value: z.string(), failTimes: z.number().int().min(0).optional(), permanent: z.boolean().optional() }),
});

export type JobName = keyof typeof JOB_SCHEMAS;
export type JobData<N extends JobName> = z.infer<(typeof JOB_SCHEMAS)[N]>;

/** The queue (BullMQ) each job runs on. Frozen: renaming one strands the jobs already in Redis. */
export const QUEUE_NAME = 'ghiseu';
