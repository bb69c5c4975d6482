import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { DATE_MS } from './json';

/** The claim that a citizen is notified about one timeline event (unique per event), and the message sent. */
export class CitizenNotification extends Model<InferAttributes<CitizenNotification>, InferCreationAttributes<CitizenNotification>> {
  declare id: CreationOptional<number>;
  declare eventId: number;
  declare messageId: number | null;
  declare createdAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initCitizenNotification(sequelize: Sequelize): void {
  CitizenNotification.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      eventId: { type: DataTypes.INTEGER, allowNull: false },
      messageId: { type: DataTypes.INTEGER, allowNull: true },
      createdAt: DATE_MS,
    },
    { sequelize, tableName: 'citizen_notifications', updatedAt: false },
  );
}
