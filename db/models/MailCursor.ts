import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { DATE_MS } from './json';

/**
 * How far the intake got in one mailbox: `UIDVALIDITY:UID`. Every UID up to `lastUid` is ingested or
 * quarantined. A different UIDVALIDITY on the server means the UIDs were renumbered: rescan, dedupe decides.
 */
export class MailCursor extends Model<InferAttributes<MailCursor>, InferCreationAttributes<MailCursor>> {
  declare id: CreationOptional<number>;
  /** `user@host:port/folder`, never the password. */
  declare mailboxKey: string;
  /** UIDVALIDITY as a decimal string (up to 2^32-1). */
  declare uidValidity: string;
  declare lastUid: number;
  declare lastFetchAt: Date | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initMailCursor(sequelize: Sequelize): void {
  MailCursor.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      mailboxKey: { type: DataTypes.STRING(255), allowNull: false, unique: true },
      uidValidity: { type: DataTypes.STRING(20), allowNull: false },
      lastUid: { type: DataTypes.BIGINT, allowNull: false, get() { return Number(this.getDataValue('lastUid')); } },
      lastFetchAt: { type: DATE_MS, allowNull: true },
      createdAt: DATE_MS,
      updatedAt: DATE_MS,
    },
    { sequelize, tableName: 'mail_cursors' },
  );
}
