import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { Sequelize, Transaction, type Options } from 'sequelize';

/** The database dialects Ghișeu runs on, with identical behaviour. */
export type Dialect = 'sqlite' | 'mysql';

export interface Database {
  sequelize: Sequelize;
  dialect: Dialect;
  /** Runs `fn` in one write transaction, with deadlock retries. See withTransaction. */
  transaction<T>(fn: (t: Transaction) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
}

export interface TransactionOptions {
  /**
   * READ COMMITTED on MariaDB, for the hot write paths whose correctness rests on row locks, unique keys and
   * conditional updates only (ingest, offers): plain reads see the latest commits, and locking reads lock the rows
   * they find and no gaps, so concurrent transactions inserting beside each other do not deadlock. It is the
   * sessions' own level (set once per connection), so these transactions start with no extra statement; every
   * other transaction asks for REPEATABLE READ, the server's default, with `SET TRANSACTION`. SQLite has one
   * writer and ignores it.
   */
  readCommitted?: boolean;
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
    // `?socket=/run/mysqld/mysqld.sock`: a server on the same machine over its Unix socket instead of TCP.
    dialectOptions: {
      charset: 'utf8mb4',
      supportBigNumbers: true,
      // The driver's own conversions instead of Sequelize's typeCast callback, which made mysql2 build a wrapper
      // object per column of every row read. The results are the same: DATETIME as a Date in UTC (the session
      // time zone is UTC: timezone above), DATE as 'YYYY-MM-DD' text (Sequelize's DATEONLY), numbers as numbers.
      typeCast: true,
      timezone: 'Z',
      dateStrings: ['DATE'],
      ...(u.searchParams.get('socket') ? { socketPath: u.searchParams.get('socket') } : {}),
    },
    pool: { max: opts.poolMax ?? 10, min: 0, acquire: 30_000, idle: 10_000 },
  };
}

const RETRYABLE = /ER_LOCK_DEADLOCK|ER_LOCK_WAIT_TIMEOUT|Deadlock found|SQLITE_BUSY|Lock wait timeout/;

const endHooks = new WeakMap<Transaction, (() => void)[]>();

/**
 * Runs `fn` when a transaction of Database.transaction ends, committed or rolled back (Sequelize only has
 * afterCommit): for in-process bookkeeping that must not outlive it. `fn` must not throw.
 */
export function onTransactionEnd(t: Transaction, fn: () => void): void {
  const list = endHooks.get(t);
  if (list) list.push(fn);
  else endHooks.set(t, [fn]);
}

function runEndHooks(t: Transaction): void {
  const list = endHooks.get(t);
  endHooks.delete(t);
  for (const fn of list ?? []) fn();
}

/** Opens the database named by DATABASE_URL. */
export function openDatabase(url: string, opts: { poolMax?: number } = {}): Database {
  const options = sequelizeOptions(url, opts);
  const sequelize = new Sequelize(options);
  const dialect = options.dialect as Dialect;

  if (dialect === 'sqlite') shareSqliteWriter(sequelize);
  else {
    // Each pooled connection's sessions default to READ COMMITTED (see TransactionOptions.readCommitted).
    sequelize.addHook('afterConnect', (connection) =>
      new Promise<void>((resolve, reject) =>
        (connection as MysqlCallbackConnection).query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', (err) => (err ? reject(err) : resolve())),
      ),
    );
  }

  async function transaction<T>(fn: (t: Transaction) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    const options = !opts.readCommitted && dialect === 'mysql' ? { isolationLevel: Transaction.ISOLATION_LEVELS.REPEATABLE_READ } : {};
    for (let attempt = 1; ; attempt++) {
      let current: Transaction | undefined;
      try {
        return await sequelize.transaction(options, (t) => {
          current = t;
          return fn(t);
        });
      } catch (err) {
        const retryable = RETRYABLE.test(String((err as Error)?.message ?? '')) || RETRYABLE.test(String((err as { parent?: { code?: string } })?.parent?.code ?? ''));
        if (!retryable || attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20));
      } finally {
        if (current) runEndHooks(current);
      }
    }
  }

  return { sequelize, dialect, transaction, close: () => sequelize.close() };
}

/** The part of a mysql2 connection (callback API, as Sequelize holds it) the session set-up uses. */
type MysqlCallbackConnection = { query(sql: string, cb: (err: Error | null) => void): void };

type SqliteConn = {
  configure(option: 'busyTimeout', ms: number): void;
  exec(sql: string, cb?: (err: Error | null) => void): void;
  __tuned?: boolean;
  __writer?: boolean;
};
type SqliteManager = {
  getConnection(o?: { uuid?: string; type?: string }): Promise<SqliteConn>;
  releaseConnection(c: SqliteConn, force?: boolean): Promise<void>;
};

/**
 * SQLite has one writer. Sequelize opens (and closes) a fresh sqlite3 connection for every transaction,
 * which costs a schema load per transaction and lets writers wait on each other inside libuv threads.
 * Instead every transaction of the process gets the same long-lived writer connection, one transaction at
 * a time (a FIFO gate taken in getConnection and given back in releaseConnection); reads outside a
 * transaction use the default connection, which WAL lets run beside the writer. The gate sits in the
 * connection manager, so even a direct sequelize.transaction() call is serialised.
 */
const WRITE_QUERY_TYPES = new Set(['INSERT', 'UPDATE', 'UPSERT', 'DELETE', 'BULKUPDATE', 'BULKDELETE']);

function shareSqliteWriter(sequelize: Sequelize): void {
  const manager = sequelize.connectionManager as unknown as SqliteManager;
  const getConnection = manager.getConnection.bind(manager);
  const releaseConnection = manager.releaseConnection.bind(manager);
  const waiting: (() => void)[] = [];
  let busy = false;
  let writer: SqliteConn | undefined;

  const tune = async (conn: SqliteConn): Promise<SqliteConn> => {
    if (conn.__tuned) return conn;
    conn.__tuned = true;
    conn.configure('busyTimeout', 15_000);
    // WAL lets readers run beside the writer; synchronous=FULL makes every commit durable.
    await new Promise<void>((resolve, reject) => conn.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;', (err) => (err ? reject(err) : resolve())));
    return conn;
  };

  const acquire = async (timeoutMs?: number) => {
    if (!busy) {
      busy = true;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const entry = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = timeoutMs
        ? setTimeout(() => {
            waiting.splice(waiting.indexOf(entry), 1);
            reject(new Error(`SQLITE_BUSY: no write slot within ${timeoutMs} ms (a write outside its transaction while that transaction is open?)`));
          }, timeoutMs)
        : undefined;
      waiting.push(entry);
    });
  };
  const openWriter = async (o: { uuid?: string }) => {
    if (!writer) {
      writer = await tune(await getConnection({ ...o, uuid: 'writer' }));
      writer.__writer = true;
    }
    return writer;
  };

  manager.getConnection = async (o) => {
    const inTransaction = Boolean(o?.uuid && o.uuid !== 'default');
    // Writes outside a transaction (job polling, sweepers, single updates) take the same gate, so SQLite
    // never has two writers busy-waiting on each other.
    const write = !inTransaction && WRITE_QUERY_TYPES.has(String(o?.type ?? ''));
    if (!inTransaction && !write) return tune(await getConnection(o));
    await acquire(inTransaction ? undefined : 15_000);
    try {
      return await openWriter(o ?? {});
    } catch (err) {
      release();
      throw err;
    }
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else busy = false;
  };
  manager.releaseConnection = async (conn, force) => {
    if (!conn.__writer) return releaseConnection(conn, force);
    release();
  };
}
