import { DataTypes, type QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';
import { id, ts, date, ref } from './columns';

/** The conversation database: citizens, cases, messages, timeline, agents, the register, API keys, sessions. */
export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  // LONGTEXT on MySQL/MariaDB (TEXT stops at 64 KB); SQLite's TEXT has no limit and takes no length.
  const longText = qi.sequelize.getDialect() === 'mysql' ? DataTypes.TEXT('long') : DataTypes.TEXT;
  await qi.createTable('departments', {
    id,
    code: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    nameRo: { type: DataTypes.STRING(200), allowNull: false },
    nameEn: { type: DataTypes.STRING(200), allowNull: false },
    email: { type: DataTypes.STRING(320), allowNull: true },
    active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
    createdAt: ts,
    updatedAt: ts,
  });
  await qi.createTable('categories', {
    id,
    code: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    nameRo: { type: DataTypes.STRING(200), allowNull: false },
    nameEn: { type: DataTypes.STRING(200), allowNull: false },
    groupCode: { type: DataTypes.STRING(64), allowNull: false },
    descriptionRo: { type: DataTypes.TEXT, allowNull: true },
    descriptionEn: { type: DataTypes.TEXT, allowNull: true },
    keywords: { type: DataTypes.STRING(500), allowNull: true },
    departmentId: ref('departments', 'SET NULL', true),
    locationBased: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    legalBasis: { type: DataTypes.STRING(32), allowNull: false, defaultValue: 'petition' },
    sortOrder: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
    createdAt: ts,
    updatedAt: ts,
  });
  await qi.createTable('citizens', {
    id,
    name: { type: DataTypes.STRING(200), allowNull: true },
    language: { type: DataTypes.STRING(8), allowNull: false, defaultValue: 'ro' },
    mergedIntoId: ref('citizens', 'SET NULL', true),
    createdAt: ts,
    updatedAt: ts,
  });
  await qi.createTable('citizen_identities', {
    id,
    citizenId: ref('citizens', 'CASCADE', false),
    kind: { type: DataTypes.STRING(16), allowNull: false },
    value: { type: DataTypes.STRING(320), allowNull: false },
    verified: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    createdAt: ts,
    updatedAt: ts,
  });
  await qi.addIndex('citizen_identities', ['kind', 'value'], { unique: true, name: 'citizen_identities_kind_value' });
  await qi.addIndex('citizen_identities', ['citizenId'], { name: 'citizen_identities_citizen' });

  await qi.createTable('agents', {
    id,
    email: { type: DataTypes.STRING(320), allowNull: false, unique: true },
    name: { type: DataTypes.STRING(200), allowNull: false },
    passwordHash: { type: DataTypes.STRING(255), allowNull: false },
    role: { type: DataTypes.STRING(16), allowNull: false },
    languages: { type: DataTypes.TEXT, allowNull: false },
    capacity: { type: DataTypes.TEXT, allowNull: false },
    allDepartments: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    presence: { type: DataTypes.STRING(24), allowNull: false, defaultValue: 'offline' },
    presenceChangedAt: date(),
    lastOfferAt: date(),
    active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
    failedLogins: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    lockedUntil: date(),
    lastLoginAt: date(),
    createdAt: ts,
    updatedAt: ts,
  });
  await qi.createTable('agent_departments', {
    agentId: { ...ref('agents', 'CASCADE', false), primaryKey: true },
    departmentId: { ...ref('departments', 'CASCADE', false), primaryKey: true },
  });
  await qi.createTable('agent_sessions', {
    id: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
    agentId: ref('agents', 'CASCADE', false),
    csrfToken: { type: DataTypes.STRING(64), allowNull: false },
    expiresAt: ts,
    lastSeenAt: ts,
    createdAt: ts,
  });
  await qi.addIndex('agent_sessions', ['agentId'], { name: 'agent_sessions_agent' });

  await qi.createTable('conversations', {
    id,
    registrationYear: { type: DataTypes.INTEGER, allowNull: false },
    // Null only inside the ingest transaction, until the number is taken at its end.
    registrationSeq: { type: DataTypes.INTEGER, allowNull: true },
    registrationNumber: { type: DataTypes.STRING(32), allowNull: true, unique: true },
    registeredAt: ts,
    citizenId: ref('citizens', 'SET NULL', true),
    channel: { type: DataTypes.STRING(16), allowNull: false },
    subject: { type: DataTypes.STRING(998), allowNull: true },
    categoryId: ref('categories', 'SET NULL', true),
    departmentId: ref('departments', 'SET NULL', true),
    priority: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    status: { type: DataTypes.STRING(24), allowNull: false, defaultValue: 'new' },
    resolution: { type: DataTypes.STRING(16), allowNull: true },
    assigneeId: ref('agents', 'SET NULL', true),
    language: { type: DataTypes.STRING(8), allowNull: false, defaultValue: 'ro' },
    anonymous: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    legalBasis: { type: DataTypes.STRING(32), allowNull: false, defaultValue: 'none' },
    locationLat: { type: DataTypes.DOUBLE, allowNull: true },
    locationLng: { type: DataTypes.DOUBLE, allowNull: true },
    address: { type: DataTypes.STRING(500), allowNull: true },
    legalDueDate: { type: DataTypes.DATEONLY, allowNull: true },
    internalDueDate: { type: DataTypes.DATEONLY, allowNull: true },
    legalExtendedAt: date(),
    firstResponseDueAt: date(),
    nextResponseDueAt: date(),
    resolutionDueAt: date(),
    dueAt: date(),
    slaState: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'none' },
    slaPausedAt: date(),
    firstRespondedAt: date(),
    answeredAt: date(),
    fixedAt: date(),
    resolvedAt: date(),
    closedAt: date(),
    joinedIntoId: ref('conversations', 'SET NULL', true),
    portalTokenHash: { type: DataTypes.STRING(64), allowNull: true },
    lastMessageAt: date(),
    lastInboundAt: date(),
    createdAt: ts,
    updatedAt: ts,
  });
  await qi.addIndex('conversations', ['registrationYear', 'registrationSeq'], { unique: true, name: 'conversations_registration' });
  // Waiting cases by queue, in routing order (priority, then nearest due date).
  await qi.addIndex('conversations', ['status', 'departmentId', 'priority', 'dueAt'], { name: 'conversations_queue' });
  await qi.addIndex('conversations', ['assigneeId', 'status'], { name: 'conversations_assignee' });
  await qi.addIndex('conversations', ['citizenId', 'id'], { name: 'conversations_citizen' });
  await qi.addIndex('conversations', ['legalDueDate'], { name: 'conversations_legal_due' });
  await qi.addIndex('conversations', ['updatedAt', 'id'], { name: 'conversations_updated' });

  await qi.createTable('messages', {
    id,
    conversationId: ref('conversations', 'CASCADE', false),
    citizenId: ref('citizens', 'SET NULL', true),
    agentId: ref('agents', 'SET NULL', true),
    direction: { type: DataTypes.STRING(16), allowNull: false },
    channel: { type: DataTypes.STRING(16), allowNull: false },
    externalId: { type: DataTypes.STRING(255), allowNull: true },
    subject: { type: DataTypes.STRING(998), allowNull: true },
    text: { type: longText, allowNull: false },
    html: { type: longText, allowNull: true },
    metadata: { type: longText, allowNull: true },
    automatic: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    deliveryStatus: { type: DataTypes.STRING(16), allowNull: true },
    deliveryError: { type: DataTypes.TEXT, allowNull: true },
    deliveryUpdatedAt: date(),
    receivedAt: ts,
    createdAt: ts,
    updatedAt: ts,
  });
  // Dedupe: one message per provider id and channel. externalId first, so threading can look up by it alone.
  await qi.addIndex('messages', ['externalId', 'channel'], { unique: true, name: 'messages_external' });
  await qi.addIndex('messages', ['conversationId', 'id'], { name: 'messages_conversation' });

  await qi.createTable('attachments', {
    id,
    messageId: ref('messages', 'CASCADE', false),
    sha256: { type: DataTypes.STRING(64), allowNull: false },
    filename: { type: DataTypes.STRING(255), allowNull: false },
    contentType: { type: DataTypes.STRING(200), allowNull: false },
    declaredType: { type: DataTypes.STRING(200), allowNull: true },
    size: { type: DataTypes.BIGINT, allowNull: false },
    inline: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    contentId: { type: DataTypes.STRING(255), allowNull: true },
    createdAt: ts,
    updatedAt: ts,
  });
  await qi.addIndex('attachments', ['messageId'], { name: 'attachments_message' });
  await qi.addIndex('attachments', ['sha256'], { name: 'attachments_sha256' });

  await qi.createTable('conversation_events', {
    id,
    conversationId: ref('conversations', 'CASCADE', false),
    type: { type: DataTypes.STRING(64), allowNull: false },
    actorType: { type: DataTypes.STRING(16), allowNull: false },
    actorId: { type: DataTypes.INTEGER, allowNull: true },
    data: { type: longText, allowNull: true },
    public: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    createdAt: ts,
  });
  await qi.addIndex('conversation_events', ['conversationId', 'id'], { name: 'conversation_events_conversation' });

  await qi.createTable('registry_counters', {
    year: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    lastNumber: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
  });

  await qi.createTable('api_keys', {
    id,
    name: { type: DataTypes.STRING(200), allowNull: false },
    prefix: { type: DataTypes.STRING(16), allowNull: false },
    keyHash: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    lastUsedAt: date(),
    revokedAt: date(),
    createdAt: ts,
    updatedAt: ts,
  });
};

export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  for (const table of [
    'api_keys', 'registry_counters', 'conversation_events', 'attachments', 'messages', 'conversations',
    'agent_sessions', 'agent_departments', 'agents', 'citizen_identities', 'citizens', 'categories', 'departments',
  ]) {
    await qi.dropTable(table);
  }
};
