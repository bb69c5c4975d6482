import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** Starts `tsx server/main.ts` like `npm start` does, with the given environment. */
function start(env: Record<string, string>, args: string[] = []): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'server/main.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor<T>(fn: () => T | undefined, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('starting Ghișeu', () => {
  jest.setTimeout(90_000);

  test('embedded defaults: an empty DATA_DIR serves /healthz and the login page, with demo data', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ghiseu-start-'));
    const app = start({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn' });
    try {
      const port = await waitFor(() => /http:\/\/localhost:(\d+)\//.exec(app.output())?.[1], 80_000, `the listening line in:\n${app.output()}`);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      const body = (await health.json()) as { ok: boolean; database: { dialect: string }; jobs: { driver: string } };
      expect(body).toMatchObject({ ok: true, database: { ok: true, dialect: 'sqlite' }, jobs: { ok: true, driver: 'local' } });
      const login = await fetch(`http://127.0.0.1:${port}/console/`);
      expect(login.status).toBe(200);
      const html = await login.text();
      expect(html).toMatch(/<html lang="ro"/);
      expect(html).toMatch(/Ghișeu/);
      // The demo credentials are printed once on first start.
      expect(app.output()).toMatch(/supervisor/i);
    } finally {
      app.child.kill('SIGTERM');
      expect(await app.exited).toBe(0);
    }
  });

  test('a bad configuration value stops the start with a message naming it', async () => {
    const app = start({ DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'ghiseu-start-')), PORT: 'eighty', REDIS_URL: 'localhost:6379' });
    const code = await app.exited;
    expect(code).toBe(78);
    expect(app.output()).toMatch(/PORT: .*number/);
    expect(app.output()).toMatch(/REDIS_URL: expected a URL like redis:\/\//);
    expect(app.output()).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
  });

  test('an unknown --role is refused', async () => {
    const app = start({ DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'ghiseu-start-')) }, ['--role', 'everything']);
    expect(await app.exited).toBe(64);
    expect(app.output()).toMatch(/--role must be one of web, worker, all/);
  });
});
