import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { DATE_MS } from './json';

/**
 * One applied Twilio webhook, unique on (kind, key) — e.g. ('call.status', 'CA…:completed'), ('recording',
 * 'RE…:completed'), ('sms.status', 'SM…:delivered'). Written in the same transaction as the effect, so a
 * replayed webhook finds its receipt and changes nothing.
 */
export class TwilioWebhookReceipt extends Model<InferAttributes<TwilioWebhookReceipt>, InferCreationAttributes<TwilioWebhookReceipt>> {
  declare id: CreationOptional<number>;
  declare kind: string;
  declare key: string;
  declare createdAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initTwilioWebhookReceipt(sequelize: Sequelize): void {
  TwilioWebhookReceipt.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      kind: { type: DataTypes.STRING(32), allowNull: false },
      key: { type: DataTypes.STRING(160), allowNull: false },
      createdAt: DATE_MS,
    },
    { sequelize, tableName: 'twilio_webhook_receipts', updatedAt: false },
  );
}
