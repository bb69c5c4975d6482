import { DataTypes, Model, type CreationOptional, type ForeignKey, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import type { Message } from './Message';
import { DATE_MS } from './json';

/** A file of a message, stored content-addressed (sha256) under DATA_DIR; the type is sniffed from its bytes. */
export class Attachment extends Model<InferAttributes<Attachment>, InferCreationAttributes<Attachment>> {
  declare id: CreationOptional<number>;
  declare messageId: ForeignKey<Message['id']>;
  declare sha256: string;
  declare filename: string;
  /** The type sniffed from the content; the sender's claim is kept beside it. */
  declare contentType: string;
  declare declaredType: string | null;
  declare size: number;
  declare inline: CreationOptional<boolean>;
  declare contentId: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initAttachment(sequelize: Sequelize): void {
  Attachment.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      messageId: { type: DataTypes.INTEGER, allowNull: false },
      sha256: { type: DataTypes.STRING(64), allowNull: false },
      filename: { type: DataTypes.STRING(255), allowNull: false },
      contentType: { type: DataTypes.STRING(200), allowNull: false },
      declaredType: { type: DataTypes.STRING(200), allowNull: true },
      size: { type: DataTypes.BIGINT, allowNull: false },
      inline: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      contentId: { type: DataTypes.STRING(255), allowNull: true },
      createdAt: DATE_MS,
      updatedAt: DATE_MS,
    },
    { sequelize, tableName: 'attachments' },
  );
}
