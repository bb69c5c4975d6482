import { DataTypes, Model, type CreationOptional, type ForeignKey, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import type { Conversation } from './Conversation';
import { DATE_MS } from './json';

/** The citizen's rating (1–5, optional comment) of how a case was resolved; at most one per case. */
export class Rating extends Model<InferAttributes<Rating>, InferCreationAttributes<Rating>> {
  declare id: CreationOptional<number>;
  declare conversationId: ForeignKey<Conversation['id']>;
  declare score: number;
  declare comment: string | null;
  declare createdAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initRating(sequelize: Sequelize): void {
  Rating.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      conversationId: { type: DataTypes.INTEGER, allowNull: false },
      score: { type: DataTypes.INTEGER, allowNull: false },
      comment: { type: DataTypes.TEXT, allowNull: true },
      createdAt: DATE_MS,
    },
    { sequelize, tableName: 'ratings', updatedAt: false },
  );
}
