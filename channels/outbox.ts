import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AdapterDeps } from './registry';
import type { ChannelAdapter, ChannelKind, OutboundMessage } from './contract';

/**
 * The stand-in for a channel whose provider is not configured: the message is written to
 * DATA_DIR/outbox/<channel>/<messageId>.json, where operators and the console can read it. Nothing is lost.
 */
export function outboxAdapter(kind: ChannelKind, deps: AdapterDeps): ChannelAdapter {
  const dir = path.join(deps.outboxDir, kind);
  return {
    kind,
    canReply: true,
    async send(message: OutboundMessage) {
      await fs.mkdir(dir, { recursive: true });
      const file = path.join(dir, `${message.messageId}.json`);
      const tmp = `${file}.tmp`;
      await fs.writeFile(tmp, JSON.stringify({ ...message, writtenAt: new Date().toISOString() }, null, 2));
      await fs.rename(tmp, file);
      return { externalId: `outbox-${kind}-${message.messageId}`, status: 'sent' };
    },
    async health() {
      return { ok: true, mode: 'outbox', dir };
    },
  };
}
