import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PermanentSendError, type ChannelAdapter, type OutboundMessage } from '../contract';
import type { AdapterDeps } from '../registry';
import { renderLetterPdf } from './renderLetterPdf';

/** dd.mm.yyyy in Europe/Bucharest, as Romanian registry documents print dates. */
function printedDate(at: Date): string {
  return new Intl.DateTimeFormat('ro-RO', { timeZone: 'Europe/Bucharest', day: '2-digit', month: '2-digit', year: 'numeric' }).format(at);
}

/**
 * The letter channel's outbound side: an answer becomes a printable PDF letter (letterhead and signature from
 * LETTER_LETTERHEAD / LETTER_SIGNATURE) in DATA_DIR/outbox/letter/<messageId>.pdf, with the message as JSON
 * beside it, and is tracked as `queued` (for print and post) until the registry marks it sent.
 * A message without a postal address cannot be posted: that is permanent, not retried.
 */
export function letterAdapter(deps: AdapterDeps): ChannelAdapter {
  const dir = path.join(deps.outboxDir, 'letter');
  const letterhead = deps.config.LETTER_LETTERHEAD.split('|').map((s) => s.trim()).filter(Boolean);
  const signature = deps.config.LETTER_SIGNATURE.split('|').map((s) => s.trim()).filter(Boolean);
  return {
    kind: 'letter',
    canReply: true,
    async send(message: OutboundMessage) {
      if (!message.to.postalAddress) {
        throw new PermanentSendError('The citizen gave no postal address: answer on another channel or add the address to the citizen.');
      }
      await fs.mkdir(dir, { recursive: true });
      const pdf = await renderLetterPdf({
        letterhead,
        registrationNumber: message.registrationNumber,
        date: printedDate(new Date()),
        addressee: { name: message.to.name, postalAddress: message.to.postalAddress },
        subject: message.subject,
        body: message.text,
        signature,
      });
      const file = path.join(dir, `${message.messageId}.pdf`);
      await fs.writeFile(`${file}.tmp`, pdf);
      await fs.rename(`${file}.tmp`, file);
      await fs.writeFile(path.join(dir, `${message.messageId}.json`), JSON.stringify({ ...message, pdf: path.basename(file), writtenAt: new Date().toISOString() }, null, 2));
      return { externalId: `letter-${message.messageId}`, status: 'queued' };
    },
    async health() {
      return { ok: true, mode: 'print', dir };
    },
  };
}
