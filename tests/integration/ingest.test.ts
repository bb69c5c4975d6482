import { QueryTypes } from 'sequelize';
import { openDatabase } from '../../db/connection';
import { rawSql } from '../../db/rawSql';
import { ensureRoutines } from '../../db/routines';
import { initModels, Citizen, CitizenIdentity, Conversation, ConversationEvent, Message, RegistryCounter, Attachment } from '../../db/models';
import { bucharestDate } from '../../server/calendar/dates';
import { legalDeadline } from '../../server/calendar/legalDeadline';
import { AppError } from '../../server/errors';
import { ingestContact } from '../../server/ingest/ingestContact';
import { createTestContext, type TestContext } from '../helpers/context';
import { category, contact } from '../helpers/factories';
import { DIALECTS } from '../helpers/services';

const YEAR = Number(bucharestDate(new Date()).slice(0, 4));

async function counts() {
  return {
    conversations: await Conversation.count(),
    messages: await Message.count(),
    citizens: await Citizen.count(),
    identities: await CitizenIdentity.count(),
    events: await ConversationEvent.count(),
  };
}

describe.each(DIALECTS)('ingestContact on %s', (dialect) => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext(dialect);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  test('the same contact delivered twice gives one message, and the second answer says duplicate', async () => {
    const c = contact();
    const first = await ingestContact(t.ctx, c);
    const before = await counts();
    const second = await ingestContact(t.ctx, { ...c, text: 'a retry with other text changes nothing' });
    expect(first.duplicate).toBe(false);
    expect(first.conversationCreated).toBe(true);
    expect(second.duplicate).toBe(true);
    expect(second.threadedBy).toBe('duplicate');
    expect(second.message.id).toBe(first.message.id);
    expect(second.conversation.registrationNumber).toBe(first.conversation.registrationNumber);
    expect(await counts()).toEqual(before);
    expect((await Message.findByPk(first.message.id))!.text).toBe(c.text);
    // The duplicate is refused by the unique key before the register is taken: the next case gets the next number.
    const next = await ingestContact(t.ctx, contact());
    expect(next.conversation.registrationSeq).toBe(first.conversation.registrationSeq + 1);
  });

  test('the same externalId on another channel is another contact', async () => {
    const c = contact({ channel: 'email' });
    const a = await ingestContact(t.ctx, c);
    const b = await ingestContact(t.ctx, { ...c, channel: 'sms', from: { phone: '0721 000 111' } });
    expect(b.duplicate).toBe(false);
    expect(b.message.id).not.toBe(a.message.id);
  });

  test('a new case gets the next number, a legal deadline and timeline events; the domain event fires after commit', async () => {
    const seen: number[] = [];
    const told: unknown[] = [];
    const off = t.ctx.events.on('contact.ingested', async (e) => {
      told.push(e.timeline.find((row) => row.type === 'conversation.created')?.data.registrationNumber);
      // After commit: the row is visible from another connection.
      const row = await Conversation.findByPk(e.conversationId);
      if (row) seen.push(e.conversationId);
    });
    const r = await ingestContact(t.ctx, contact({ channel: 'email' }));
    await t.ctx.events.drain();
    off();
    const c = r.conversation;
    expect(c.registrationNumber).toBe(`${c.registrationSeq}/${YEAR}`);
    expect(c.legalBasis).toBe('petition');
    expect(c.legalDueDate).toBe(legalDeadline(bucharestDate(c.registeredAt), 30));
    expect(c.internalDueDate! < c.legalDueDate!).toBe(true);
    expect(c.status).toBe('new');
    const rows = await ConversationEvent.findAll({ where: { conversationId: c.id }, order: [['id', 'ASC']] });
    expect(rows.map((e) => e.type)).toEqual(['conversation.created', 'message.received']);
    // The number is on the case, on its timeline row as stored and in what listeners are told.
    expect((await Conversation.findByPk(c.id))!.registrationNumber).toBe(c.registrationNumber);
    expect(rows[0]!.data).toMatchObject({ registrationNumber: c.registrationNumber, channel: 'email', legalBasis: 'petition' });
    expect(told).toEqual([c.registrationNumber]);
    expect(seen).toEqual([c.id]);
  });

  test('citizens are found by normalised identity across channels', async () => {
    const email = `Mihai.Ionescu.${Date.now()}@Exemplu.RO`;
    const a = await ingestContact(t.ctx, contact({ channel: 'email', from: { name: 'Mihai Ionescu', email } }));
    const b = await ingestContact(t.ctx, contact({ channel: 'api', from: { email: email.toLowerCase(), phone: '0722 111 222' } }));
    const c = await ingestContact(t.ctx, contact({ channel: 'sms', from: { phone: '+40722111222' }, subject: undefined, text: 'Mulțumesc' }));
    expect(b.message.citizenId).toBe(a.message.citizenId);
    expect(c.message.citizenId).toBe(a.message.citizenId);
    const ids = await CitizenIdentity.findAll({ where: { citizenId: a.message.citizenId! } });
    expect(ids.map((i) => `${i.kind}:${i.value}`).sort()).toEqual([`email:${email.toLowerCase()}`, 'phone:+40722111222']);
    expect(c.conversation.legalBasis).toBe('none'); // an SMS is not a petition
  });

  test('a reply quoting the registration number lands in the original case', async () => {
    const original = await ingestContact(t.ctx, contact({ channel: 'email' }));
    const reply = await ingestContact(
      t.ctx,
      contact({ channel: 'email', subject: `Re: [#${original.conversation.registrationNumber}] Groapă`, text: 'Revin cu o poză.' }),
    );
    expect(reply.conversationCreated).toBe(false);
    expect(reply.threadedBy).toBe('registration_number');
    expect(reply.conversation.id).toBe(original.conversation.id);
    const inText = await ingestContact(t.ctx, contact({ channel: 'letter', subject: undefined, text: `Vă scriu în legătură cu nr. ${original.conversation.registrationNumber}.` }));
    expect(inText.conversation.id).toBe(original.conversation.id);
  });

  test('a reply carrying In-Reply-To of one of our messages lands in the original case', async () => {
    const original = await ingestContact(t.ctx, contact({ channel: 'email', externalId: `<orig-${Date.now()}@exemplu.ro>` }));
    const reply = await ingestContact(
      t.ctx,
      contact({ channel: 'email', subject: 'Re: fără număr', inReplyTo: ['<unknown@x>', original.message.externalId!] }),
    );
    expect(reply.threadedBy).toBe('reference');
    expect(reply.conversation.id).toBe(original.conversation.id);
  });

  test('a reply to a resolved case reopens it; a reply to a closed case opens a new one linked to it', async () => {
    const first = await ingestContact(t.ctx, contact({ channel: 'email' }));
    await first.conversation.update({ status: 'resolved', resolution: 'answered', resolvedAt: new Date() });
    const reopened = await ingestContact(t.ctx, contact({ channel: 'email', subject: `Re: [#${first.conversation.registrationNumber}]` }));
    expect(reopened.conversation.id).toBe(first.conversation.id);
    expect((await Conversation.findByPk(first.conversation.id))!.status).toBe('open');

    await first.conversation.reload();
    await first.conversation.update({ status: 'closed', closedAt: new Date() });
    const fresh = await ingestContact(t.ctx, contact({ channel: 'email', subject: `Re: [#${first.conversation.registrationNumber}]` }));
    expect(fresh.conversationCreated).toBe(true);
    const related = await ConversationEvent.findOne({ where: { conversationId: fresh.conversation.id, type: 'conversation.related' } });
    expect(related?.data).toEqual({ registrationNumber: first.conversation.registrationNumber });
  });

  test('the case and message ingest answers equal the rows as the models read them back', async () => {
    await category('iluminat-raw');
    const matchesStored = async (r: Awaited<ReturnType<typeof ingestContact>>) => {
      const conversation = await Conversation.findByPk(r.conversation.id, { rejectOnEmpty: true });
      const message = await Message.findByPk(r.message.id, { rejectOnEmpty: true });
      // Listeners on contact.ingested (SLA) may touch the case after commit: updatedAt is theirs.
      const { updatedAt: _a, ...returned } = r.conversation.get({ plain: true });
      const { updatedAt: _b, ...stored } = conversation.get({ plain: true });
      expect(returned).toEqual(stored);
      expect(r.message.get({ plain: true })).toEqual(message.get({ plain: true }));
    };
    const first = await ingestContact(t.ctx, contact({ channel: 'email', categoryCode: 'iluminat-raw', metadata: { headers: { 'x-a': 'ș' } }, location: { lat: 46.17, lng: 21.31 } }));
    await matchesStored(first);
    await first.conversation.update({ status: 'resolved', resolution: 'answered', resolvedAt: new Date() });
    const reply = await ingestContact(t.ctx, contact({ channel: 'email', subject: `Re: [#${first.conversation.registrationNumber}]` }));
    await matchesStored(reply);
    expect(reply.conversation.status).toBe('open');
    expect(first.conversation.registeredAt).toBeInstanceOf(Date);
    expect(first.conversation.anonymous).toBe(false);
    expect(first.message.metadata).toEqual({ headers: { 'x-a': 'ș' } });
    expect(reply.conversation.lastMessageAt!.getTime()).toBe(reply.message.receivedAt.getTime());
  });

  test('a channel can thread a contact into a case it names, unless that case has ended', async () => {
    const call = await ingestContact(t.ctx, contact({ channel: 'voice', from: { phone: '+40721555001' } }));
    const again = await ingestContact(t.ctx, contact({ channel: 'voice', from: { phone: '+40721555001' }, threadConversationId: call.conversation.id }));
    expect(again.conversationCreated).toBe(false);
    expect(again.threadedBy).toBe('thread');
    expect(again.conversation.id).toBe(call.conversation.id);
    expect(await Message.count({ where: { conversationId: call.conversation.id } })).toBe(2);

    await Conversation.update({ status: 'closed', closedAt: new Date() }, { where: { id: call.conversation.id } });
    const later = await ingestContact(t.ctx, contact({ channel: 'voice', from: { phone: '+40721555001' }, threadConversationId: call.conversation.id }));
    expect(later.conversationCreated).toBe(true);
    const related = await ConversationEvent.findOne({ where: { conversationId: later.conversation.id, type: 'conversation.related' } });
    expect(related?.data).toEqual({ registrationNumber: call.conversation.registrationNumber });

    const unknown = await ingestContact(t.ctx, contact({ channel: 'voice', from: { phone: '+40721555001' }, threadConversationId: 99_999_999 }));
    expect(unknown.conversationCreated).toBe(true);
  });

  test('an invalid contact is refused with the field named and nothing written', async () => {
    const before = await counts();
    const bad: [unknown, RegExp][] = [
      [{ ...contact(), externalId: undefined }, /^externalId/],
      [{ ...contact(), externalId: '' }, /^externalId/],
      [contact({ from: { phone: 'not a phone' } }), /^from\.phone/],
      [contact({ from: { email: 'nope' } }), /^from\.email/],
      [{ ...contact(), channel: 'fax' }, /^channel/],
      [contact({ categoryCode: 'no-such-category' }), /^categoryCode/],
    ];
    for (const [input, message] of bad) {
      const err = await ingestContact(t.ctx, input as never).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).status).toBe(400);
      expect((err as AppError).message).toMatch(message);
    }
    expect(await counts()).toEqual(before);
  });

  /**
   * Installs `trigger` (named `name`), which fails the ingest of `failing`: nothing is written and the number is
   * not consumed. Then a contact from the same sender goes through and gets that very number.
   */
  async function expectInjectedFailureLosesNothing(name: string, trigger: { sqlite: string; mariadb: string }, failing: Parameters<typeof contact>[0], from: { name: string; email: string }) {
    await t.ctx.db.sequelize.query(`CREATE TRIGGER ${name} ${dialect === 'sqlite' ? trigger.sqlite : trigger.mariadb}`);
    try {
      const last = (await RegistryCounter.findByPk(YEAR))?.lastNumber ?? 0;
      const before = await counts();
      const err = (await ingestContact(t.ctx, contact({ ...failing, from })).catch((e: unknown) => e)) as Error & { parent?: Error };
      // SQLite reports a trigger's RAISE as a constraint error; the driver's own message names the failure.
      expect(String(err.parent?.message ?? err.message)).toMatch(/injected failure/);
      expect(await counts()).toEqual(before);
      expect((await RegistryCounter.findByPk(YEAR))?.lastNumber ?? 0).toBe(last);
      const next = await ingestContact(t.ctx, contact({ from }));
      expect(next.conversation.registrationSeq).toBe(last + 1);
      expect((await Conversation.findByPk(next.conversation.id))!.registrationNumber).toBe(`${last + 1}/${YEAR}`);
    } finally {
      await t.ctx.db.sequelize.query(`DROP TRIGGER ${name}`);
    }
  }

  test('an ingest that fails mid-transaction leaves no row and consumes no number', async () => {
    await expectInjectedFailureLosesNothing(
      'fail_boom',
      {
        sqlite: "BEFORE INSERT ON messages WHEN NEW.externalId = 'boom' BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
        mariadb: "BEFORE INSERT ON messages FOR EACH ROW BEGIN IF NEW.externalId = 'boom' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'; END IF; END",
      },
      { externalId: 'boom' },
      { name: 'Persoană Nouă', email: `nou.${Date.now()}@exemplu.ro` },
    );
  });

  test('a failure while the new case is numbered leaves no row and returns the number', async () => {
    // MariaDB numbers the case last, inside the register's CALL after the counter is taken (the lock is taken,
    // then must be given back); SQLite inserts it numbered.
    await expectInjectedFailureLosesNothing(
      'fail_number',
      {
        sqlite: "BEFORE INSERT ON conversations WHEN NEW.subject = 'numar-esuat' BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
        mariadb: "BEFORE UPDATE ON conversations FOR EACH ROW BEGIN IF NEW.subject = 'numar-esuat' AND NEW.registrationSeq IS NOT NULL THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'; END IF; END",
      },
      { subject: 'numar-esuat' },
      { name: 'Persoană Numărată', email: `numar.${Date.now()}@exemplu.ro` },
    );
  });

  test('attachments are stored content-addressed once, with the sniffed type beside the claimed one', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f0b5ed0000000049454e44ae426082', 'hex');
    const a = await ingestContact(t.ctx, contact({ attachments: [{ filename: 'poza.jpg', contentType: 'image/jpeg', data: png }] }));
    const b = await ingestContact(t.ctx, contact({ attachments: [{ filename: 'aceeasi.png', data: png }] }));
    const rows = await Attachment.findAll({ where: { messageId: [a.message.id, b.message.id] } });
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((r) => r.sha256)).size).toBe(1);
    expect(rows[0]!.contentType).toBe('image/png');
    expect(rows.find((r) => r.filename === 'poza.jpg')!.declaredType).toBe('image/jpeg');
    expect(await t.ctx.blobs.get(rows[0]!.sha256)).toEqual(png);
  });

  test('HTML is sanitised before it is stored', async () => {
    const r = await ingestContact(t.ctx, contact({ channel: 'email', html: '<p onclick="x()">Bună</p><script>alert(1)</script><img src="https://tracker.example/p.gif">' }));
    const m = await Message.findByPk(r.message.id);
    expect(m!.html).toBe('<p>Bună</p>');
  });

  test('concurrent deliveries of one contact: one message, one number consumed', async () => {
    const last = (await RegistryCounter.findByPk(YEAR))?.lastNumber ?? 0;
    const c = contact({ from: { email: `race.${Date.now()}@exemplu.ro` } });
    const results = await Promise.all(Array.from({ length: 12 }, () => ingestContact(t.ctx, c)));
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => r.message.id)).size).toBe(1);
    expect(await Message.count({ where: { externalId: c.externalId } })).toBe(1);
    expect((await RegistryCounter.findByPk(YEAR))!.lastNumber).toBe(last + 1);
  });

  test('anonymous contacts are not petitions (OG 27/2002 art. 7) and carry no legal term', async () => {
    const r = await ingestContact(t.ctx, contact({ from: {}, categoryCode: (await category()).code, location: { lat: 46.17, lng: 21.31 } }));
    expect(r.conversation.anonymous).toBe(true);
    expect(r.conversation.citizenId).toBeNull();
    expect(r.conversation.legalBasis).toBe('none');
    expect(r.conversation.legalDueDate).toBeNull();
    expect(r.conversation.departmentId).not.toBeNull();
  });

  test('a public-information category gets the 10-day term', async () => {
    const cat = await category('informatii-544', { legalBasis: 'public_information', departmentCode: 'relatii-publice' });
    const r = await ingestContact(t.ctx, contact({ categoryCode: cat.code }));
    expect(r.conversation.legalDueDate).toBe(legalDeadline(bucharestDate(r.conversation.registeredAt), 10));
  });
});

