import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { letterAdapter } from '../../channels/letter/letterAdapter';
import { renderLetterPdf } from '../../channels/letter/renderLetterPdf';
import { PermanentSendError, type OutboundMessage } from '../../channels/contract';
import { loadConfig } from '../../server/config';
import { pdfText } from '../../server/letters/pdfRender';

jest.setTimeout(60_000);

describe('reply by post', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ghiseu-reply-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const message = (over: Partial<OutboundMessage> = {}): OutboundMessage => ({
    messageId: 42,
    conversationId: 7,
    registrationNumber: '1234/2026',
    channel: 'letter',
    to: { name: 'Ioana Țărănescu', postalAddress: 'Arad, Str. Mărășești nr. 12' },
    subject: 'Iluminat public în cartierul Grădiște',
    text: 'Stimată doamnă,\n\nVă informăm că echipa de intervenție a înlocuit becurile stradale.\n\nCu stimă,',
    language: 'ro',
    references: [],
    attachments: [],
    ...over,
  });

  it('refuses, permanently, a letter with no postal address', async () => {
    const adapter = letterAdapter({ config: loadConfig({ DATA_DIR: dir }), outboxDir: path.join(dir, 'outbox') });
    await expect(adapter.send!(message({ to: { name: 'Ion' } }))).rejects.toBeInstanceOf(PermanentSendError);
  });

  it('renders the letterhead, number and date, addressee, text and signature with Romanian diacritics that copy right', async () => {
    const pdf = await renderLetterPdf({
      letterhead: ['Primăria Municipiului Arad', 'Bd. Revoluției nr. 75, Arad'],
      registrationNumber: '1234/2026',
      date: '12.03.2026',
      addressee: { name: 'Ioana Ţărănescu', postalAddress: 'Arad, Str. Mărășești nr. 12' },
      subject: 'Iluminat public',
      body: 'Vă informăm că becurile au fost înlocuite în cartierul Grădiște; mulțumim pentru sesizare.',
      signature: ['Șef serviciu', 'Ștefan Țăranu'],
    });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const text = (await pdfText(pdf)).join('\n');
    for (const expected of ['Primăria Municipiului Arad', 'Nr. 1234/2026 / 12.03.2026', 'Ioana Țărănescu', 'Mărășești', 'Grădiște', 'mulțumim', 'Șef serviciu', 'Ștefan Țăranu']) {
      expect(text).toContain(expected);
    }
    // Cedilla look-alikes never reach the print.
    expect(text).not.toMatch(/[şţŞŢ]/);
  });

  it('sends through the letter adapter: a printable PDF in the outbox, tracked as queued for post', async () => {
    const config = loadConfig({ DATA_DIR: dir, LETTER_LETTERHEAD: 'Primăria Municipiului Arad|Bd. Revoluției nr. 75', LETTER_SIGNATURE: 'Compartimentul Relații cu Publicul|Maria Pop' });
    const adapter = letterAdapter({ config, outboxDir: path.join(dir, 'outbox') });
    const result = await adapter.send!(message());
    expect(result).toEqual({ externalId: 'letter-42', status: 'queued' });
    const pdf = await fs.readFile(path.join(dir, 'outbox', 'letter', '42.pdf'));
    const text = (await pdfText(pdf)).join('\n').replace(/\s+/g, ' ');
    expect(text).toContain('Nr. 1234/2026');
    expect(text).toContain('Compartimentul Relații cu Publicul');
    expect(text).toContain('echipa de intervenție');
  });
});
