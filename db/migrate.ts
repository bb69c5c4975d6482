import { SequelizeStorage, Umzug } from 'umzug';
import type { Sequelize } from 'sequelize';
import { MIGRATIONS } from './migrations';
import { ensureRoutines } from './routines';

/** The migrator: the same one runs at start, in `npm run db:migrate` and in the tests. */
export function migrator(sequelize: Sequelize): Umzug<ReturnType<Sequelize['getQueryInterface']>> {
  const context = sequelize.getQueryInterface();
  return new Umzug({
    migrations: MIGRATIONS.map(([name, m]) => ({
      name,
      up: () => m.up({ name, context }),
      down: m.down ? () => m.down!({ name, context }) : undefined,
    })),
    context,
    storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
    logger: undefined,
  });
}

/**
 * Applies pending migrations. On MySQL several processes may start together, so a named lock makes one of
 * them migrate while the others wait; SQLite is one process by design. MySQL's stored routines are then
 * checked and made where missing (db/routines.ts).
 */
export async function migrate(sequelize: Sequelize): Promise<string[]> {
  const isMysql = sequelize.getDialect() === 'mysql';
  if (!isMysql) return (await migrator(sequelize).up()).map((m) => m.name);
  // The transaction pins one connection: GET_LOCK belongs to a connection, so lock and release use the same one.
  return sequelize.transaction(async (transaction) => {
    const [[row]] = (await sequelize.query("SELECT GET_LOCK('ghiseu_migrate', 120) AS got", { transaction })) as [Array<{ got: number }>, unknown];
    if (row?.got !== 1) throw new Error('Another process holds the migration lock for more than 120 s; check for a stuck migration.');
    try {
      const applied = (await migrator(sequelize).up()).map((m) => m.name);
      await ensureRoutines(sequelize, transaction);
      return applied;
    } finally {
      await sequelize.query("SELECT RELEASE_LOCK('ghiseu_migrate')", { transaction });
    }
  });
}