describe('registration numbers under concurrency on MariaDB', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext('mariadb');
  });
  afterAll(async () => {
    await t.cleanup();
  });

  test('200 contacts over 8 connections → numbers 1..200, none missing, none twice', async () => {
    // createTestContext opens a pool of 10; cap concurrency at 8 connections explicitly.
    const db8 = openDatabase(t.databaseUrl, { poolMax: 8 });
    initModels(db8.sequelize);
    const ctx = { ...t.ctx, db: db8 };
    try {
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => ingestContact(ctx, contact({ from: { email: `p${i}@exemplu.ro` } }))));
      const seqs = results.map((r) => r.conversation.registrationSeq).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      const rows = await db8.sequelize.query<{ n: number; d: number; mn: number; mx: number }>(
        'SELECT COUNT(*) AS n, COUNT(DISTINCT registrationSeq) AS d, MIN(registrationSeq) AS mn, MAX(registrationSeq) AS mx FROM conversations WHERE registrationYear = :y',
        { replacements: { y: YEAR }, type: QueryTypes.SELECT },
      );
      expect(rows[0]).toEqual({ n: 200, d: 200, mn: 1, mx: 200 });
      // The number is printed on the server (seq/year): every stored one agrees with its parts and with the answer.
      const stored = await db8.sequelize.query<{ id: number; registrationNumber: string }>('SELECT id, registrationNumber FROM conversations WHERE registrationYear = :y', {
        replacements: { y: YEAR },
        type: QueryTypes.SELECT,
      });
      const answered = new Map(results.map((r) => [r.conversation.id, r.conversation.registrationNumber]));
      expect(stored.filter((row) => row.registrationNumber !== answered.get(row.id))).toEqual([]);
      expect(new Set(stored.map((row) => row.registrationNumber)).size).toBe(200);
      // …and so does every case's conversation.created row, which the register's procedure fills in.
      const created = await db8.sequelize.query<{ conversationId: number; data: string }>("SELECT conversationId, data FROM conversation_events WHERE type = 'conversation.created'", {
        type: QueryTypes.SELECT,
      });
      expect(created).toHaveLength(200);
      expect(created.filter((row) => (JSON.parse(row.data) as { registrationNumber: string }).registrationNumber !== answered.get(row.conversationId))).toEqual([]);
    } finally {
      await db8.close();
      initModels(t.ctx.db.sequelize);
    }
  }, 180_000);
});

