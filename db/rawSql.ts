import type { Model, ModelStatic, Sequelize, Transaction } from 'sequelize';
import type { Database, Dialect } from './connection';

/** A value a raw statement binds: Dates and booleans are converted to the form each dialect stores. */
export type SqlValue = string | number | boolean | Date | null | undefined;

/** What a write statement reports. */
export interface RunResult {
  /** The auto-increment id of the row inserted (the last one on SQLite, the first one on MariaDB). */
  insertId: number;
  affectedRows: number;
}

/**
 * Statements run straight on the driver connection a Sequelize transaction holds. The hot paths (ingest) use
 * it because the ORM's per-statement work (model building, stack capture, bind formatting) costs more CPU
 * than the statement itself; everything else keeps using the models. Same transaction, same locks, same
 * rollback: Sequelize still opens and ends the transaction.
 */
export interface RawSql {
  readonly dialect: Dialect;
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult>;
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** `FOR UPDATE` on MariaDB; nothing on SQLite, whose IMMEDIATE transaction already holds the one write lock. */
  readonly forUpdate: string;
  /** `INSERT … RETURNING` works (SQLite ≥ 3.35, MariaDB ≥ 10.5; not MySQL 8). */
  readonly returning: boolean;
}

type SqliteConnection = {
  run(sql: string, params: unknown[], cb: (this: { lastID: number; changes: number }, err: Error | null) => void): void;
  all(sql: string, params: unknown[], cb: (err: Error | null, rows: unknown[]) => void): void;
};
type MysqlConnection = {
  /** Set by mysql2 from the server's handshake. */
  _isMariaDB?: boolean;
  execute(sql: string, params: unknown[], cb: (err: Error | null, result: unknown) => void): void;
};

/** The raw statement runner of `transaction`, on the connection it holds. */
export function rawSql(transaction: Transaction): RawSql {
  const { connection, sequelize } = transaction as unknown as { connection?: unknown; sequelize: { getDialect(): string } };
  if (!connection) throw new Error('rawSql: the transaction has no connection yet');
  return sequelize.getDialect() === 'sqlite' ? sqliteRunner(connection as SqliteConnection) : mysqlRunner(connection as MysqlConnection);
}

type ConnectionManager = { getConnection(o: { type: string }): Promise<unknown>; releaseConnection(c: unknown): Promise<void> | void };

/**
 * Runs `fn` with raw statements on a connection of the pool, outside any transaction: the plain reads of hot
 * paths (candidate ranking, realtime views). On SQLite that is the shared read connection, which WAL lets run
 * beside the writer. The connection goes back to the pool when `fn` settles; don't keep `sql` beyond it.
 */
export async function withRawSql<T>(db: Database, fn: (sql: RawSql) => Promise<T>): Promise<T> {
  const manager = db.sequelize.connectionManager as unknown as ConnectionManager;
  const connection = await manager.getConnection({ type: 'SELECT' });
  try {
    return await fn(db.dialect === 'sqlite' ? sqliteRunner(connection as SqliteConnection) : mysqlRunner(connection as MysqlConnection));
  } finally {
    await manager.releaseConnection(connection);
  }
}

/**
 * The database a Sequelize instance opens, as withRawSql takes it: for plain reads of callers that hold no
 * context (pass a model's `sequelize`, the instance its own queries use).
 */
export function databaseOf(sequelize: Sequelize): Database {
  return { sequelize, dialect: sequelize.getDialect() === 'sqlite' ? 'sqlite' : 'mysql' } as Database;
}

/**
 * A driver's DATETIME value as a Date: mysql2 answers Dates; SQLite the text Sequelize stored
 * ('YYYY-MM-DD HH:MM:SS.mmm +00:00'), or text without an offset (SQL defaults, triggers), which is UTC as
 * Sequelize reads it.
 */
