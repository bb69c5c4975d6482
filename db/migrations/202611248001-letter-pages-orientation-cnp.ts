import { DataTypes, type QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';

/**
 * Letter pages remember how far they were turned to read upright (0, 90, 180 or 270 degrees clockwise), so the
 * clerk sees the page as it was read, and the keyed hash of a checksum-valid CNP found on the page (never the
 * CNP itself), so the letter's sender is recognised as the citizen of earlier contacts with the same CNP.
 */
export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.addColumn('letter_pages', 'rotation', { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 });
  await qi.addColumn('letter_pages', 'cnpHash', { type: DataTypes.STRING(64), allowNull: true });
};

export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.removeColumn('letter_pages', 'cnpHash');
  await qi.removeColumn('letter_pages', 'rotation');
};
