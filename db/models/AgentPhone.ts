import { DataTypes, Model, type CreationOptional, type ForeignKey, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import type { Agent } from './Agent';
import { DATE_MS } from './json';

/** The phone number an agent takes calls on when the browser softphone is not connected. */
export class AgentPhone extends Model<InferAttributes<AgentPhone>, InferCreationAttributes<AgentPhone>> {
  declare id: CreationOptional<number>;
  declare agentId: ForeignKey<Agent['id']>;
  /** E.164. */
  declare phoneNumber: string;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initAgentPhone(sequelize: Sequelize): void {
  AgentPhone.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      agentId: { type: DataTypes.INTEGER, allowNull: false, unique: true },
      phoneNumber: { type: DataTypes.STRING(32), allowNull: false },
      createdAt: DATE_MS,
      updatedAt: DATE_MS,
    },
    { sequelize, tableName: 'agent_phones' },
  );
}
