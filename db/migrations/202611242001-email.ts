import { DataTypes, type QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';
import { id, ts } from './columns';

/** The email channel: watched mailboxes, their cursors, the quarantine of raw mail, and thread references. */
export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.createTable('mailboxes', {
    id,
    name: { type: DataTypes.STRING(200), allowNull: false },
    host: { type: DataTypes.STRING(255), allowNull: false },
    port: { type: DataTypes.INTEGER, allowNull: false },
    secure: { type: DataTypes.BOOLEAN, allowNull: false },
    tlsInsecure: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    username: { type: DataTypes.STRING(320), allowNull: false },
    password: { type: DataTypes.STRING(500), allowNull: false },
    folder: { type: DataTypes.STRING(255), allowNull: false, defaultValue: 'INBOX' },
    processedFolder: { type: DataTypes.STRING(255), allowNull: true },
    active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
    createdAt: ts,
    updatedAt: ts,
  });
  await qi.createTable('mail_cursors', {
    id,
    mailboxKey: { type: DataTypes.STRING(255), allowNull: false, unique: true },
    uidValidity: { type: DataTypes.STRING(20), allowNull: false },
    lastUid: { type: DataTypes.BIGINT, allowNull: false },
    lastFetchAt: { type: DataTypes.DATE(3), allowNull: true },
    createdAt: ts,
    updatedAt: ts,
  });
  await qi.createTable('mail_intake', {
    id,
    mailboxKey: { type: DataTypes.STRING(255), allowNull: false },
    uidValidity: { type: DataTypes.STRING(20), allowNull: false },
    uid: { type: DataTypes.BIGINT, allowNull: false },
    rawSha256: { type: DataTypes.STRING(64), allowNull: false },
    size: { type: DataTypes.BIGINT, allowNull: false },
    subject: { type: DataTypes.STRING(998), allowNull: true },
    fromAddress: { type: DataTypes.STRING(320), allowNull: true },
    status: { type: DataTypes.STRING(16), allowNull: false },
    attempts: { type: DataTypes.INTEGER, allowNull: false },
    error: { type: DataTypes.TEXT, allowNull: true },
    messageId: { type: DataTypes.INTEGER, allowNull: true, references: { model: 'messages', key: 'id' }, onDelete: 'SET NULL' },
    createdAt: ts,
    updatedAt: ts,
  });
  await qi.addIndex('mail_intake', ['mailboxKey', 'uidValidity', 'uid'], { unique: true, name: 'mail_intake_uid' });
  await qi.addIndex('mail_intake', ['status', 'id'], { name: 'mail_intake_status' });
  await qi.createTable('email_thread_refs', {
    id,
    messageId: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'messages', key: 'id' }, onDelete: 'CASCADE' },
    ref: { type: DataTypes.STRING(255), allowNull: false },
  });
  await qi.addIndex('email_thread_refs', ['ref'], { name: 'email_thread_refs_ref' });
  await qi.addIndex('email_thread_refs', ['messageId', 'ref'], { unique: true, name: 'email_thread_refs_message_ref' });
};

export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.dropTable('email_thread_refs');
  await qi.dropTable('mail_intake');
  await qi.dropTable('mail_cursors');
  await qi.dropTable('mailboxes');
};
