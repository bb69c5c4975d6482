import { Agent, Conversation, Message } from '../../db/models';
import { ingestContact } from '../../server/ingest/ingestContact';
import { onTransactionEnd } from '../../db/connection';
import { toDate, withRawSql } from '../../db/rawSql';
import { agent, contact } from '../helpers/factories';
import { createTestContext, type TestContext } from '../helpers/context';
import { DIALECTS } from '../helpers/services';

describe.each(DIALECTS)('raw reads outside a transaction (withRawSql), on %s', (dialect) => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext(dialect);
  });
  afterEach(() => t.cleanup());

  test('a row read raw gives back what the model reads (dates through toDate)', async () => {
    const a = await agent();
    await a.update({ presenceChangedAt: new Date('2026-03-01T10:11:12.345Z') });
    const [row] = await withRawSql(t.ctx.db, (sql) => sql.all<{ id: number; email: string; presenceChangedAt: unknown }>('SELECT id, email, presenceChangedAt FROM agents WHERE id = ?', [a.id]));
    const model = await Agent.findByPk(a.id);
    expect(Number(row!.id)).toBe(model!.id);
    expect(row!.email).toBe(model!.email);
    expect(toDate(row!.presenceChangedAt)?.toISOString()).toBe(model!.presenceChangedAt!.toISOString());
  });

  test('a failing statement rejects, and the connection goes back to the pool', async () => {
    // More rounds than the pool has connections: a connection kept after a failure would starve the loop.
    for (let i = 0; i < 25; i++) {
      await expect(withRawSql(t.ctx.db, (sql) => sql.all('SELECT nope FROM agents'))).rejects.toThrow(/nope/);
    }
    const rows = await withRawSql(t.ctx.db, (sql) => sql.all<{ n: number | string }>('SELECT COUNT(*) AS n FROM agents'));
    expect(Number(rows[0]!.n)).toBe(0);
  });

  test('reads run beside an open write transaction and see only committed rows', async () => {
    const before = await agent({ name: 'Înainte' });
    let seen: string[] = [];
    await t.ctx.db.transaction(async (tx) => {
      await Agent.update({ name: 'Schimbat în tranzacție' }, { where: { id: before.id }, transaction: tx });
      seen = (await withRawSql(t.ctx.db, (sql) => sql.all<{ name: string }>('SELECT name FROM agents WHERE id = ?', [before.id]))).map((r) => r.name);
    });
    expect(seen).toEqual(['Înainte']);
  });

  test('models and raw reads see what was written: DATE as YYYY-MM-DD text, DATETIME to the millisecond in UTC, DOUBLE, booleans', async () => {
    const r = await ingestContact(t.ctx, contact({ receivedAt: new Date('2026-11-20T21:59:59.987Z') }));
    await Conversation.update({ locationLat: 46.186623, anonymous: true }, { where: { id: r.conversation.id } });
    const c = (await Conversation.findByPk(r.conversation.id))!;
    expect(c.legalDueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(c.legalDueDate).toBe(r.conversation.legalDueDate);
    expect((await Message.findByPk(r.message.id))!.receivedAt.toISOString()).toBe('2026-11-20T21:59:59.987Z');
    expect(c.locationLat).toBe(46.186623);
    expect(c.anonymous).toBe(true);
    const [row] = await withRawSql(t.ctx.db, (sql) =>
      sql.all<{ legalDueDate: unknown; receivedAt: unknown; locationLat: unknown; anonymous: unknown }>(
        'SELECT c.legalDueDate, m.receivedAt, c.locationLat, c.anonymous FROM conversations c JOIN messages m ON m.conversationId = c.id WHERE c.id = ?',
        [c.id],
      ),
    );
    expect(row!.legalDueDate).toBe(c.legalDueDate);
    expect(toDate(row!.receivedAt)?.toISOString()).toBe('2026-11-20T21:59:59.987Z');
    expect(Number(row!.locationLat)).toBe(46.186623);
    expect(Number(row!.anonymous)).toBe(1);
  });

  test('onTransactionEnd runs once when a transaction commits and once when it rolls back, after the outcome', async () => {
    const ran: string[] = [];
    await t.ctx.db.transaction(async (tx) => {
      onTransactionEnd(tx, () => ran.push('committed'));
      expect(ran).toEqual([]);
    });
    await expect(
      t.ctx.db.transaction(async (tx) => {
        onTransactionEnd(tx, () => ran.push('rolled back'));
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(ran).toEqual(['committed', 'rolled back']);
  });

  test('toDate reads both drivers\' forms and keeps null', () => {
    expect(toDate('2026-11-24 08:00:01.250 +00:00')?.toISOString()).toBe('2026-11-24T08:00:01.250Z');
    // Text without an offset (SQL defaults, triggers) is UTC, whatever the process's time zone.
    expect(toDate('2026-11-24 08:00:01')?.toISOString()).toBe('2026-11-24T08:00:01.000Z');
    expect(toDate('2026-11-24T10:00:01+02:00')?.toISOString()).toBe('2026-11-24T08:00:01.000Z');
    const d = new Date('2026-11-24T08:00:01.250Z');
    expect(toDate(d)).toBe(d);
    expect(toDate(null)).toBeNull();
  });
});

describe('transaction isolation on MariaDB', () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext('mariadb');
  });
  afterEach(() => t.cleanup());

  /** Reads an agent's name twice inside one transaction, with another connection's commit in between. */
  async function readTwice(readCommitted: boolean): Promise<string[]> {
    const a = await agent({ name: 'Întâi' });
    const seen: string[] = [];
    const read = async (tx: import('sequelize').Transaction) => seen.push((await Agent.findByPk(a.id, { transaction: tx }))!.name);
    await t.ctx.db.transaction(
      async (tx) => {
        await read(tx);
        await Agent.update({ name: 'Apoi' }, { where: { id: a.id } });
        await read(tx);
      },
      { readCommitted },
    );
    return seen;
  }

  test('a readCommitted transaction sees what another connection committed meanwhile', async () => {
    expect(await readTwice(true)).toEqual(['Întâi', 'Apoi']);
  });

  test('every other transaction keeps one snapshot (REPEATABLE READ), even on a connection that ran a readCommitted one', async () => {
    // Same pool, so the connections that served the readCommitted transactions serve these too.
    for (let i = 0; i < 3; i++) expect(await readTwice(true)).toEqual(['Întâi', 'Apoi']);
    for (let i = 0; i < 3; i++) expect(await readTwice(false)).toEqual(['Întâi', 'Întâi']);
    expect(await readTwice(true)).toEqual(['Întâi', 'Apoi']);
  });
});
