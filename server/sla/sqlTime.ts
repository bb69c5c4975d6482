import type { Sequelize } from 'sequelize';

/**
 * A moment as a raw-query parameter, in the form each dialect stores DATETIME(3) columns: Sequelize formats Date
 * replacements for MySQL/MariaDB without milliseconds, which would drop rows written in the same second.
 */
export function sqlTime(sequelize: Sequelize, at: Date): string {
  const text = at.toISOString().slice(0, 23).replace('T', ' ');
  return sequelize.getDialect() === 'sqlite' ? `${text} +00:00` : text;
}
