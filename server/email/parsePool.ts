import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ParsedEmail } from '../../channels/email/parseEmail';
import type { InboundAttachment } from '../../channels/contract';
import type { ParseReply, ParseRequest } from './parseWorker';

/** Limits on one parse: bigger messages and slower parses go to the quarantine instead of stalling intake. */
export interface ParseBudget {
  maxBytes: number;
  timeoutMs: number;
}

export const DEFAULT_BUDGET: ParseBudget = { maxBytes: 40 * 1024 * 1024, timeoutMs: 30_000 };

/** A parse that broke the budget or threw: the message is quarantined with this reason after N tries. */
export class ParseFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParseFailure';
  }
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

interface Pending {
  resolve(parsed: ParsedEmail): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  slot: Slot;
}

/** The worker's entry: the TypeScript source under tsx/jest (registered here), the compiled file otherwise. */
function workerSource(): { code: string; eval: true } {
  const file = path.join(__dirname, `parseWorker${path.extname(__filename)}`);
  const code = file.endsWith('.ts')
    ? `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(file)});`
    : `require(${JSON.stringify(file)});`;
  return { code, eval: true };
}

/**
 * A small pool of worker threads running mailparser (channels/email/parseEmail). Each parse has a size and
 * time budget: a message over the size is refused before parsing, and a parse over the time has its worker
 * terminated and replaced, so one poison message costs one worker restart, never the intake.
 */
export class ParsePool {
  private readonly slots: Slot[] = [];
  private readonly queue: { req: Omit<ParseRequest, 'id'>; resolve(p: ParsedEmail): void; reject(e: Error): void }[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly size = Math.max(1, Math.min(2, os.cpus().length - 1)),
    readonly budget: ParseBudget = DEFAULT_BUDGET,
  ) {}

  /** Parses one raw message within the budget. */
  parse(raw: Buffer, ownDomains: string[]): Promise<ParsedEmail> {
    if (this.closed) return Promise.reject(new Error('parse pool is closed'));
    if (raw.length > this.budget.maxBytes) {
      return Promise.reject(new ParseFailure(`message is ${raw.length} bytes, over the ${this.budget.maxBytes}-byte parse budget`));
    }
    return new Promise<ParsedEmail>((resolve, reject) => {
      this.queue.push({ req: { raw: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength), ownDomains }, resolve, reject });
      this.pump();
    }).then(revive);
  }

  /** Stops every worker; queued parses are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.queue.splice(0)) q.reject(new Error('parse pool is closed'));
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('parse pool is closed'));
    }
    this.pending.clear();
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private pump(): void {
    while (this.queue.length) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const job = this.queue.shift()!;
      const id = this.nextId++;
      slot.busy = true;
      const timer = setTimeout(() => this.fail(id, new ParseFailure(`parsing took longer than ${this.budget.timeoutMs} ms`), true), this.budget.timeoutMs);
      this.pending.set(id, { resolve: job.resolve, reject: job.reject, timer, slot });
      slot.worker.postMessage({ id, ...job.req } satisfies ParseRequest);
    }
  }

  private spawn(): Slot {
    const { code } = workerSource();
    const worker = new Worker(code, { eval: true, resourceLimits: { maxOldGenerationSizeMb: 512 } });
    const slot: Slot = { worker, busy: false };
    worker.on('message', (reply: ParseReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      clearTimeout(p.timer);
      slot.busy = false;
      if (reply.ok) p.resolve(reply.parsed);
      else p.reject(new ParseFailure(reply.error));
      this.pump();
    });
    worker.on('error', (err) => this.crashed(slot, err));
    worker.on('exit', () => this.crashed(slot, new Error('parse worker exited')));
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private fail(id: number, err: Error, restart: boolean): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.reject(err);
    if (restart) {
      this.remove(p.slot);
      void p.slot.worker.terminate();
    }
    this.pump();
  }

  private crashed(slot: Slot, err: Error): void {
    if (!this.remove(slot)) return;
    for (const [id, p] of this.pending) if (p.slot === slot) this.fail(id, new ParseFailure(`parser crashed: ${err.message}`), false);
    this.pump();
  }

  private remove(slot: Slot): boolean {
    const i = this.slots.indexOf(slot);
    if (i < 0) return false;
    this.slots.splice(i, 1);
    return true;
  }
}

/** Buffers arrive from the worker as Uint8Arrays; the contract wants Buffers. */
function revive(parsed: ParsedEmail): ParsedEmail {
  const attachments = parsed.contact.attachments as InboundAttachment[] | undefined;
  if (attachments) {
    for (const a of attachments) {
      const d = a.data as unknown as Uint8Array;
      if (!Buffer.isBuffer(d)) a.data = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    }
  }
  if (parsed.contact.receivedAt && !(parsed.contact.receivedAt instanceof Date)) parsed.contact.receivedAt = new Date(parsed.contact.receivedAt as string);
  return parsed;
}
