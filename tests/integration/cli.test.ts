import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { Agent, AgentDepartment, ApiKey } from '../../db/models';
import { createApp } from '../../server/app';
import { closeContext, createContext } from '../../server/boot';
import { loadConfig } from '../../server/config';
import type { AppContext } from '../../server/context';
import { freshDatabaseUrl } from '../helpers/context';
import { DIALECTS } from '../helpers/services';

// Each command is a new Node process compiling TypeScript: slow on a busy machine.
jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '../..');
const PASSWORD = 'o-parola-destul-de-lunga';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `npx tsx server/cli/main.ts <args>` (what `npm run cli --` runs) with the given stdin and environment.
 * The tsx binary is called directly: npx would only resolve it to the same file, a few seconds later.
 */
function cli(args: string[], env: Record<string, string>, stdin = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['server/cli/main.ts', ...args], {
      cwd: ROOT,
      // Only what the CLI needs: no inherited database, Redis or channel settings.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), LOG_LEVEL: 'silent', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('admin CLI arguments', () => {
  // These stop before the database is opened, so one run covers both dialects.
  const env = { DATA_DIR: path.join(os.tmpdir(), 'ghiseu-cli-unused'), DATABASE_URL: 'sqlite::memory:' };

  it('refuses bad arguments with a clear message and exit 64', async () => {
    const [badRole, shortPassword, noPassword, missingEmail] = await Promise.all([
      cli(['agent:create', '--email', 'x@primarie.test', '--name', 'X', '--role', 'boss'], env, `${PASSWORD}\n`),
      cli(['agent:create', '--email', 'y@primarie.test', '--name', 'Y', '--role', 'agent'], env, 'scurta\n'),
      cli(['agent:create', '--email', 'z@primarie.test', '--name', 'Z', '--role', 'agent'], env, ''),
      cli(['agent:create', '--name', 'V', '--role', 'agent'], env, `${PASSWORD}\n`),
    ]);
    expect(badRole.code).toBe(64);
    expect(badRole.stderr).toMatch(/--role must be one of agent, supervisor, admin \(got "boss"\)/);
    expect(shortPassword.code).toBe(64);
    expect(shortPassword.stderr).toMatch(/at least 10 characters/);
    expect(noPassword.code).toBe(64);
    expect(noPassword.stderr).toMatch(/no password on standard input/);
    expect(missingEmail.code).toBe(64);
    expect(missingEmail.stderr).toMatch(/--email is required/);
  });

  it('prints help, refuses unknown commands, and stops with exit 78 naming the variable on a bad configuration', async () => {
    const [help, unknownCommand, badConfig] = await Promise.all([
      cli(['help'], env),
      cli(['agent:delete'], env),
      cli(['db:migrate'], { ...env, DATABASE_URL: 'postgres://nope' }),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/agent:create --email E --name N --role agent\|supervisor\|admin/);
    expect(unknownCommand.code).toBe(64);
    expect(unknownCommand.stderr).toMatch(/Unknown command "agent:delete"/);
    expect(badConfig.code).toBe(78);
    expect(badConfig.stderr).toMatch(/DATABASE_URL/);
  });
});

describe.each(DIALECTS)('admin CLI on %s', (dialect) => {
  let dataDir: string;
  let env: Record<string, string>;
  let drop: () => Promise<void>;
  let ctx: AppContext | undefined;

  /** The server side of the same database, opened in this process after the CLI has written to it. */
  async function serverContext(): Promise<AppContext> {
    ctx ??= await createContext(loadConfig({ DATA_DIR: dataDir, DATABASE_URL: env.DATABASE_URL, LOG_LEVEL: 'silent' }));
    return ctx;
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'ghiseu-cli-'));
    const db = await freshDatabaseUrl(dialect, dataDir);
    drop = db.drop;
    env = { DATA_DIR: dataDir, DATABASE_URL: db.url };
  });
  afterAll(async () => {
    if (ctx) await closeContext(ctx);
    await drop?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('migrates and seeds the database', async () => {
    const migrated = await cli(['db:migrate'], env);
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toMatch(/Applied \d+ migration/);
    const seeded = await cli(['seed'], env);
    expect(seeded.code).toBe(0);
    expect(seeded.stdout).toMatch(/24 categories \(24 new\)/);
  });

  it('creates an agent with the password from stdin who can then sign in', async () => {
    const created = await cli(['agent:create', '--email', 'Maria.Pop@Primarie.test', '--name', 'Maria Pop', '--role', 'supervisor', '--all-departments'], env, `${PASSWORD}\n`);
    expect(created.stderr).not.toMatch(/failed/);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/Created supervisor #\d+ maria\.pop@primarie\.test/);
    // Nothing secret is echoed.
    expect(created.stdout + created.stderr).not.toContain(PASSWORD);

    const app = createApp(await serverContext());
    const res = await request(app).post('/api/v1/auth/login').send({ email: 'maria.pop@primarie.test', password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body.agent).toMatchObject({ name: 'Maria Pop', role: 'supervisor' });
    const stored = await Agent.findOne({ where: { email: 'maria.pop@primarie.test' } });
    expect(stored!.passwordHash).toMatch(/^scrypt\$/);
    expect(stored!.allDepartments).toBe(true);
  });

  it('creates department-restricted agents, and refuses a duplicate email or an unknown department', async () => {
    const [restricted, duplicate, unknownDepartment] = await Promise.all([
      cli(['agent:create', '--email', 'drumuri@primarie.test', '--name', 'Dan Drum', '--role', 'agent', '--departments', 'drumuri,iluminat'], env, `${PASSWORD}\n`),
      cli(['agent:create', '--email', 'maria.pop@primarie.test', '--name', 'Alta Maria', '--role', 'agent'], env, `${PASSWORD}\n`),
      cli(['agent:create', '--email', 'w@primarie.test', '--name', 'W', '--role', 'agent', '--departments', 'drumuri,nicaieri'], env, `${PASSWORD}\n`),
    ]);
    expect(restricted.code).toBe(0);
    expect(duplicate.code).toBe(65);
    expect(duplicate.stderr).toMatch(/already exists/);
    expect(unknownDepartment.code).toBe(65);
    expect(unknownDepartment.stderr).toMatch(/unknown department code\(s\): nicaieri/);

    await serverContext();
    const agent = await Agent.findOne({ where: { email: 'drumuri@primarie.test' } });
    expect(agent!.allDepartments).toBe(false);
    expect(await AgentDepartment.count({ where: { agentId: agent!.id } })).toBe(2);
    expect(await Agent.count({ where: { email: ['maria.pop@primarie.test', 'w@primarie.test'] } })).toBe(1);
  });

  it('creates an API key, printed once, that authenticates the integration API', async () => {
    const created = await cli(['apikey:create', '--name', 'Sistemul de registratură'], env);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^gk_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/shown only now/);
    expect(created.stderr).not.toContain(key);

    const app = createApp(await serverContext());
    expect(await ApiKey.count({ where: { name: 'Sistemul de registratură' } })).toBe(1);
    const res = await request(app)
      .post('/api/v1/contacts')
      .set('Authorization', `Bearer ${key}`)
      .send({ externalId: 'cli-test-1', from: { email: 'cetatean@example.ro' }, text: 'Sesizare trimisă prin integrare.' });
    expect(res.status).toBe(201);
    expect(res.body.conversation.registrationNumber).toMatch(/^\d+\/\d{4}$/);
    expect((await request(app).post('/api/v1/contacts').set('Authorization', 'Bearer gk_wrong').send({ externalId: 'x', from: {}, text: 'x' })).status).toBe(401);

    // Listed by number and prefix, never the key; revoked by number from another process.
    const listed = await cli(['apikey:list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(key);
    const line = listed.stdout.split('\n').find((l) => l.includes('Sistemul de registratură'))!;
    expect(line).toContain(key.slice(0, 10));
    const id = /^(\d+)\s/.exec(line)![1]!;
    expect((await cli(['apikey:revoke', '--id', '999999'], env)).code).toBe(65);
    expect((await cli(['apikey:revoke', '--id', 'abc'], env)).code).toBe(64);
    const revoked = await cli(['apikey:revoke', '--id', id], env);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/within 5 seconds/);
    expect((await cli(['apikey:list'], env)).stdout.split('\n').find((l) => l.startsWith(`${id} `))).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    // This server read the key a moment ago; once its trust runs out it reads it again and refuses it.
    const later = Date.now() + 5_001;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => later);
    try {
      const refused = await request(app).post('/api/v1/contacts').set('Authorization', `Bearer ${key}`).send({ externalId: 'cli-test-2', from: { email: 'cetatean@example.ro' }, text: 'După revocare.' });
      expect(refused.status).toBe(401);
    } finally {
      clock.mockRestore();
    }
  });
});
