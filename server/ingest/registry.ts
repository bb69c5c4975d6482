import { QueryTypes, type Transaction } from 'sequelize';
import type { Database } from '../../db/connection';

/**
 * Takes the next registration number of `year` inside the caller's transaction. The UPDATE takes the
 * counter row's write lock and holds it until commit, so concurrent ingests queue here; a rollback
 * returns the number. No gaps, no duplicates (the register the law requires).
 */
export async function allocateRegistrationSeq(db: Database, year: number, transaction: Transaction): Promise<number> {
  const { sequelize } = db;
  for (let attempt = 0; attempt < 2; attempt++) {
    const [, affected] = await sequelize.query('UPDATE registry_counters SET lastNumber = lastNumber + 1 WHERE year = :year', {
      replacements: { year },
      transaction,
      type: QueryTypes.UPDATE,
    });
    if (Number(affected) === 1 || (db.dialect === 'sqlite' && (await counterExists(db, year, transaction)))) {
      const rows = await sequelize.query<{ lastNumber: number }>('SELECT lastNumber FROM registry_counters WHERE year = :year', {
        replacements: { year },
        transaction,
        type: QueryTypes.SELECT,
      });
      return Number(rows[0]!.lastNumber);
    }
    const insert = db.dialect === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
    await sequelize.query(`${insert} INTO registry_counters (year, lastNumber) VALUES (:year, 0)`, { replacements: { year }, transaction });
  }
  throw new Error(`registry counter for ${year} could not be created`);
}

async function counterExists(db: Database, year: number, transaction: Transaction): Promise<boolean> {
  const rows = await db.sequelize.query('SELECT 1 AS one FROM registry_counters WHERE year = :year', {
    replacements: { year },
    transaction,
    type: QueryTypes.SELECT,
  });
  return rows.length > 0;
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
