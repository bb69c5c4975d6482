import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { DATE_MS } from './json';

/** A mailbox the email intake watches, added by an administrator (IMAP_URL adds more from the environment). */
export class Mailbox extends Model<InferAttributes<Mailbox>, InferCreationAttributes<Mailbox>> {
  declare id: CreationOptional<number>;
  declare name: string;
  declare host: string;
  declare port: number;
  /** Implicit TLS (imaps, 993); otherwise STARTTLS when the server offers it. */
  declare secure: boolean;
  /** Accept a self-signed server certificate (a city hall's own mail server). */
  declare tlsInsecure: CreationOptional<boolean>;
  declare username: string;
  /** Encrypted at rest (`enc:v1:…`, server/email/secretBox.ts); never leaves the server. */
  declare password: string;
  declare folder: CreationOptional<string>;
  /** When set, ingested messages are moved here instead of being flagged \Seen. */
  declare processedFolder: string | null;
  declare active: CreationOptional<boolean>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initMailbox(sequelize: Sequelize): void {
  Mailbox.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      name: { type: DataTypes.STRING(200), allowNull: false },
      host: { type: DataTypes.STRING(255), allowNull: false },
      port: { type: DataTypes.INTEGER, allowNull: false },
      secure: { type: DataTypes.BOOLEAN, allowNull: false },
      tlsInsecure: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      username: { type: DataTypes.STRING(320), allowNull: false },
      password: { type: DataTypes.TEXT, allowNull: false },
      folder: { type: DataTypes.STRING(255), allowNull: false, defaultValue: 'INBOX' },
      processedFolder: { type: DataTypes.STRING(255), allowNull: true },
      active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      createdAt: DATE_MS,
      updatedAt: DATE_MS,
    },
    { sequelize, tableName: 'mailboxes' },
  );
}
