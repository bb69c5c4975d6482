import { spawn } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { Mailbox, Message } from '../../db/models';
import { createApp } from '../../server/app';
import { createSession } from '../../server/auth/sessions';
import { startEmailIntake, type RunningIntake } from '../../server/email/emailIntakeService';
import { loadMailboxes } from '../../server/email/mailboxes';
import { SecretKeyError, decryptSecret, deriveSecretKey, encryptSecret, isEncrypted, secretKeys } from '../../server/email/secretBox';
import { DIALECTS, services } from '../helpers/services';
import { createTestContext, type TestContext } from '../helpers/context';
import { agent } from '../helpers/factories';
import * as fx from '../fixtures/email/messages';
import { append, freshFolder, waitFor } from '../fixtures/email/imap';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '..', '..');
const KEY_A = 'a'.repeat(16) + '-first-secrets-key-for-tests';
const KEY_B = 'b'.repeat(16) + '-second-secrets-key-for-tests';

describe('secret box (AES-256-GCM, versioned)', () => {
  const keys = { current: deriveSecretKey(KEY_A), previous: null };

  it('round-trips, with a fresh IV each time, and the stored form names its format and key', () => {
    const one = encryptSecret('parolă-ș', keys);
    const two = encryptSecret('parolă-ș', keys);
    expect(one).not.toBe(two);
    expect(one).toMatch(new RegExp(`^enc:v1:${keys.current.id}:`));
    expect(one).not.toContain('parol');
    expect(decryptSecret(one, keys)).toEqual({ plain: 'parolă-ș', rewrite: false });
  });

  it('a wrong key, a damaged value or a truncated tag fail with an error that says what to do', () => {
    const stored = encryptSecret('secret', keys);
    const other = { current: deriveSecretKey(KEY_B), previous: null };
    expect(() => decryptSecret(stored, other)).toThrow(SecretKeyError);
    expect(() => decryptSecret(stored, other)).toThrow(/encrypted with another key \(key id [0-9a-f]{8}.*Set SECRETS_KEY/);
    const parts = stored.split(':');
    const flipped = [...parts];
    flipped[4] = Buffer.from(Buffer.from(parts[4]!, 'base64url').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64url');
    expect(() => decryptSecret(flipped.join(':'), keys)).toThrow(/failed its integrity check/);
    const truncated = [...parts];
    truncated[5] = Buffer.from(parts[5]!, 'base64url').subarray(0, 4).toString('base64url');
    expect(() => decryptSecret(truncated.join(':'), keys)).toThrow(/failed its integrity check/);
    expect(() => decryptSecret('enc:v1:garbage', keys)).toThrow(/not in the enc:v1 format/);
  });

  it('rotation: a value under SECRETS_KEY_PREVIOUS is read and marked for re-encryption; plain text too', () => {
    const old = encryptSecret('secret', { current: deriveSecretKey(KEY_A), previous: null });
    const rotated = secretKeys({ SECRETS_KEY: KEY_B, SECRETS_KEY_PREVIOUS: KEY_A, SESSION_SECRET: 'x'.repeat(32) });
    expect(decryptSecret(old, rotated)).toEqual({ plain: 'secret', rewrite: true });
    expect(decryptSecret('plain-from-before', rotated)).toEqual({ plain: 'plain-from-before', rewrite: true });
    // Without SECRETS_KEY the session secret keys the box.
    expect(secretKeys({ SESSION_SECRET: KEY_A }).current.id).toBe(deriveSecretKey(KEY_A).id);
  });
});

describe.each(DIALECTS)('mailbox passwords encrypted at rest (%s)', (dialect) => {
  let t: TestContext;
  let running: RunningIntake | null = null;

  beforeEach(async () => {
    t = await createTestContext(dialect, { SECRETS_KEY: KEY_A, MAIL_FROM: 'Primăria <registratura@primarie.test>' });
  });
  afterEach(async () => {
    await running?.stop();
    running = null;
    await t.cleanup();
  });

  const imap = () => services.imap();
  const storedPassword = async (id: number) => (await Mailbox.findByPk(id))!.password;

  it('the admin API stores the password encrypted and never returns it; the watcher connects with the decrypted one', async () => {
    const { folder } = await freshFolder('Sec');
    const app = createApp(t.ctx);
    const s = await createSession(await agent({ role: 'admin' }));
    const auth = (r: request.Test) => r.set('Cookie', `ghiseu_session=${s.token}`).set('X-CSRF-Token', s.csrfToken);
    const body = { name: 'Registratură', host: imap().host, port: imap().port, secure: false, tlsInsecure: true, username: imap().user, password: imap().pass, folder };
    const created = await auth(request(app).post('/api/v1/admin/mailboxes')).send(body);
    expect(created.status).toBe(201);
    expect(created.body.passwordSet).toBe(true);
    expect(created.body).not.toHaveProperty('password');
    const list = await auth(request(app).get('/api/v1/admin/mailboxes'));
    expect(JSON.stringify(list.body)).not.toContain(imap().pass);
    expect(JSON.stringify(list.body)).not.toContain('enc:v1');

    const stored = await storedPassword(created.body.id);
    expect(stored).not.toBe(imap().pass);
    expect(stored).not.toContain(imap().pass);
    expect(isEncrypted(stored)).toBe(true);

    await append(folder, [fx.plain({ subject: 'Prin cutia din tabel' })]);
    running = await startEmailIntake(t.ctx, { pollMs: 300 });
    await waitFor('ingested through the table mailbox', async () => (await Message.count()) === 1, 30_000);
    expect((await Message.findOne())!.subject).toBe('Prin cutia din tabel');
  });

  it('a plain-text row from before is encrypted on first read; under another key it is left out with a clear error, and rotation re-encrypts it', async () => {
    const row = await Mailbox.create({ name: 'Veche', host: imap().host, port: imap().port, secure: false, tlsInsecure: true, username: imap().user, password: imap().pass, folder: 'INBOX', processedFolder: null });
    const [spec] = await loadMailboxes(t.config);
    expect(spec!.pass).toBe(imap().pass);
    const encrypted = await storedPassword(row.id);
    expect(encrypted).toMatch(new RegExp(`^enc:v1:${deriveSecretKey(KEY_A).id}:`));
    // Read again: same password, the stored value left as it is.
    expect((await loadMailboxes(t.config))[0]!.pass).toBe(imap().pass);
    expect(await storedPassword(row.id)).toBe(encrypted);

    // Another key: the mailbox is not watched (nothing else breaks), and the error names what to set.
    const wrong = { ...t.config, SECRETS_KEY: KEY_B };
    expect(await loadMailboxes(wrong)).toEqual([]);
    expect(() => decryptSecret(encrypted, secretKeys(wrong))).toThrow(/another key.*SECRETS_KEY_PREVIOUS/);
    expect(await storedPassword(row.id)).toBe(encrypted);

    // Rotation: the new key with the old one as SECRETS_KEY_PREVIOUS reads it and stores it under the new key.
    const rotated = { ...t.config, SECRETS_KEY: KEY_B, SECRETS_KEY_PREVIOUS: KEY_A };
    expect((await loadMailboxes(rotated))[0]!.pass).toBe(imap().pass);
    expect(await storedPassword(row.id)).toMatch(new RegExp(`^enc:v1:${deriveSecretKey(KEY_B).id}:`));
    expect((await loadMailboxes({ ...t.config, SECRETS_KEY: KEY_B }))[0]!.pass).toBe(imap().pass);
  });

  it('an intake process reads the table mailbox and never writes the password to its log, even at trace level', async () => {
    const { folder } = await freshFolder('SecLog');
    await Mailbox.create({ name: 'Proces', host: imap().host, port: imap().port, secure: false, tlsInsecure: true, username: imap().user, password: imap().pass, folder, processedFolder: null });
    await loadMailboxes(t.config);
    await append(folder, [fx.plain({ subject: 'Dintr-un alt proces' })]);
    const child = spawn('npx', ['tsx', 'server/email/intakeMain.ts'], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: t.dataDir, DATABASE_URL: t.databaseUrl, SECRETS_KEY: KEY_A, LOG_LEVEL: 'trace', MAIL_FROM: 'Primăria <registratura@primarie.test>' },
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    try {
      await waitFor('ingested by the intake process', async () => (await Message.count()) === 1, 90_000, 200);
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    expect(output).toContain('mailbox connected');
    expect(output).not.toContain(imap().pass);
    expect(output).not.toContain('enc:v1');
  });
});
