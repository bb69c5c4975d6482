import { DataTypes, Model, type ForeignKey, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import type { Agent } from './Agent';
import { DATE_MS } from './json';

/**
 * One connected console socket, in whichever server process holds it. Processes refresh `heartbeatAt`; rows of a
 * process that died stop being refreshed and are swept, so "is this agent connected" survives crashes.
 */
export class AgentSocket extends Model<InferAttributes<AgentSocket>, InferCreationAttributes<AgentSocket>> {
  declare socketId: string;
  declare agentId: ForeignKey<Agent['id']>;
  declare processId: string;
  declare namespace: string;
  declare connectedAt: Date;
  declare heartbeatAt: Date;
}

/** Registers the model. */
export function initAgentSocket(sequelize: Sequelize): void {
  AgentSocket.init(
    {
      socketId: { type: DataTypes.STRING(64), primaryKey: true },
      agentId: { type: DataTypes.INTEGER, allowNull: false },
      processId: { type: DataTypes.STRING(64), allowNull: false },
      namespace: { type: DataTypes.STRING(32), allowNull: false },
      connectedAt: { type: DATE_MS, allowNull: false },
      heartbeatAt: { type: DATE_MS, allowNull: false },
    },
    { sequelize, tableName: 'agent_sockets', timestamps: false },
  );
}
