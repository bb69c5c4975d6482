import { parentPort } from 'node:worker_threads';
import { parseEmail, type ParsedEmail } from '../../channels/email/parseEmail';

/** A request to the parse worker: one raw message and the options the adapter needs. */
export interface ParseRequest {
  id: number;
  raw: Uint8Array;
  ownDomains: string[];
}

/** The worker's answer: the parsed email, or the error that stopped the parse. */
export type ParseReply = { id: number; ok: true; parsed: ParsedEmail } | { id: number; ok: false; error: string };

// Runs inside a worker thread (see parsePool.ts): parsing a hostile or huge message never blocks the event loop.
parentPort?.on('message', (req: ParseRequest) => {
  const raw = Buffer.from(req.raw.buffer, req.raw.byteOffset, req.raw.byteLength);
  parseEmail(raw, { ownDomains: req.ownDomains }).then(
    (parsed) => parentPort!.postMessage({ id: req.id, ok: true, parsed } satisfies ParseReply),
    (err: unknown) => parentPort!.postMessage({ id: req.id, ok: false, error: (err as Error)?.message ?? String(err) } satisfies ParseReply),
  );
});
