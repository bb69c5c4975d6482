import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { MailIntake, Message } from '../../db/models';
import { createApp } from '../../server/app';
import { createSession } from '../../server/auth/sessions';
import { startEmailIntake, type RunningIntake } from '../../server/email/emailIntakeService';
import { EmailIntake, retryFromQuarantine } from '../../server/email/intake';
import { ownMessageIdDomains } from '../../server/email/mailboxes';
import { ParsePool } from '../../server/email/parsePool';
import { DIALECTS, services } from '../helpers/services';
import { createTestContext, type TestContext } from '../helpers/context';
import { agent } from '../helpers/factories';
import * as fx from '../fixtures/email/messages';
import { append, flagsOf, freshFolder, waitFor } from '../fixtures/email/imap';
import { tcpRelay, type TcpRelay } from '../fixtures/email/proxy';

jest.setTimeout(120_000);

/** IMAP_URL of a folder reached through the relay (the mailbox a test can make unreachable). */
function relayedUrl(relay: TcpRelay, folder: string, processed?: string): string {
  const s = services.imap();
  const q = processed ? `&processed=${encodeURIComponent(processed)}` : '';
  return `imap://${encodeURIComponent(s.user)}:${encodeURIComponent(s.pass)}@127.0.0.1:${relay.port}/${encodeURIComponent(folder)}?tls=insecure${q}`;
}

/** A parse budget no real message fits: every message is quarantined on its first try. */
const TINY = { maxBytes: 50, timeoutMs: 10_000 };

describe.each(DIALECTS)('mail retried from the quarantine is flagged on the server (%s)', (dialect) => {
  let t: TestContext;
  let relay: TcpRelay;
  let running: RunningIntake | null = null;
  const pools: ParsePool[] = [];

  beforeEach(async () => {
    const s = services.imap();
    relay = await tcpRelay(s.host, s.port);
  });
  afterEach(async () => {
    await running?.stop();
    running = null;
    await Promise.all(pools.splice(0).map((p) => p.close()));
    await t.cleanup();
    await relay.close();
  });

  /** A context watching `url`, with one message quarantined in it (unflagged on the server). */
  async function quarantinedMessage(url: string, folder: string) {
    t = await createTestContext(dialect, { IMAP_URL: url, MAIL_FROM: 'Primăria <registratura@primarie.test>' });
    await append(folder, [fx.plain({ subject: 'Cerere reîncercată din carantină' })]);
    running = await startEmailIntake(t.ctx, { pollMs: 300, budget: TINY, maxAttempts: 1 });
    const row = await waitFor('quarantined', async () => MailIntake.findOne({ where: { status: 'quarantined' } }), 30_000);
    await running.stop();
    running = null;
    expect(await flagsOf(folder)).toEqual([{ uid: row.uid, seen: false }]);
    return row;
  }

  function intakeWith(budget?: { maxBytes: number; timeoutMs: number }): EmailIntake {
    const pool = new ParsePool(1, budget);
    pools.push(pool);
    return new EmailIntake(t.ctx, pool, { ownDomains: ownMessageIdDomains(t.config) });
  }

  it('a retry that fails again flags nothing: the flag follows only an ingest that committed', async () => {
    const { folder } = await freshFolder('Q');
    const row = await quarantinedMessage(relayedUrl(relay, folder), folder);
    const result = await retryFromQuarantine(t.ctx, intakeWith(TINY), row);
    expect(result.ok).toBe(false);
    expect(result.flagged).toBe(false);
    const after = (await MailIntake.findByPk(row.id))!;
    expect(after.status).toBe('quarantined');
    expect(after.flagPending).toBe(false);
    expect(await Message.count()).toBe(0);
    expect(await flagsOf(folder)).toEqual([{ uid: row.uid, seen: false }]);
  });

  it('retried while the mailbox is reachable: ingested, then flagged \\Seen at once (HTTP retry)', async () => {
    const { folder } = await freshFolder('Q');
    const row = await quarantinedMessage(relayedUrl(relay, folder), folder);
    const app = createApp(t.ctx);
    const s = await createSession(await agent({ role: 'supervisor' }));
    const res = await request(app).post(`/api/v1/admin/mail-quarantine/${row.id}/retry`).set('Cookie', `ghiseu_session=${s.token}`).set('X-CSRF-Token', s.csrfToken);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ ok: true, flagged: true }));
    expect((await Message.findByPk(res.body.messageId))!.subject).toBe('Cerere reîncercată din carantină');
    expect(await flagsOf(folder)).toEqual([{ uid: row.uid, seen: true }]);
    expect((await MailIntake.findByPk(row.id))!.flagPending).toBe(false);
  });

  it('retried while the mailbox is unreachable: the flag waits as a pending record and the watcher applies it on its next connection', async () => {
    const { folder } = await freshFolder('Q');
    const row = await quarantinedMessage(relayedUrl(relay, folder), folder);
    await relay.cut();
    const result = await retryFromQuarantine(t.ctx, intakeWith(), row);
    expect(result).toEqual(expect.objectContaining({ ok: true, flagged: false }));
    expect((await MailIntake.findByPk(row.id))!.flagPending).toBe(true);
    // Ingested, but the server was not told: the message is still unread there.
    expect(await Message.count()).toBe(1);
    expect(await flagsOf(folder)).toEqual([{ uid: row.uid, seen: false }]);
    // /healthz shows the debt, and that no process watches the mailbox now.
    const app = createApp(t.ctx);
    const emailHealth = async () => (await request(app).get('/healthz')).body.channels.email.mailboxes[0];
    expect(await emailHealth()).toEqual(expect.objectContaining({ flagsPending: 1, watchedBy: null }));

    await relay.restore();
    running = await startEmailIntake(t.ctx, { pollMs: 300 });
    await waitFor('flag applied by the watcher', async () => (await flagsOf(folder)).every((f) => f.seen), 30_000);
    await waitFor('pending record cleared', async () => !(await MailIntake.findByPk(row.id))!.flagPending);
    const watcher = [...running.watchers.values()][0]!;
    expect(await emailHealth()).toEqual(expect.objectContaining({ flagsPending: 0, watchedBy: watcher.lease.holder }));
    // The watcher did not take the message in a second time (its cursor is past it), and nothing was deleted.
    expect(await Message.count()).toBe(1);
    expect(await flagsOf(folder)).toEqual([{ uid: row.uid, seen: true }]);
  });

  it('with a processed folder, the retried message is moved there, not deleted', async () => {
    const { folder } = await freshFolder('Q');
    const done = `Done-${randomUUID().slice(0, 8)}`;
    const row = await quarantinedMessage(relayedUrl(relay, folder, done), folder);
    const result = await retryFromQuarantine(t.ctx, intakeWith(), row);
    expect(result).toEqual(expect.objectContaining({ ok: true, flagged: true }));
    expect(await flagsOf(folder)).toEqual([]);
    expect(await flagsOf(done)).toHaveLength(1);
  });
});
