import { DataTypes, type QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';
import { id, ts, date, ref } from './columns';

/**
 * The business calendar (office hours, closed days, recovery Saturdays), SLA policies, one SLA timer per case and
 * target, and the indexes the sweeper, the wallboard and the reports read through.
 */
export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.createTable('business_calendars', {
    id,
    name: { type: DataTypes.STRING(200), allowNull: false },
    legalMarginWorkingDays: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 2 },
    warnPercent: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 80 },
    createdAt: ts,
    updatedAt: ts,
  });
  await qi.createTable('business_hours_windows', {
    id,
    calendarId: ref('business_calendars', 'CASCADE', false),
    weekday: { type: DataTypes.INTEGER, allowNull: false },
    startMinute: { type: DataTypes.INTEGER, allowNull: false },
    endMinute: { type: DataTypes.INTEGER, allowNull: false },
    createdAt: ts,
    updatedAt: ts,
  });
  await qi.addIndex('business_hours_windows', ['calendarId', 'weekday'], { name: 'business_hours_windows_day' });
  await qi.createTable('calendar_days', {
    id,
    calendarId: ref('business_calendars', 'CASCADE', false),
    date: { type: DataTypes.DATEONLY, allowNull: false },
    kind: { type: DataTypes.STRING(16), allowNull: false },
    note: { type: DataTypes.STRING(500), allowNull: true },
    windows: { type: DataTypes.TEXT, allowNull: true },
    createdAt: ts,
    updatedAt: ts,
  });
  await qi.addIndex('calendar_days', ['calendarId', 'date'], { unique: true, name: 'calendar_days_date' });

  await qi.createTable('sla_policies', {
    id,
    name: { type: DataTypes.STRING(200), allowNull: false },
    active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
    categoryId: ref('categories', 'CASCADE', true),
    channel: { type: DataTypes.STRING(16), allowNull: true },
    priority: { type: DataTypes.INTEGER, allowNull: true },
    legalBasis: { type: DataTypes.STRING(32), allowNull: true },
    firstResponseMinutes: { type: DataTypes.INTEGER, allowNull: true },
    nextResponseMinutes: { type: DataTypes.INTEGER, allowNull: true },
    resolutionMinutes: { type: DataTypes.INTEGER, allowNull: true },
    warnPercent: { type: DataTypes.INTEGER, allowNull: true },
    escalatePriority: { type: DataTypes.INTEGER, allowNull: true },
    reassignOnBreach: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    createdAt: ts,
    updatedAt: ts,
  });

  await qi.createTable('sla_timers', {
    id,
    conversationId: ref('conversations', 'CASCADE', false),
    kind: { type: DataTypes.STRING(24), allowNull: false },
    policyId: ref('sla_policies', 'SET NULL', true),
    targetMs: { type: DataTypes.BIGINT, allowNull: true },
    termDays: { type: DataTypes.INTEGER, allowNull: true },
    startedAt: ts,
    usedMs: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 },
    runningSince: date(),
    dueAt: date(),
    warnAt: date(),
    warnedAt: date(),
    breachedAt: date(),
    stoppedAt: date(),
    outcome: { type: DataTypes.STRING(16), allowNull: true },
    decidedAt: date(),
    elapsedMs: { type: DataTypes.BIGINT, allowNull: true },
    createdAt: ts,
    updatedAt: ts,
  });
  await qi.addIndex('sla_timers', ['conversationId', 'kind'], { unique: true, name: 'sla_timers_case_kind' });
  // The sweeper: running timers whose warning or due moment has passed and was not acted on yet.
  await qi.addIndex('sla_timers', ['warnedAt', 'warnAt'], { name: 'sla_timers_warn' });
  await qi.addIndex('sla_timers', ['breachedAt', 'dueAt'], { name: 'sla_timers_due' });
  // Compliance and response-time reports over a period.
  await qi.addIndex('sla_timers', ['decidedAt', 'kind', 'outcome', 'elapsedMs'], { name: 'sla_timers_decided' });

  // Volume by channel, department and category over a period (covering), the wallboard's today/last week.
  await qi.addIndex('conversations', ['registeredAt', 'channel', 'departmentId', 'categoryId'], { name: 'conversations_registered' });
  await qi.addIndex('conversations', ['slaState', 'status'], { name: 'conversations_sla_state' });
  await qi.addIndex('conversation_events', ['type', 'createdAt'], { name: 'conversation_events_type' });
  await qi.addIndex('messages', ['receivedAt', 'agentId'], { name: 'messages_received_agent' });

  const now = new Date();
  await qi.bulkInsert('business_calendars', [{ id: 1, name: 'Program de lucru cu publicul', legalMarginWorkingDays: 2, warnPercent: 80, createdAt: now, updatedAt: now }]);
  const hours: [number, number, number][] = [
    [1, 480, 990], [2, 480, 990], [3, 480, 990], [4, 480, 990], [5, 480, 840],
  ];
  await qi.bulkInsert(
    'business_hours_windows',
    hours.map(([weekday, startMinute, endMinute]) => ({ calendarId: 1, weekday, startMinute, endMinute, createdAt: now, updatedAt: now })),
  );
};

export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.removeIndex('messages', 'messages_received_agent');
  await qi.removeIndex('conversation_events', 'conversation_events_type');
  await qi.removeIndex('conversations', 'conversations_sla_state');
  await qi.removeIndex('conversations', 'conversations_registered');
  for (const table of ['sla_timers', 'sla_policies', 'calendar_days', 'business_hours_windows', 'business_calendars']) await qi.dropTable(table);
};