export function toDate(v: unknown): Date | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v;
  const text = String(v).replace(' ', 'T').replace(' +00:00', 'Z');
  return new Date(/(Z|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text}Z`);
}

/** Is `err` a unique-key violation (a concurrent insert of the same key)? Both raw driver and Sequelize errors. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string; name?: string; parent?: unknown } | null;
  if (!e) return false;
  if (e.name === 'SequelizeUniqueConstraintError') return true;
  if (e.code === 'ER_DUP_ENTRY') return true;
  return e.code === 'SQLITE_CONSTRAINT' && /UNIQUE/i.test(e.message ?? '');
}

/**
 * Inserts rows and answers their ids in order: one statement with RETURNING where the server has it, else one
 * statement per row (MySQL 8's multi-row insert ids are not guaranteed consecutive in every lock mode).
 */
export async function insertReturningIds(sql: RawSql, table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[]): Promise<number[]> {
  if (!rows.length) return [];
  const head = `INSERT INTO ${table} (${columns.join(', ')}) VALUES `;
  const tuple = `(${placeholders(columns.length)})`;
  if (sql.returning) {
    const out = await sql.all<{ id: number }>(`${head}${rows.map(() => tuple).join(', ')} RETURNING id`, rows.flat());
    return out.map((r) => Number(r.id));
  }
  const ids: number[] = [];
  for (const row of rows) ids.push((await sql.run(head + tuple, row)).insertId);
  return ids;
}

type Converter = (v: unknown) => unknown;
const converters = new WeakMap<object, Map<string, Converter>>();

/** How a driver's raw value becomes the attribute's JS value, for the columns where the drivers differ from the models. */
function convertersOf(model: ModelStatic<Model>): Map<string, Converter> {
  let map = converters.get(model);
  if (map) return map;
  map = new Map();
  for (const [name, attr] of Object.entries(model.getAttributes())) {
    const key = (attr.type as { key?: string }).key;
    if (key === 'DATE') map.set(name, (v) => (typeof v === 'string' ? new Date(v) : v));
    else if (key === 'DATEONLY') map.set(name, (v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v));
    else if (key === 'BOOLEAN') map.set(name, (v) => (typeof v === 'number' || typeof v === 'bigint' ? Boolean(v) : v));
  }
  converters.set(model, map);
  return map;
}

/**
 * A model instance for a row read or written by raw statements, as if Sequelize had loaded it: dates as Dates,
 * booleans as booleans, JSON columns kept as their stored text (the model's getters parse it).
 */
export function buildFromRow<M extends Model>(model: ModelStatic<M>, row: Record<string, unknown>): M {
  const values: Record<string, unknown> = { ...row };
  for (const [name, convert] of convertersOf(model)) if (values[name] !== undefined && values[name] !== null) values[name] = convert(values[name]);
  return model.build(values as M['_creationAttributes'], { isNewRecord: false, raw: true });
}

/** `?, ?, ?` for n values. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

function sqliteRunner(conn: SqliteConnection): RawSql {
  const bind = (params: readonly SqlValue[]) => params.map((v) => sqliteValue(v));
  return {
    dialect: 'sqlite',
    forUpdate: '',
    returning: true,
    run: (sql, params = []) =>
      new Promise((resolve, reject) => {
        conn.run(sql, bind(params), function (err) {
          if (err) reject(err);
          else resolve({ insertId: this.lastID, affectedRows: this.changes });
        });
      }),
    all: <T>(sql: string, params: readonly SqlValue[] = []) =>
      new Promise<T[]>((resolve, reject) => {
        conn.all(sql, bind(params), (err, rows) => (err ? reject(err) : resolve(rows as T[])));
      }),
  };
}

function mysqlRunner(conn: MysqlConnection): RawSql {
  const bind = (params: readonly SqlValue[]) => params.map((v) => mysqlValue(v));
  const execute = (sql: string, params: readonly SqlValue[]) =>
    new Promise<unknown>((resolve, reject) => conn.execute(sql, bind(params), (err, result) => (err ? reject(err) : resolve(result))));
  return {
    dialect: 'mysql',
    forUpdate: ' FOR UPDATE',
    returning: conn._isMariaDB === true,
    run: async (sql, params = []) => {
      const r = (await execute(sql, params)) as { insertId?: number; affectedRows?: number };
      return { insertId: Number(r.insertId ?? 0), affectedRows: Number(r.affectedRows ?? 0) };
    },
    all: async <T>(sql: string, params: readonly SqlValue[] = []) => (await execute(sql, params)) as T[],
  };
}

/** How Sequelize stores DATETIME(3) on SQLite: `YYYY-MM-DD HH:MM:SS.mmm +00:00`, so raw and ORM rows compare equal. */
function sqliteValue(v: SqlValue): unknown {
  if (v === undefined) return null;
  if (v instanceof Date) return `${v.toISOString().slice(0, 23).replace('T', ' ')} +00:00`;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}

/** DATETIME(3) in UTC (the connection's time zone), with milliseconds. */
function mysqlValue(v: SqlValue): unknown {
  if (v === undefined) return null;
  if (v instanceof Date) return v.toISOString().slice(0, 23).replace('T', ' ');
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}
