import { DataTypes, type ModelAttributeColumnOptions, type Model } from 'sequelize';

/**
 * A JSON column stored as text. MariaDB reports JSON columns as LONGTEXT, so mysql2 hands back strings there
 * while MySQL 8 hands back objects; keeping the text ourselves behaves the same on SQLite, MariaDB and MySQL.
 */
export function jsonColumn<T>(field: string, fallback: T, allowNull = true): ModelAttributeColumnOptions<Model> {
  return {
    type: DataTypes.TEXT,
    allowNull,
    // Defaults are applied raw (without the setter), so the default is the stored text.
    ...(allowNull ? {} : { defaultValue: JSON.stringify(fallback) }),
    get(this: Model): T {
      return parseJson(this.getDataValue(field) as unknown, fallback);
    },
    set(this: Model, value: T | null) {
      this.setDataValue(field, (value === null || value === undefined ? null : JSON.stringify(value)) as never);
    },
  };
}

/** A JSON column's stored value as its model getter reads it (raw reads get the stored text). */
export function parseJson<T>(raw: unknown, fallback: T): T {
  if (raw === null || raw === undefined || raw === '') return fallback;
  if (typeof raw !== 'string') return raw as T;
  return JSON.parse(raw) as T;
}

/** Millisecond timestamps on both dialects. */
export const DATE_MS = DataTypes.DATE(3);
