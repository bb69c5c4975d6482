import { DataTypes, Model, type CreationOptional, type ForeignKey, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import type { Agent } from './Agent';
import { DATE_MS } from './json';

/** A signed-in console session, shared by every web process. The cookie holds a token; only its sha256 is stored. */
export class AgentSession extends Model<InferAttributes<AgentSession>, InferCreationAttributes<AgentSession>> {
  declare id: string;
  declare agentId: ForeignKey<Agent['id']>;
  declare csrfToken: string;
  declare expiresAt: Date;
  declare lastSeenAt: Date;
  declare createdAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initAgentSession(sequelize: Sequelize): void {
  AgentSession.init(
    {
      id: { type: DataTypes.STRING(64), primaryKey: true },
      agentId: { type: DataTypes.INTEGER, allowNull: false },
      csrfToken: { type: DataTypes.STRING(64), allowNull: false },
      expiresAt: { type: DATE_MS, allowNull: false },
      lastSeenAt: { type: DATE_MS, allowNull: false },
      createdAt: DATE_MS,
    },
    { sequelize, tableName: 'agent_sessions', updatedAt: false },
  );
}
