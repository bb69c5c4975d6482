import type { z } from 'zod';
import { AppError, toAppError } from '../errors';
import { logger } from '../log';
import type { Ack, AckCallback, AckErrorCode } from './contract';

const log = logger('realtime');

const KNOWN: readonly AckErrorCode[] = [
  'validation_failed', 'unauthenticated', 'forbidden', 'not_found', 'offer_gone', 'capacity_full', 'not_available', 'queue_empty', 'conflict', 'rate_limited', 'internal_error',
];

/**
 * Wraps a client→server handler: validates the payload with zod, runs it, and answers with an Ack. Errors
 * become `{ ok: false, error }` with the same stable codes as the HTTP API; unknown errors are logged and
 * answered as internal_error without details. A client that sent no callback gets nothing back.
 */
export function acked<S extends z.ZodType, T>(schema: S, run: (req: z.output<S>) => Promise<T>) {
  return async (raw: unknown, ack?: AckCallback<T>): Promise<void> => {
    const reply = typeof ack === 'function' ? ack : () => undefined;
    const parsed = schema.safeParse(raw ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      reply({ ok: false, error: { code: 'validation_failed', message: `${issue?.path.join('.') || 'payload'}: ${issue?.message ?? 'invalid'}` } });
      return;
    }
    try {
      const data = await run(parsed.data);
      reply({ ok: true, data } as Ack<T>);
    } catch (err) {
      const e = toAppError(err);
      if (!(err instanceof AppError)) log.error({ err }, 'socket handler failed');
      const code = (KNOWN as readonly string[]).includes(e.code) ? (e.code as AckErrorCode) : e.status === 409 ? 'conflict' : 'internal_error';
      reply({ ok: false, error: { code, message: e.message } });
    }
  };
}
