import { DataTypes, Model, type CreationOptional, type ForeignKey, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import type { Message } from './Message';
import { DATE_MS } from './json';

export type MailIntakeStatus = 'failing' | 'quarantined' | 'ingested';

/**
 * A raw email that could not be ingested: its bytes are in the blob store (raw first), with the error and the
 * attempts. After N failures it is `quarantined`: the intake moves past it, operators see it and can retry.
 */
export class MailIntake extends Model<InferAttributes<MailIntake>, InferCreationAttributes<MailIntake>> {
  declare id: CreationOptional<number>;
  declare mailboxKey: string;
  declare uidValidity: string;
  declare uid: number;
  declare rawSha256: string;
  declare size: number;
  declare subject: string | null;
  declare fromAddress: string | null;
  declare status: MailIntakeStatus;
  declare attempts: number;
  declare error: string | null;
  declare messageId: ForeignKey<Message['id']> | null;
  /**
   * Ingested after an operator's retry, but the IMAP server has not yet been told (\Seen or the move): the
   * mailbox's watcher applies it on its next connection. Mail ingested by the watcher itself never needs this.
   */
  declare flagPending: CreationOptional<boolean>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initMailIntake(sequelize: Sequelize): void {
  MailIntake.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      mailboxKey: { type: DataTypes.STRING(255), allowNull: false },
      uidValidity: { type: DataTypes.STRING(20), allowNull: false },
      uid: { type: DataTypes.BIGINT, allowNull: false, get() { return Number(this.getDataValue('uid')); } },
      rawSha256: { type: DataTypes.STRING(64), allowNull: false },
      size: { type: DataTypes.BIGINT, allowNull: false, get() { return Number(this.getDataValue('size')); } },
      subject: { type: DataTypes.STRING(998), allowNull: true },
      fromAddress: { type: DataTypes.STRING(320), allowNull: true },
      status: { type: DataTypes.STRING(16), allowNull: false },
      attempts: { type: DataTypes.INTEGER, allowNull: false },
      error: { type: DataTypes.TEXT, allowNull: true },
      messageId: { type: DataTypes.INTEGER, allowNull: true },
      flagPending: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      createdAt: DATE_MS,
      updatedAt: DATE_MS,
    },
    { sequelize, tableName: 'mail_intake' },
  );
}
