import { Message } from '../../db/models';
import { startEmailIntake, type RunningIntake } from '../../server/email/emailIntakeService';
import { MailboxLease } from '../../server/email/mailboxLease';
import { DIALECTS } from '../helpers/services';
import { createTestContext, type TestContext } from '../helpers/context';
import * as fx from '../fixtures/email/messages';
import { append, flagsOf, freshFolder, waitFor } from '../fixtures/email/imap';

jest.setTimeout(180_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(DIALECTS)('one watcher per mailbox across processes (%s)', (dialect) => {
  let t: TestContext;
  const running: RunningIntake[] = [];

  beforeEach(async () => {
    t = await createTestContext(dialect, { MAIL_FROM: 'Primăria <registratura@primarie.test>' });
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
    await t.cleanup();
  });

  it('the lease: one winner among racing contenders, renewed by its holder, taken over only after it expires', async () => {
    const seq = t.ctx.db.sequelize;
    const key = 'lease-test@127.0.0.1:143/INBOX';
    const contenders = Array.from({ length: 8 }, (_, i) => new MailboxLease(seq, key, 800, `contender-${i}`));
    const won = await Promise.all(contenders.map((c) => c.acquire()));
    expect(won.filter(Boolean)).toHaveLength(1);
    const holder = contenders[won.indexOf(true)]!;
    const other = contenders.find((c) => c !== holder)!;
    expect((await MailboxLease.holderOf(seq, key))!.holder).toBe(holder.holder);

    // Renewed before it lapses: nobody else gets it, however often they try.
    for (let i = 0; i < 4; i++) {
      await sleep(300);
      expect(await holder.renew()).toBe(true);
      expect(await other.acquire()).toBe(false);
    }
    // The holder stops renewing (it died): still its lease until the expiry, then the other's.
    expect(await other.acquire()).toBe(false);
    await sleep(900);
    expect(await other.acquire()).toBe(true);
    expect(holder.held).toBe(false);
    expect(await holder.renew()).toBe(false);
    expect((await MailboxLease.holderOf(seq, key))!.holder).toBe(other.holder);
    // A clean stop hands it over at once.
    await other.release();
    expect(await holder.acquire()).toBe(true);
  });

  it('two intakes on one mailbox: one fetches, the other idles; the holder dies, the other takes over within the lease and catches up; every message once', async () => {
    const leaseMs = 3000;
    const { folder, spec } = await freshFolder('Lead');
    await append(folder, Array.from({ length: 12 }, (_, i) => fx.plain({ from: `c${i}@exemplu.ro`, subject: `Înainte ${i}`, minutes: i })));
    const a = await startEmailIntake(t.ctx, { mailboxes: [spec], pollMs: 300, leaseMs });
    running.push(a);
    const b = await startEmailIntake(t.ctx, { mailboxes: [spec], pollMs: 300, leaseMs });
    running.push(b);
    await waitFor('12 ingested', async () => (await Message.count()) === 12, 60_000);

    const wa = a.watchers.get(spec.key)!;
    const wb = b.watchers.get(spec.key)!;
    const [ha, hb] = await Promise.all([wa.health(), wb.health()]);
    expect([ha.leader, hb.leader].filter(Boolean)).toHaveLength(1);
    const [leader, standby] = ha.leader ? [a, b] : [b, a];
    const [wl, ws] = ha.leader ? [wa, wb] : [wb, wa];
    // The standby never connected to the server nor fetched anything.
    const standbyHealth = await ws.health();
    expect(standbyHealth).toEqual(expect.objectContaining({ leader: false, connected: false, lastFetchAt: null, ok: true }));
    expect(standby.intake.stats.ingested + standby.intake.stats.duplicates).toBe(0);
    expect(leader.intake.stats.ingested).toBe(12);
    expect((await MailboxLease.holderOf(t.ctx.db.sequelize, spec.key))!.holder).toBe(wl.lease.holder);

    // Still so a few renewals later.
    await sleep(leaseMs);
    expect((await ws.health()).leader).toBe(false);
    expect(standby.intake.stats.ingested).toBe(0);

    // The holder dies: it stops without giving the lease up. Mail keeps arriving meanwhile.
    await leader.stop({ release: false });
    running.splice(running.indexOf(leader), 1);
    const diedAt = Date.now();
    await append(folder, Array.from({ length: 8 }, (_, i) => fx.plain({ from: `d${i}@exemplu.ro`, subject: `După ${i}`, minutes: 100 + i })));
    await waitFor('the standby takes over', async () => (await ws.health()).leader, leaseMs * 3, 50);
    const tookOverAfter = Date.now() - diedAt;
    // Not before the dead holder's lease ran out (it was renewed at most a third of the lease before it died),
    // and within the lease time plus one standby retry.
    expect(tookOverAfter).toBeGreaterThan(leaseMs / 2);
    expect(tookOverAfter).toBeLessThan(leaseMs + leaseMs / 3 + 1500);

    await waitFor('20 ingested', async () => (await Message.count()) === 20, 60_000);
    await waitFor('all flagged', async () => (await flagsOf(folder)).every((f) => f.seen), 30_000);
    const all = await Message.findAll({ attributes: ['externalId', 'subject'] });
    expect(all).toHaveLength(20);
    expect(new Set(all.map((m) => m.externalId)).size).toBe(20);
    expect(standby.intake.stats.ingested).toBe(8);
  });
});
