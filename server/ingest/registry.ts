import type { RawSql } from '../../db/rawSql';
import { logger } from '../log';

const log = logger('registry');
let warnedNoProcedure = false;

/**
 * Takes the next registration number of `year` inside the caller's transaction, in one statement: the UPDATE
 * takes the counter row's write lock and holds it until commit, so concurrent ingests queue here; a rollback
 * returns the number. No gaps, no duplicates (the register the law requires). SQLite hands the new value back
 * with RETURNING; MariaDB/MySQL through LAST_INSERT_ID(expr), which the server reports as the statement's
 * insert id. A year's first number creates its counter row.
 */
export async function allocateRegistrationSeq(sql: RawSql, year: number): Promise<number> {
  for (let attempt = 0; attempt < 2; attempt++) {
    if (sql.dialect === 'sqlite') {
      const rows = await sql.all<{ lastNumber: number }>('UPDATE registry_counters SET lastNumber = lastNumber + 1 WHERE year = ? RETURNING lastNumber', [year]);
      if (rows.length) return Number(rows[0]!.lastNumber);
      await sql.run('INSERT OR IGNORE INTO registry_counters (year, lastNumber) VALUES (?, 0)', [year]);
    } else {
      const r = await sql.run('UPDATE registry_counters SET lastNumber = LAST_INSERT_ID(lastNumber + 1) WHERE year = ?', [year]);
      if (r.affectedRows === 1) return r.insertId;
      await sql.run('INSERT IGNORE INTO registry_counters (year, lastNumber) VALUES (?, 0)', [year]);
    }
  }
  throw new Error(`registry counter for ${year} could not be created`);
}

/**
 * Numbers the new case `conversationId` (MariaDB/MySQL), writes the number into its `conversation.created`
 * timeline row `eventId` (whose data carries `registrationNumber: null` until then) and commits: the last
 * statement of the caller's transaction, which must have nothing left to write. One round trip: the
 * `ghiseu_register_and_commit` procedure (db/routines.ts) runs the counter, the case, the timeline and the COMMIT
 * on the server, so the counter row is locked for the server's work only, never for a turn of this process's
 * event loop. Without the procedure (a dump restored without its routines, until the next start makes it) the
 * same statements run one by one and the caller's COMMIT ends the transaction.
 */
export async function registerAndCommit(sql: RawSql, conversationId: number, year: number, eventId: number | null): Promise<number> {
  try {
    const result = await sql.all<unknown>('CALL ghiseu_register_and_commit(?, ?, ?)', [conversationId, year, eventId]);
    const rows = (result as unknown[])[0] as { seq: number }[];
    return Number(rows[0]!.seq);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ER_SP_DOES_NOT_EXIST') throw err;
    if (!warnedNoProcedure) {
      warnedNoProcedure = true;
      log.warn('procedure ghiseu_register_and_commit is missing (a dump restored without --routines?): numbering statement by statement until a server start or `npm run db:migrate` makes it again');
    }
  }
  const seq = await allocateRegistrationSeq(sql, year);
  const number = formatRegistrationNumber(seq, year);
  await sql.run('UPDATE conversations SET registrationSeq = ?, registrationNumber = ? WHERE id = ?', [seq, number, conversationId]);
  if (eventId !== null) await sql.run("UPDATE conversation_events SET data = JSON_SET(data, '$.registrationNumber', ?) WHERE id = ?", [number, eventId]);
  return seq;
}

/** `seq/year`, the printed form of a registration number. */
export function formatRegistrationNumber(seq: number, year: number): string {
  return `${seq}/${year}`;
}

/**
 * Registration numbers quoted in a subject or text: `[#1234/2026]`, `#1234/2026`, `nr. 1234/2026`,
 * `nr. înreg. 1234 / 2026`, `număr de înregistrare 1234/2026`, `registration number 1234/2026`.
 * A bare `12/2026` is not taken: it is too often a date or an address.
 */
export function findRegistrationNumbers(text: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /\[?#\s?(\d{1,7})\s?\/\s?(\d{4})\]?/g,
    /\b(?:nr|num[aă]r(?:ul)?)\.?\s*(?:de\s+)?(?:[iî]nreg(?:istrare)?\.?\s*)?:?\s*(\d{1,7})\s?\/\s?(\d{4})\b/gi,
    /\bregistration\s+(?:number|no\.?)\s*:?\s*(\d{1,7})\s?\/\s?(\d{4})\b/gi,
  ];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      const year = Number(m[2]);
      if (year >= 2000 && year <= 2100) found.add(formatRegistrationNumber(Number(m[1]), year));
    }
  }
  return [...found];
}
