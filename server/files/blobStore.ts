import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { sniffType } from './sniff';

/** A file kept by its sha256: the same bytes are stored once, whoever sends them and however often. */
export interface StoredBlob {
  sha256: string;
  size: number;
  contentType: string;
  path: string;
}

/** Content-addressed storage under DATA_DIR/blobs. Writes are atomic (temp file, fsync, rename). */
export class BlobStore {
  constructor(private readonly root: string) {}

  /** Where the blob with this hash lives (whether or not it exists yet). */
  pathFor(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('not a sha256 hex digest');
    return path.join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  /** Stores the bytes (a no-op when they are already there) and returns their address and sniffed type. */
  async put(data: Buffer): Promise<StoredBlob> {
    const sha256 = createHash('sha256').update(data).digest('hex');
    const target = this.pathFor(sha256);
    const stored: StoredBlob = { sha256, size: data.length, contentType: sniffType(data), path: target };
    try {
      const stat = await fs.stat(target);
      if (stat.size === data.length) return stored;
    } catch {
      // not there yet
    }
    await fs.mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await fs.open(tmp, 'w', 0o640);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, target);
    return stored;
  }

  /** Reads a stored blob. */
  async get(sha256: string): Promise<Buffer> {
    return fs.readFile(this.pathFor(sha256));
  }

  /** True when the blob exists. */
  async has(sha256: string): Promise<boolean> {
    try {
      await fs.access(this.pathFor(sha256));
      return true;
    } catch {
      return false;
    }
  }
}
