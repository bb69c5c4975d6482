import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { Sequelize, Transaction, type Options } from 'sequelize';

/** The database dialects Ghișeu runs on, with identical behaviour. */
export type Dialect = 'sqlite' | 'mysql';

export interface Database {
  sequelize: Sequelize;
  dialect: Dialect;
  /** Runs `fn` in one write transaction, with deadlock retries. See withTransaction. */
  transaction<T>(fn: (t: Transaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Parses DATABASE_URL (`sqlite:<file>` or `mysql://user:pass@host:port/db`) into Sequelize options. */
export function sequelizeOptions(url: string, opts: { poolMax?: number } = {}): Options {
  const common: Options = { logging: false, define: { underscored: false } };
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '') || ':memory:';
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    return { ...common, dialect: 'sqlite', storage: file, transactionType: Transaction.TYPES.IMMEDIATE };
  }
  const u = new URL(url.replace(/^mariadb:/, 'mysql:'));
  return {
    ...common,
    dialect: 'mysql',
    host: u.hostname,
    port: u.port ? Number(u.port) : 3306,
    username: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.slice(1)),
    timezone: '+00:00',
    dialectOptions: { charset: 'utf8mb4', supportBigNumbers: true, dateStrings: false },
    pool: { max: opts.poolMax ?? 10, min: 0, acquire: 30_000, idle: 10_000 },
  };
}

/** A promise chain that admits one holder at a time. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

const RETRYABLE = /ER_LOCK_DEADLOCK|ER_LOCK_WAIT_TIMEOUT|Deadlock found|SQLITE_BUSY|Lock wait timeout/;

/** Opens the database named by DATABASE_URL. */
export function openDatabase(url: string, opts: { poolMax?: number } = {}): Database {
  const options = sequelizeOptions(url, opts);
  const sequelize = new Sequelize(options);
  const dialect = options.dialect as Dialect;

  if (dialect === 'sqlite') tuneSqlite(sequelize);

  // SQLite has one writer; an IMMEDIATE transaction takes the write lock up front. Serialising writers in
  // the process keeps them from holding libuv threads while they wait on each other's busy timeout.
  const writers = new Mutex();

  async function transaction<T>(fn: (t: Transaction) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const run = () => sequelize.transaction((t) => fn(t));
        return dialect === 'sqlite' ? await writers.run(run) : await run();
      } catch (err) {
        const retryable = RETRYABLE.test(String((err as Error)?.message ?? '')) || RETRYABLE.test(String((err as { parent?: { code?: string } })?.parent?.code ?? ''));
        if (!retryable || attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20));
      }
    }
  }

  return { sequelize, dialect, transaction, close: () => sequelize.close() };
}

/**
 * Sequelize opens a fresh sqlite3 connection per transaction and offers no hook after connecting, so the
 * per-connection settings (busy timeout; WAL and synchronous are per file/connection) are applied by
 * wrapping getConnection.
 */
function tuneSqlite(sequelize: Sequelize): void {
  type SqliteConn = { configure(option: 'busyTimeout', ms: number): void; exec(sql: string, cb?: (err: Error | null) => void): void; __tuned?: boolean };
  const manager = sequelize.connectionManager as unknown as { getConnection(o: unknown): Promise<SqliteConn> };
  const original = manager.getConnection.bind(manager);
  manager.getConnection = async (o: unknown) => {
    const conn = await original(o);
    if (!conn.__tuned) {
      conn.__tuned = true;
      conn.configure('busyTimeout', 15_000);
      await new Promise<void>((resolve, reject) =>
        conn.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;', (err) => (err ? reject(err) : resolve())),
      );
    }
    return conn;
  };
}
