import type { Sequelize, Transaction } from 'sequelize';

/**
 * Stored routines of the MariaDB/MySQL schema. They are not migrations: a dump taken without `--routines`
 * restores every table but no routine, so each start (under the migration lock) creates what is missing and
 * replaces what an older version left, by the version in the routine's comment. SQL SECURITY INVOKER: a routine
 * runs with the caller's rights and needs no particular definer account. SQLite has no routines; the
 * application does the same work there in process.
 */
const ROUTINES: { name: string; version: string; params: string; body: string }[] = [
  {
    // Numbers a new case and commits its transaction, in one round trip: takes the year's next number (which
    // write-locks the counter row), writes it on the case and into the case's `conversation.created` timeline
    // row, COMMITs, and answers the number. The counter row is locked from its UPDATE to that COMMIT only,
    // server-side work of well under a millisecond, never waiting for the application: concurrent ingests queue
    // on it for no longer (with the caller's COMMIT after the answer, each holder also kept the lock for a turn
    // of its process's busy event loop, and 100 contacts a second spent ×4–×25 longer waiting there). So the
    // CALL is the transaction's last statement; the caller's own COMMIT then finds nothing to do. A failure
    // before the COMMIT (no such case, a trigger, a deadlock) commits nothing and the caller rolls back. A
    // year's first number creates its counter row; two first numbers racing meet on the primary key, and the
    // second counts on from the first.
    name: 'ghiseu_register_and_commit',
    version: '1',
    params: 'IN p_conversation INT, IN p_year INT, IN p_event INT',
    body: `BEGIN
  DECLARE v_seq INT;
  DECLARE v_number VARCHAR(32);
  UPDATE registry_counters SET lastNumber = lastNumber + 1 WHERE year = p_year;
  IF ROW_COUNT() = 0 THEN
    INSERT INTO registry_counters (year, lastNumber) VALUES (p_year, 1) ON DUPLICATE KEY UPDATE lastNumber = lastNumber + 1;
  END IF;
  SELECT lastNumber INTO v_seq FROM registry_counters WHERE year = p_year;
  SET v_number = CONCAT(v_seq, '/', p_year);
  UPDATE conversations SET registrationSeq = v_seq, registrationNumber = v_number WHERE id = p_conversation AND registrationSeq IS NULL;
  IF ROW_COUNT() <> 1 THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ghiseu_register_and_commit: no unnumbered case with that id';
  END IF;
  IF p_event IS NOT NULL THEN
    UPDATE conversation_events SET data = JSON_SET(data, '$.registrationNumber', v_number) WHERE id = p_event;
  END IF;
  COMMIT;
  SELECT v_seq AS seq;
END`,
  },
];

/**
 * Creates the routines a MariaDB/MySQL database lacks or holds in an older version, and drops the ones no
 * version uses any more; answers the names made.
 */
export async function ensureRoutines(sequelize: Sequelize, transaction?: Transaction): Promise<string[]> {
  if (sequelize.getDialect() !== 'mysql') return [];
  const [present] = (await sequelize.query(
    "SELECT ROUTINE_NAME AS name, ROUTINE_COMMENT AS comment FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_NAME LIKE 'ghiseu\\_%'",
    { transaction },
  )) as [Array<{ name: string; comment: string }>, unknown];
  const made: string[] = [];
  for (const r of ROUTINES) {
    const comment = `ghiseu v${r.version}`;
    if (present.some((p) => p.name === r.name && p.comment === comment)) continue;
    await sequelize.query(`DROP PROCEDURE IF EXISTS ${r.name}`, { transaction });
    await sequelize.query(`CREATE PROCEDURE ${r.name}(${r.params}) SQL SECURITY INVOKER MODIFIES SQL DATA COMMENT '${comment}'\n${r.body}`, { transaction });
    made.push(r.name);
  }
  for (const p of present) {
    if (!ROUTINES.some((r) => r.name === p.name)) await sequelize.query(`DROP PROCEDURE IF EXISTS ${p.name}`, { transaction });
  }
  return made;
}
