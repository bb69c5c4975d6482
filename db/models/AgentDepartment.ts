import { DataTypes, Model, type ForeignKey, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import type { Agent } from './Agent';
import type { Department } from './Department';

/** An agent's skill: the departments (queues) whose cases they may be offered. */
export class AgentDepartment extends Model<InferAttributes<AgentDepartment>, InferCreationAttributes<AgentDepartment>> {
  declare agentId: ForeignKey<Agent['id']>;
  declare departmentId: ForeignKey<Department['id']>;
}

/** Registers the model. */
export function initAgentDepartment(sequelize: Sequelize): void {
  AgentDepartment.init(
    {
      agentId: { type: DataTypes.INTEGER, allowNull: false, primaryKey: true },
      departmentId: { type: DataTypes.INTEGER, allowNull: false, primaryKey: true },
    },
    { sequelize, tableName: 'agent_departments', timestamps: false },
  );
}
