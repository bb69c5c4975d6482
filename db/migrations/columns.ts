import { DataTypes } from 'sequelize';

/** Column shapes every migration uses, so each table is declared the same way on SQLite and MariaDB. */

/** An auto-increment integer primary key. */
export const id = { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false };

/** A required millisecond timestamp (createdAt, updatedAt…). */
export const ts = { type: DataTypes.DATE(3), allowNull: false };

/** A millisecond timestamp, nullable unless told otherwise. */
export const date = (allowNull = true) => ({ type: DataTypes.DATE(3), allowNull });

/** An integer foreign key to `table.id`. */
export const ref = (table: string, onDelete: 'CASCADE' | 'SET NULL' | 'RESTRICT', allowNull: boolean) => ({
  type: DataTypes.INTEGER,
  allowNull,
  references: { model: table, key: 'id' },
  onDelete,
  onUpdate: 'CASCADE',
});
