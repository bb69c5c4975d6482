import { DataTypes, type QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';

/**
 * Reports count SLA clocks by the case's department, channel, category and assignee. Joining every clock of a
 * period to its case cost a primary-key lookup per clock (and MariaDB chose to drive the per-agent figures from the
 * agents through all their cases), so each clock now carries a copy of those four columns, and one covering index
 * answers every clock figure of a period, filtered or not, from the index alone.
 *
 * The copies are kept by triggers, so every write path keeps them right (the ORM, raw SQL, a bulk import): a
 * clock takes its case's values when inserted, and a change of any of the four on a case is copied to its clocks.
 * On SQLite a migration that rebuilds `conversations` or `sla_timers` (SQLite's way of altering a column) drops
 * these triggers: such a migration must create them again (`createCopyTriggers`); tests/integration/slaCaseCopy
 * checks they exist after every migration.
 *
 * Creating triggers on MariaDB with binary logging on needs SUPER or `log_bin_trust_function_creators = 1`.
 */
export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  const nullableInt = { type: DataTypes.INTEGER, allowNull: true };
  // Copies, not references: no foreign keys (the case's own columns carry them).
  await qi.addColumn('sla_timers', 'departmentId', nullableInt);
  await qi.addColumn('sla_timers', 'channel', { type: DataTypes.STRING(16), allowNull: true });
  await qi.addColumn('sla_timers', 'categoryId', nullableInt);
  await qi.addColumn('sla_timers', 'assigneeId', nullableInt);
  await backfill(qi);
  await createCopyTriggers(qi);

  // Clocks of one kind decided in a period, with everything the report groups or filters by: index-only scans.
  await qi.addIndex('sla_timers', ['kind', 'decidedAt', 'outcome', 'elapsedMs', 'assigneeId', 'departmentId', 'channel', 'categoryId'], { name: 'sla_timers_report' });
  await qi.removeIndex('sla_timers', 'sla_timers_decided');
  // Replies per agent narrowed to some cases: the case id in the index saves a lookup of every message row.
  await qi.addIndex('messages', ['receivedAt', 'direction', 'agentId', 'conversationId'], { name: 'messages_received_direction_agent_case' });
  await qi.removeIndex('messages', 'messages_received_direction_agent');
  // The wallboard's at-risk and breached lists: the first 25 by due date, read from the index.
  await qi.addIndex('conversations', ['slaState', 'status', 'dueAt'], { name: 'conversations_sla_state_due' });
  await qi.removeIndex('conversations', 'conversations_sla_state');
};

export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.addIndex('conversations', ['slaState', 'status'], { name: 'conversations_sla_state' });
  await qi.removeIndex('conversations', 'conversations_sla_state_due');
  await qi.addIndex('messages', ['receivedAt', 'direction', 'agentId'], { name: 'messages_received_direction_agent' });
  await qi.removeIndex('messages', 'messages_received_direction_agent_case');
  await qi.addIndex('sla_timers', ['decidedAt', 'kind', 'outcome', 'elapsedMs'], { name: 'sla_timers_decided' });
  await qi.removeIndex('sla_timers', 'sla_timers_report');
  await dropCopyTriggers(qi);
  for (const column of ['assigneeId', 'categoryId', 'channel', 'departmentId']) {
    // SQLite drops a column in place (3.35+); the ORM's rebuild of the table would lose the (case, kind) uniqueness.
    if (qi.sequelize.getDialect() === 'sqlite') await qi.sequelize.query(`ALTER TABLE sla_timers DROP COLUMN ${column}`);
    else await qi.removeColumn('sla_timers', column);
  }
};

const COPIED = ['departmentId', 'channel', 'categoryId', 'assigneeId'] as const;
const BACKFILL_BATCH = 50_000;

/** Copies the four columns onto the clocks that exist already (in batches of clock ids on MariaDB). */
async function backfill(qi: QueryInterface): Promise<void> {
  const db = qi.sequelize;
  if (db.getDialect() === 'sqlite') {
    const sets = COPIED.map((c) => `${c} = (SELECT c.${c} FROM conversations c WHERE c.id = sla_timers.conversationId)`).join(', ');
    await db.query(`UPDATE sla_timers SET ${sets}`);
    return;
  }
  const [[range]] = (await db.query('SELECT MIN(id) AS lo, MAX(id) AS hi FROM sla_timers')) as [{ lo: number | null; hi: number | null }[], unknown];
  if (!range || range.lo === null || range.hi === null) return;
  const sets = COPIED.map((c) => `t.${c} = c.${c}`).join(', ');
  for (let lo = Number(range.lo); lo <= Number(range.hi); lo += BACKFILL_BATCH) {
    await db.query(`UPDATE sla_timers t JOIN conversations c ON c.id = t.conversationId SET ${sets} WHERE t.id >= :lo AND t.id < :hi`, {
      replacements: { lo, hi: lo + BACKFILL_BATCH },
    });
  }
}

/** The two triggers that keep the copies (exported for a later migration that rebuilds either table on SQLite). */
export async function createCopyTriggers(qi: QueryInterface): Promise<void> {
  const db = qi.sequelize;
  const changed = (eq: (c: string) => string) => COPIED.map(eq).join(' OR ');
  if (db.getDialect() === 'sqlite') {
    await db.query(`CREATE TRIGGER sla_timers_copy_case AFTER INSERT ON sla_timers FOR EACH ROW
      WHEN EXISTS (SELECT 1 FROM conversations WHERE id = NEW.conversationId)
      BEGIN
        UPDATE sla_timers SET ${COPIED.map((c) => `${c} = (SELECT ${c} FROM conversations WHERE id = NEW.conversationId)`).join(', ')} WHERE id = NEW.id;
      END`);
    await db.query(`CREATE TRIGGER conversations_copy_to_sla_timers AFTER UPDATE OF ${COPIED.join(', ')} ON conversations FOR EACH ROW
      WHEN ${changed((c) => `NEW.${c} IS NOT OLD.${c}`)}
      BEGIN
        UPDATE sla_timers SET ${COPIED.map((c) => `${c} = NEW.${c}`).join(', ')} WHERE conversationId = NEW.id;
      END`);
    return;
  }
  // A clock inserted before its case exists (only a bulk load with foreign key checks off) keeps the values given.
  await db.query(`CREATE TRIGGER sla_timers_copy_case BEFORE INSERT ON sla_timers FOR EACH ROW
    BEGIN
      IF EXISTS (SELECT 1 FROM conversations WHERE id = NEW.conversationId) THEN
        ${COPIED.map((c) => `SET NEW.${c} = (SELECT ${c} FROM conversations WHERE id = NEW.conversationId);`).join('\n        ')}
      END IF;
    END`);
  await db.query(`CREATE TRIGGER conversations_copy_to_sla_timers AFTER UPDATE ON conversations FOR EACH ROW
    BEGIN
      IF ${changed((c) => `NOT (NEW.${c} <=> OLD.${c})`)} THEN
        UPDATE sla_timers SET ${COPIED.map((c) => `${c} = NEW.${c}`).join(', ')} WHERE conversationId = NEW.id;
      END IF;
    END`);
}

async function dropCopyTriggers(qi: QueryInterface): Promise<void> {
  for (const name of ['sla_timers_copy_case', 'conversations_copy_to_sla_timers']) await qi.sequelize.query(`DROP TRIGGER IF EXISTS ${name}`);
}