describe('the register procedure on MariaDB', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext('mariadb');
  });
  afterAll(async () => {
    await t.cleanup();
  });
  const routines = () =>
    t.ctx.db.sequelize.query<{ name: string; comment: string; security: string }>(
      "SELECT ROUTINE_NAME AS name, ROUTINE_COMMENT AS comment, SECURITY_TYPE AS security FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_NAME LIKE 'ghiseu%'",
      { type: QueryTypes.SELECT },
    );
  const createdRow = async (conversationId: number) =>
    (await ConversationEvent.findOne({ where: { conversationId, type: 'conversation.created' } }))!.data as { registrationNumber: string | null };

  test('start makes the procedure, running as its caller; a second check changes nothing', async () => {
    expect(await routines()).toEqual([{ name: 'ghiseu_register_and_commit', comment: 'ghiseu v1', security: 'INVOKER' }]);
    expect(await ensureRoutines(t.ctx.db.sequelize)).toEqual([]);
  });

  test('a database without the procedure (restored without routines) still numbers without gaps, and the next check makes it again', async () => {
    const first = await ingestContact(t.ctx, contact());
    await t.ctx.db.sequelize.query('DROP PROCEDURE ghiseu_register_and_commit');
    const second = await ingestContact(t.ctx, contact());
    expect(second.conversation.registrationSeq).toBe(first.conversation.registrationSeq + 1);
    expect((await createdRow(second.conversation.id)).registrationNumber).toBe(second.conversation.registrationNumber);
    expect((await Conversation.findByPk(second.conversation.id))!.registrationNumber).toBe(`${second.conversation.registrationSeq}/${YEAR}`);
    expect(await ensureRoutines(t.ctx.db.sequelize)).toEqual(['ghiseu_register_and_commit']);
    const third = await ingestContact(t.ctx, contact());
    expect(third.conversation.registrationSeq).toBe(second.conversation.registrationSeq + 1);
    expect((await createdRow(third.conversation.id)).registrationNumber).toBe(third.conversation.registrationNumber);
  });

  test('the CALL commits the transaction: its rows are visible to others at once, and a later rollback undoes nothing', async () => {
    const r = await ingestContact(t.ctx, contact());
    // Unnumber the case as if its ingest stopped just before the CALL, then number it again by hand.
    await t.ctx.db.sequelize.query('UPDATE conversations SET registrationSeq = NULL, registrationNumber = NULL WHERE id = :id', { replacements: { id: r.conversation.id } });
    const last = (await RegistryCounter.findByPk(YEAR))!.lastNumber;
    const seenInside: (string | null)[] = [];
    const run = t.ctx.db.transaction(async (tx) => {
      await rawSql(tx).all('CALL ghiseu_register_and_commit(?, ?, NULL)', [r.conversation.id, YEAR]);
      // Another connection of the pool reads it while this transaction's callback still runs.
      seenInside.push((await Conversation.findByPk(r.conversation.id))!.registrationNumber);
      throw new Error('after the CALL');
    });
    await expect(run).rejects.toThrow('after the CALL');
    expect(seenInside).toEqual([`${last + 1}/${YEAR}`]);
    expect((await Conversation.findByPk(r.conversation.id))!.registrationNumber).toBe(`${last + 1}/${YEAR}`);
    expect((await RegistryCounter.findByPk(YEAR))!.lastNumber).toBe(last + 1);
  });

  test('an older version of the procedure is replaced, and a routine no version uses is dropped', async () => {
    await t.ctx.db.sequelize.query("CREATE PROCEDURE ghiseu_register_case(IN a INT) COMMENT 'ghiseu v1' BEGIN SELECT a; END");
    await t.ctx.db.sequelize.query('DROP PROCEDURE ghiseu_register_and_commit');
    await t.ctx.db.sequelize.query("CREATE PROCEDURE ghiseu_register_and_commit(IN a INT, IN b INT, IN c INT) COMMENT 'ghiseu v0' BEGIN SELECT -1 AS seq; END");
    expect(await ensureRoutines(t.ctx.db.sequelize)).toEqual(['ghiseu_register_and_commit']);
    expect(await routines()).toEqual([{ name: 'ghiseu_register_and_commit', comment: 'ghiseu v1', security: 'INVOKER' }]);
    const r = await ingestContact(t.ctx, contact());
    expect(r.conversation.registrationSeq).toBeGreaterThan(0);
  });

  test('it refuses a case that is already numbered or does not exist, and the caller\'s rollback returns the number', async () => {
    const numbered = await ingestContact(t.ctx, contact());
    const last = (await RegistryCounter.findByPk(YEAR))!.lastNumber;
    for (const id of [numbered.conversation.id, 999_999_999]) {
      const call = t.ctx.db.transaction((tx) => rawSql(tx).all('CALL ghiseu_register_and_commit(?, ?, NULL)', [id, YEAR]));
      await expect(call).rejects.toThrow(/no unnumbered case with that id/);
    }
    expect((await RegistryCounter.findByPk(YEAR))!.lastNumber).toBe(last);
    expect((await Conversation.findByPk(numbered.conversation.id))!.registrationNumber).toBe(numbered.conversation.registrationNumber);
  });
});
