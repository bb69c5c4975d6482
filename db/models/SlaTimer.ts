import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { DATE_MS } from './json';

export const SLA_TIMER_KINDS = ['first_response', 'next_response', 'resolution', 'legal'] as const;
export type SlaTimerKind = (typeof SLA_TIMER_KINDS)[number];

/** A BIGINT that reads back as a number on both dialects (mysql2 may hand back strings). */
const bigint = (field: string, allowNull: boolean) => ({
  type: DataTypes.BIGINT,
  allowNull,
  get(this: Model): number | null {
    const raw = this.getDataValue(field) as unknown;
    return raw === null || raw === undefined ? null : Number(raw);
  },
});

/**
 * One clock of one case: a service target in office time (it runs, pauses while the case waits on the citizen,
 * stops when met) or the legal deadline. `warnedAt` and `breachedAt` are set once, in the transaction that writes
 * the `sla.warning` / `sla.breached` event: that is what makes each event happen exactly once.
 */
export class SlaTimer extends Model<InferAttributes<SlaTimer>, InferCreationAttributes<SlaTimer>> {
  declare id: CreationOptional<number>;
  declare conversationId: number;
  declare kind: SlaTimerKind;
  declare policyId: number | null;
  /** Office time allowed (service targets); null when no policy sets one (the clock is only measured). */
  declare targetMs: number | null;
  /** Legal term in calendar days, extension included (legal clock only). */
  declare termDays: number | null;
  declare startedAt: Date;
  /** Office time used in closed segments (before the last pause). */
  declare usedMs: CreationOptional<number>;
  /** Start of the running segment; null while paused or stopped. */
  declare runningSince: Date | null;
  declare dueAt: Date | null;
  declare warnAt: Date | null;
  declare warnedAt: Date | null;
  declare breachedAt: Date | null;
  declare stoppedAt: Date | null;
  /** `met` or `breached`, once decided; `decidedAt` is when (reports count by it). */
  declare outcome: 'met' | 'breached' | null;
  declare decidedAt: Date | null;
  /** Wall-clock time from start to stop (response-time reports). */
  declare elapsedMs: number | null;
  /**
   * Copies of the case's department, channel, category and assignee, kept by database triggers (migration
   * 202611246004) so reports filter and group clocks without joining the cases. Read them; never write them.
   */
  declare departmentId: CreationOptional<number | null>;
  declare channel: CreationOptional<string | null>;
  declare categoryId: CreationOptional<number | null>;
  declare assigneeId: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initSlaTimer(sequelize: Sequelize): void {
  SlaTimer.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      conversationId: { type: DataTypes.INTEGER, allowNull: false },
      kind: { type: DataTypes.STRING(24), allowNull: false },
      policyId: { type: DataTypes.INTEGER, allowNull: true },
      targetMs: bigint('targetMs', true),
      termDays: { type: DataTypes.INTEGER, allowNull: true },
      startedAt: { type: DATE_MS, allowNull: false },
      usedMs: { ...bigint('usedMs', false), defaultValue: 0 },
      runningSince: { type: DATE_MS, allowNull: true },
      dueAt: { type: DATE_MS, allowNull: true },
      warnAt: { type: DATE_MS, allowNull: true },
      warnedAt: { type: DATE_MS, allowNull: true },
      breachedAt: { type: DATE_MS, allowNull: true },
      stoppedAt: { type: DATE_MS, allowNull: true },
      outcome: { type: DataTypes.STRING(16), allowNull: true },
      decidedAt: { type: DATE_MS, allowNull: true },
      elapsedMs: bigint('elapsedMs', true),
      departmentId: { type: DataTypes.INTEGER, allowNull: true },
      channel: { type: DataTypes.STRING(16), allowNull: true },
      categoryId: { type: DataTypes.INTEGER, allowNull: true },
      assigneeId: { type: DataTypes.INTEGER, allowNull: true },
      createdAt: DATE_MS,
      updatedAt: DATE_MS,
    },
    { sequelize, tableName: 'sla_timers' },
  );
}
