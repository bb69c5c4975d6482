import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { MailCursor, Message } from '../../db/models';
import { startEmailIntake, type RunningIntake } from '../../server/email/emailIntakeService';
import { DIALECTS, services } from '../helpers/services';
import { createTestContext, type TestContext } from '../helpers/context';
import * as fx from '../fixtures/email/messages';
import { append, flagsOf, freshFolder, imapClient, waitFor } from '../fixtures/email/imap';

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '..', '..');

/** The intake as its own process (`npx tsx server/email/intakeMain.ts`), in its own process group. */
function startIntakeProcess(t: TestContext, imapUrl: string): ChildProcess {
  const child = spawn('npx', ['tsx', 'server/email/intakeMain.ts'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: t.dataDir, DATABASE_URL: t.databaseUrl, IMAP_URL: imapUrl, LOG_LEVEL: 'error', MAIL_FROM: 'Primăria <registratura@primarie.test>' },
  });
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[intake] ${d}`));
  return child;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

describe.each(DIALECTS)('email intake survives crashes, server restarts and renumbering (%s)', (dialect) => {
  let t: TestContext;
  let running: RunningIntake | null = null;
  let child: ChildProcess | null = null;

  beforeEach(async () => {
    t = await createTestContext(dialect);
  });
  afterEach(async () => {
    if (child) killGroup(child, 'SIGKILL');
    child = null;
    await running?.stop();
    running = null;
    await t.cleanup();
  });

  it('SIGKILL in the middle of 1,000 messages, restart: all 1,000 ingested, none twice, all flagged', async () => {
    const { folder, url } = await freshFolder('Kill');
    const c = await imapClient();
    for (let i = 0; i < 1000; i++) await c.append(folder, fx.plain({ from: `c${i % 97}@exemplu.ro`, subject: `Sesizarea ${i}`, text: `Mesajul numărul ${i}.`, minutes: i }));
    await c.logout();

    child = startIntakeProcess(t, url);
    await waitFor('some messages ingested', async () => (await Message.count({ where: { channel: 'email' } })) >= 150, 120_000, 50);
    killGroup(child, 'SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    const atKill = await Message.count({ where: { channel: 'email' } });
    expect(atKill).toBeLessThan(1000);

    child = startIntakeProcess(t, url);
    await waitFor('1,000 messages', async () => (await Message.count({ where: { channel: 'email' } })) >= 1000, 240_000, 200);
    await waitFor('all flagged \\Seen', async () => (await flagsOf(folder)).every((f) => f.seen), 60_000, 500);
    killGroup(child, 'SIGTERM');
    const messages = await Message.findAll({ where: { channel: 'email' }, attributes: ['externalId', 'subject'] });
    expect(messages).toHaveLength(1000);
    expect(new Set(messages.map((m) => m.externalId)).size).toBe(1000);
    expect(new Set(messages.map((m) => m.subject)).size).toBe(1000);
  });

  it('restarting Dovecot while the client is in IDLE: it reconnects and catches up', async () => {
    const conf = services.imap().dovecotConf;
    const { folder, spec } = await freshFolder('Idle');
    await append(folder, [fx.plain({ subject: 'Înainte de repornire' })]);
    running = await startEmailIntake(t.ctx, { mailboxes: [spec], pollMs: 60_000, backoffMs: 200, maxBackoffMs: 1000 });
    const watcher = running.watchers.get(spec.key)!;
    await waitFor('first message and IDLE', async () => (await Message.count()) === 1 && (await watcher.health()).idling);

    execFileSync('doveadm', ['-c', conf, 'stop'], { stdio: 'ignore' });
    await waitFor('disconnect noticed', async () => !(await watcher.health()).connected, 20_000);
    // stdio ignored: the daemon keeps inherited pipes open, and execFileSync would wait on them.
    execFileSync('dovecot', ['-c', conf], { stdio: 'ignore' });
    await waitFor('Dovecot back', async () => {
      const c = await imapClient();
      await c.logout();
      return true;
    }, 20_000, 200);
    // Mail that arrives while (or right after) the server was down is caught up after the reconnect.
    await append(folder, [fx.plain({ subject: 'După repornire 1' }), fx.plain({ subject: 'După repornire 2' })]);
    await waitFor('caught up', async () => (await Message.count()) === 3, 30_000);
    const h = await watcher.health();
    expect(h.connected).toBe(true);
    expect(h.reconnects).toBeGreaterThanOrEqual(1);
    // And it is back in IDLE: a new message arrives without any poll (the poll interval is a minute).
    await append(folder, [fx.plain({ subject: 'Prin IDLE' })]);
    await waitFor('pushed by IDLE', async () => (await Message.count()) === 4, 15_000);
  });

  it('a changed UIDVALIDITY (folder deleted and recreated with the same mail) rescans without duplicates', async () => {
    const { folder, spec } = await freshFolder('Uidv');
    const raws = [fx.plain({ subject: 'Unu' }), fx.plain({ subject: 'Doi' }), fx.malformed()];
    await append(folder, raws);
    running = await startEmailIntake(t.ctx, { mailboxes: [spec], pollMs: 300 });
    await waitFor('3 ingested', async () => (await Message.count()) === 3);
    await running.stop();
    running = null;
    const before = (await MailCursor.findOne({ where: { mailboxKey: spec.key } }))!.uidValidity;

    const c = await imapClient();
    await c.mailboxDelete(folder);
    await c.mailboxCreate(folder);
    await c.logout();
    await append(folder, [...raws, fx.plain({ subject: 'Trei (nou)' })]);

    running = await startEmailIntake(t.ctx, { mailboxes: [spec], pollMs: 300 });
    await waitFor('the new one ingested', async () => (await Message.count()) === 4);
    await waitFor('all flagged', async () => (await flagsOf(folder)).every((f) => f.seen));
    const after = (await MailCursor.findOne({ where: { mailboxKey: spec.key } }))!;
    expect(after.uidValidity).not.toBe(before);
    expect(after.lastUid).toBe(4);
    const all = await Message.findAll();
    expect(new Set(all.map((m) => m.externalId)).size).toBe(4);
    expect(all.map((m) => m.subject)).toEqual(expect.arrayContaining(['Unu', 'Doi', 'Trei (nou)']));
  });
});
