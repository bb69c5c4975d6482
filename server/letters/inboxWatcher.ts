import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AppContext } from '../context';
import { logger } from '../log';
import type { BackgroundService } from '../services';
import { holdOversized, intakeLetter, requeueLetters } from './intakeLetter';
import { LETTER_LIMITS } from './limits';
import { closeLetterOcr } from './ocrLetter';

const log = logger('letters.inbox');

/** Names a scanner (or a copy in progress) uses for files it has not finished: never taken. */
const UNFINISHED = /^\.|\.(part|partial|tmp|crdownload|filepart)$|~$/i;

export interface InboxOptions {
  /** How often the folder is listed; a file is taken once its size and mtime held still between two listings. */
  pollMs?: number;
}

/**
 * Watches LETTERS_INBOX_DIR for scans. A file is taken only once complete: its size and mtime are the same in
 * two listings in a row (scanners that write in place), and names ending in .part/.tmp or starting with a dot
 * are left alone (scanners that rename when done). Each taken file goes through intake, then moves to
 * `done/`, or to `rejected/` with a `<name>.reason.txt` beside it. Restart-safe: intake is idempotent on
 * the file's sha256, so a file registered just before a crash is found again, moved, and not registered twice.
 */
export class InboxWatcher {
  readonly doneDir: string;
  readonly rejectedDir: string;
  private seen = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly ctx: AppContext, readonly inbox: string, private readonly opts: InboxOptions = {}) {
    this.doneDir = path.join(inbox, 'done');
    this.rejectedDir = path.join(inbox, 'rejected');
  }

  async start(): Promise<void> {
    for (const dir of [this.inbox, this.doneDir, this.rejectedDir]) await fs.mkdir(dir, { recursive: true });
    this.stopped = false;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.scan()
        .then(() => undefined)
        .catch((err: unknown) => log.error({ err }, 'letters inbox scan failed'))
        .finally(() => {
          this.running = null;
          this.schedule(this.opts.pollMs ?? 2000);
        });
    }, ms);
  }

  /** One pass over the folder: takes every file that is complete (tests call it directly). */
  async scan(): Promise<number> {
    const entries = await fs.readdir(this.inbox, { withFileTypes: true });
    const present = new Set<string>();
    let taken = 0;
    for (const e of entries) {
      if (this.stopped) break;
      if (!e.isFile() || UNFINISHED.test(e.name)) continue;
      present.add(e.name);
      const file = path.join(this.inbox, e.name);
      let stat;
      try {
        stat = await fs.stat(file);
      } catch {
        continue; // moved away by another worker
      }
      const signature = `${stat.size}:${stat.mtimeMs}`;
      const before = this.seen.get(e.name);
      this.seen.set(e.name, signature);
      if (before !== signature) continue; // new or still growing: look again next time
      await this.take(e.name, stat.size);
      this.seen.delete(e.name);
      taken++;
    }
    for (const name of this.seen.keys()) if (!present.has(name)) this.seen.delete(name);
    return taken;
  }

  private async take(name: string, size: number): Promise<void> {
    const file = path.join(this.inbox, name);
    if (size > LETTER_LIMITS.maxBytes) {
      // Listed for the registry like an upload over the limit (its first bytes kept); the whole file goes to rejected/.
      let head: Buffer;
      try {
        const fh = await fs.open(file, 'r');
        try {
          head = Buffer.alloc(LETTER_LIMITS.maxBytes);
          const { bytesRead } = await fh.read(head, 0, head.length, 0);
          head = head.subarray(0, bytesRead);
        } finally {
          await fh.close();
        }
      } catch {
        return; // taken by another worker in the meantime
      }
      const held = await holdOversized(this.ctx, { data: head, filename: name, source: 'folder' });
      await this.reject(name, 'too_large', held.refusal?.reason ?? '', held.letter.sha256);
      return;
    }
    let data: Buffer;
    try {
      data = await fs.readFile(file);
    } catch {
      return; // taken by another worker in the meantime
    }
    const result = await intakeLetter(this.ctx, { data, filename: name, source: 'folder' });
    if (result.refusal) await this.reject(name, result.refusal.code, result.refusal.reason, result.letter.sha256);
    else await this.move(file, this.doneDir, name, result.letter.sha256);
  }

  private async reject(name: string, code: string, reason: string, sha256?: string): Promise<void> {
    const target = await this.move(path.join(this.inbox, name), this.rejectedDir, name, sha256);
    if (!target) return;
    const note = [`code: ${code}`, `reason: ${reason}`, sha256 ? `sha256: ${sha256}` : null, `at: ${new Date().toISOString()}`].filter(Boolean).join('\n') + '\n';
    await fs.writeFile(`${target}.reason.txt`, note);
    log.info({ code }, 'scan from the inbox refused');
  }

  /** Moves a file, keeping its name unless one like it is there already. Returns the new path (null if gone). */
  private async move(from: string, dir: string, name: string, sha256?: string): Promise<string | null> {
    let target = path.join(dir, name);
    try {
      await fs.access(target);
      const ext = path.extname(name);
      target = path.join(dir, `${path.basename(name, ext)}-${(sha256 ?? String(Date.now())).slice(0, 12)}${ext}`);
    } catch {
      // free
    }
    try {
      await fs.rename(from, target);
      return target;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Stops listing; waits for the file being taken to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}

/** The watched-folder intake and the OCR threads of worker processes. */
export const lettersService: BackgroundService = {
  name: 'letters',
  roles: ['worker'],
  async start(ctx) {
    await requeueLetters(ctx).catch((err: unknown) => log.error({ err }, 'could not requeue letters'));
    const inbox = ctx.config.LETTERS_INBOX_DIR;
    const watcher = inbox ? new InboxWatcher(ctx, path.resolve(inbox)) : null;
    await watcher?.start();
    if (watcher) log.info({ inbox: watcher.inbox }, 'letters inbox watched');
    return {
      async stop() {
        await watcher?.stop();
        await closeLetterOcr(ctx);
      },
    };
  },
};
