import { DataTypes, Model, type CreationOptional, type ForeignKey, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import type { Message } from './Message';

/**
 * A Message-ID an inbound email referred to (In-Reply-To/References). Lets a message that arrives after its
 * replies find their case: the replies point at it even though it was not there yet.
 */
export class EmailThreadRef extends Model<InferAttributes<EmailThreadRef>, InferCreationAttributes<EmailThreadRef>> {
  declare id: CreationOptional<number>;
  declare messageId: ForeignKey<Message['id']>;
  declare ref: string;
}

/** Registers the model. */
export function initEmailThreadRef(sequelize: Sequelize): void {
  EmailThreadRef.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      messageId: { type: DataTypes.INTEGER, allowNull: false },
      ref: { type: DataTypes.STRING(255), allowNull: false },
    },
    { sequelize, tableName: 'email_thread_refs', timestamps: false },
  );
}
