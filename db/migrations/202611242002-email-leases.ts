import { DataTypes, type QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';

/**
 * The email channel's second step: one watcher per mailbox across processes (`mail_leases`), flags owed to
 * the IMAP server for mail an operator retried from the quarantine (`mail_intake.flagPending`), and room for
 * encrypted mailbox passwords (`enc:v1:…` is longer than the password it holds).
 */
export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.createTable('mail_leases', {
    mailboxKey: { type: DataTypes.STRING(255), primaryKey: true, allowNull: false },
    holder: { type: DataTypes.STRING(200), allowNull: false },
    // Epoch milliseconds: compared in hand-written SQL, the same on SQLite and MariaDB.
    expiresAt: { type: DataTypes.BIGINT, allowNull: false },
    createdAt: { type: DataTypes.BIGINT, allowNull: false },
    updatedAt: { type: DataTypes.BIGINT, allowNull: false },
  });
  await qi.addColumn('mail_intake', 'flagPending', { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false });
  await qi.addIndex('mail_intake', ['mailboxKey', 'flagPending'], { name: 'mail_intake_flag_pending' });
  // SQLite does not enforce VARCHAR lengths; MariaDB does.
  if (qi.sequelize.getDialect() !== 'sqlite') {
    await qi.changeColumn('mailboxes', 'password', { type: DataTypes.TEXT, allowNull: false });
  }
};

export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.removeIndex('mail_intake', 'mail_intake_flag_pending');
  await qi.removeColumn('mail_intake', 'flagPending');
  await qi.dropTable('mail_leases');
};
