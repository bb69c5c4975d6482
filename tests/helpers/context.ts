import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../server/config';
import { closeContext, createContext } from '../../server/boot';
import type { AppContext } from '../../server/context';
import { configureLogger } from '../../server/log';
import { createScratchDatabase } from '../../scripts/scratchDatabase';
import { services, type TestDialect } from './services';

configureLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

export interface TestContext {
  ctx: AppContext;
  config: Config;
  dialect: TestDialect;
  dataDir: string;
  databaseUrl: string;
  /** Closes the context and drops the database and files it made. */
  cleanup(): Promise<void>;
}

/** Creates a fresh empty database (a new SQLite file, or a new MariaDB database) and returns its URL. */
export async function freshDatabaseUrl(dialect: TestDialect, dataDir: string): Promise<{ url: string; drop(): Promise<void> }> {
  if (dialect === 'sqlite') return { url: `sqlite:${path.join(dataDir, 'test.sqlite')}`, drop: async () => {} };
  return createScratchDatabase(services.mariadbUrl(), 't');
}

/**
 * A full application context on a fresh database of the given dialect, with a temporary DATA_DIR.
 * `env` adds or overrides configuration variables (e.g. REDIS_URL to use BullMQ).
 */
export async function createTestContext(dialect: TestDialect, env: Record<string, string> = {}): Promise<TestContext> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ghiseu-test-'));
  const db = await freshDatabaseUrl(dialect, dataDir);
  const config = loadConfig({ DATA_DIR: dataDir, DATABASE_URL: db.url, LOG_LEVEL: 'silent', ...env });
  const ctx = await createContext(config);
  return {
    ctx,
    config,
    dialect,
    dataDir,
    databaseUrl: db.url,
    cleanup: async () => {
      await closeContext(ctx);
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
