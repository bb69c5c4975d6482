import { Op } from 'sequelize';
import { Attachment, Conversation, MailCursor, MailIntake, Message } from '../../db/models';
import { createOutboundMessage } from '../../server/outbound/createOutboundMessage';
import { sendOutbound } from '../../server/outbound/sendOutbound';
import { startEmailIntake, type RunningIntake } from '../../server/email/emailIntakeService';
import { DIALECTS } from '../helpers/services';
import { createTestContext, type TestContext } from '../helpers/context';
import * as fx from '../fixtures/email/messages';
import { append, flagsOf, freshFolder, waitFor } from '../fixtures/email/imap';

jest.setTimeout(120_000);

describe.each(DIALECTS)('email intake from a real Dovecot (%s)', (dialect) => {
  let t: TestContext;
  let running: RunningIntake | null = null;

  beforeEach(async () => {
    t = await createTestContext(dialect, { MAIL_FROM: 'Primăria <registratura@primarie.test>' });
  });
  afterEach(async () => {
    await running?.stop();
    running = null;
    await t.cleanup();
  });

  const inbound = () => Message.findAll({ where: { channel: 'email', direction: 'inbound' }, order: [['id', 'ASC']] });

  it('ingests the fixtures: charsets, HTML, forwarded mail, a 10 MB attachment and broken MIME; flags them \\Seen only after', async () => {
    const { folder, spec } = await freshFolder();
    const big = fx.bigAttachment();
    const raws = [fx.multipartAlternative(), fx.iso88592QuotedPrintable(), fx.windows1250(), fx.forwarded(), big.raw, fx.malformed()];
    await append(folder, raws);
    expect((await flagsOf(folder)).every((f) => !f.seen)).toBe(true);

    running = await startEmailIntake(t.ctx, { mailboxes: [spec], pollMs: 500 });
    const messages = await waitFor('6 messages', async () => ((await inbound()).length === 6 ? inbound() : null), 60_000);
    await waitFor('all flagged', async () => (await flagsOf(folder)).every((f) => f.seen));

    // Threads of one batch are ingested side by side: find each fixture by its Message-ID, not by row order.
    const idOf = (raw: Buffer | string) => /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(raw.toString('latin1').split(/\r?\n\r?\n/)[0]!)?.[1];
    const byId = (raw: Buffer | string) => messages.find((m) => idOf(raw) !== undefined && m.externalId === idOf(raw));
    const [alt, qp, cp1250, fwd, bigMsg] = raws.slice(0, 5).map(byId);
    const broken = byId(raws[5]!) ?? messages.find((m) => ![alt, qp, cp1250, fwd, bigMsg].includes(m));
    // multipart/alternative: text from text/plain, HTML kept sanitised (no script, no remote image).
    expect(alt!.text).toContain('stadiul autorizației de construire');
    expect(alt!.subject).toBe('Cerere de informații privind autorizația de construire');
    expect(alt!.html).toContain('<b>stadiul autorizației</b>');
    expect(alt!.html).not.toMatch(/script|tracker\.example/);
    // ISO-8859-2 QP with cedilla ş/ţ → comma-below ș/ț in the searchable text and subject.
    expect(qp!.text).toContain('verificați iluminatul public pe strada Mureșului');
    expect(qp!.text).not.toMatch(/[\u015F\u0163]/);
    expect(qp!.subject).toBe('Iluminat public pe strada Mureșului');
    // Windows-1250 base64.
    expect(cp1250!.text).toContain('Solicit eliberarea unui certificat de urbanism pentru terenul din strada Păcii. Mulțumesc');
    expect(cp1250!.subject).toBe('Certificat de urbanism – strada Păcii');
    // Forwarded message kept as an attachment, sniffed as message/rfc822.
    expect(fwd!.text).toContain('Vă trimit mai jos sesizarea');
    const fwdFiles = await Attachment.findAll({ where: { messageId: fwd!.id } });
    expect(fwdFiles.map((a) => [a.filename, a.contentType])).toEqual([['sesizare.eml', 'message/rfc822']]);
    // 10 MB attachment stored byte-identical, its type sniffed from the bytes.
    const [pdf] = await Attachment.findAll({ where: { messageId: bigMsg!.id } });
    expect(pdf!.size).toBe(big.pdf.length);
    expect(pdf!.contentType).toBe('application/pdf');
    expect((await t.ctx.blobs.get(pdf!.sha256)).equals(big.pdf)).toBe(true);
    // Malformed MIME still becomes a message (best effort), with a synthesised stable id; nothing quarantined.
    expect(broken!.externalId).toMatch(/@synthetic\.ghiseu\.invalid>$/);
    expect(broken!.text).toContain('strada Gării nr. 7');
    expect(await MailIntake.count()).toBe(0);
    // Raw first: every raw message is in the blob store, named in the metadata.
    for (const m of messages) expect(await t.ctx.blobs.has(String((m.metadata as { rawSha256: string }).rawSha256))).toBe(true);
    // Each opened its own case.
    expect(new Set(messages.map((m) => m.conversationId)).size).toBe(6);
    const cursor = await MailCursor.findOne({ where: { mailboxKey: spec.key } });
    expect(cursor!.lastUid).toBe(6);
  });

  it('threads a reply thread of five into one case whatever the order, and folds quoted history', async () => {
    const { folder, spec } = await freshFolder();
    const th = fx.thread(5);
    // Arrival order: 3rd, 5th, 1st, 4th, 2nd.
    await append(folder, [th.raws[2]!, th.raws[4]!]);
    running = await startEmailIntake(t.ctx, { mailboxes: [spec], pollMs: 300 });
    await waitFor('2 messages', async () => (await inbound()).length === 2);
    await append(folder, [th.raws[0]!, th.raws[3]!, th.raws[1]!]);
    const messages = await waitFor('5 messages', async () => ((await inbound()).length === 5 ? inbound() : null));
    expect(new Set(messages.map((m) => m.conversationId)).size).toBe(1);
    const reply = messages.find((m) => m.text.startsWith('Revin'))!;
    const quoteStart = (reply.metadata as { quoteStart?: number }).quoteStart!;
    expect(reply.text.slice(quoteStart)).toMatch(/^On Mon/);
    expect(await Conversation.count()).toBe(1);
  });

  it('a message Cc\'d to two of our mailboxes becomes one message, and both copies are flagged', async () => {
    const a = await freshFolder('Registratura');
    const b = await freshFolder('Petitii');
    const raw = fx.plain({ to: 'registratura@primarie.test', cc: 'petitii@primarie.test', subject: 'Cerere către două adrese' });
    await append(a.folder, [raw]);
    await append(b.folder, [Buffer.concat([Buffer.from('Delivered-To: petitii@primarie.test\r\n'), raw])]);
    running = await startEmailIntake(t.ctx, { mailboxes: [a.spec, b.spec], pollMs: 300 });
    await waitFor('both flagged', async () => (await flagsOf(a.folder)).every((f) => f.seen) && (await flagsOf(b.folder)).every((f) => f.seen));
    expect(await Message.count({ where: { channel: 'email' } })).toBe(1);
    const [m] = await inbound();
    expect((m!.metadata as { cc: string[] }).cc).toEqual(['petitii@primarie.test']);
  });

  it('an out-of-office reply and a bounce are stored as automatic; the bounce fails the message it refers to', async () => {
    const { folder, spec } = await freshFolder();
    await append(folder, [fx.plain({ from: 'ana@exemplu.ro', subject: 'Sesizare parcare' })]);
    running = await startEmailIntake(t.ctx, { mailboxes: [spec], pollMs: 300 });
    const [first] = await waitFor('first', async () => ((await inbound()).length === 1 ? inbound() : null));
    const out = await createOutboundMessage(t.ctx, { conversationId: first!.conversationId, agentId: null, kind: 'reply', text: 'Am primit.' });
    await sendOutbound(t.ctx, out.id, { attempt: 1, maxAttempts: 3 });
    expect((await Message.findByPk(out.id))!.deliveryStatus).toBe('sent');

    await append(folder, [fx.outOfOffice({ inReplyTo: out.externalId!, from: 'ana@exemplu.ro' }), fx.bounce({ originalMessageId: out.externalId!, recipient: 'ana@exemplu.ro' })]);
    const all = await waitFor('3 inbound', async () => ((await inbound()).length === 3 ? inbound() : null));
    const [, ooo, dsn] = all;
    expect(ooo!.automatic).toBe(true);
    expect((ooo!.metadata as { automaticReason: string }).automaticReason).toBe('auto-submitted');
    expect(ooo!.conversationId).toBe(first!.conversationId);
    expect(dsn!.automatic).toBe(true);
    expect(dsn!.conversationId).toBe(first!.conversationId);
    expect(dsn!.citizenId).toBeNull();
    const failed = await Message.findByPk(out.id);
    expect(failed!.deliveryStatus).toBe('failed');
    expect(failed!.deliveryError).toContain('550 5.1.1');
    expect(await Conversation.count({ where: { id: { [Op.ne]: first!.conversationId } } })).toBe(0);
  });
});
