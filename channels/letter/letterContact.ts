import type { InboundContact } from '../contract';

/** What the letter channel knows about a scan at intake, before anyone has read it. */
export interface ScannedFile {
  sha256: string;
  filename: string;
  data: Buffer;
  contentType: string;
  pages: number;
  receivedAt: Date;
}

/**
 * Translates a scanned file into an InboundContact. The sender is unknown until OCR and review, so the text is
 * empty and the case opens anonymous; the letter's release fills in the sender, text and subject. The sha256 is
 * the externalId: the same file delivered twice is one message.
 */
export function letterContact(file: ScannedFile): InboundContact {
  return {
    channel: 'letter',
    externalId: file.sha256,
    receivedAt: file.receivedAt,
    from: {},
    subject: `Scrisoare scanată: ${file.filename}`.slice(0, 998),
    text: '',
    language: 'ro',
    metadata: { letter: { sha256: file.sha256, pages: file.pages, contentType: file.contentType } },
    attachments: [{ filename: file.filename, contentType: file.contentType, data: file.data }],
  };
}
