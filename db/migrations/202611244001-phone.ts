import { DataTypes, type QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';
import { id, ts, date, ref } from './columns';

/** The phone and SMS channel: calls and their routing state, webhook receipts, SMS opt-outs, the IVR menu, agents' phone numbers. */
export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.createTable('phone_calls', {
    id,
    callSid: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    messageId: ref('messages', 'CASCADE', false),
    conversationId: ref('conversations', 'CASCADE', false),
    language: { type: DataTypes.STRING(8), allowNull: false, defaultValue: 'ro' },
    departmentCode: { type: DataTypes.STRING(64), allowNull: true },
    queueName: { type: DataTypes.STRING(64), allowNull: true },
    queueSid: { type: DataTypes.STRING(64), allowNull: true },
    routingState: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'ivr' },
    offeredAgentId: ref('agents', 'SET NULL', true),
    offerExpiresAt: date(),
    declinedAgentIds: { type: DataTypes.TEXT, allowNull: true },
    agentId: ref('agents', 'SET NULL', true),
    agentDevice: { type: DataTypes.STRING(16), allowNull: true },
    queuedAt: date(),
    bridgedAt: date(),
    endedAt: date(),
    createdAt: ts,
    updatedAt: ts,
  });
  await qi.addIndex('phone_calls', ['routingState', 'queueName'], { name: 'phone_calls_routing' });
  await qi.addIndex('phone_calls', ['offeredAgentId'], { name: 'phone_calls_offered_agent' });

  await qi.createTable('twilio_webhook_receipts', {
    id,
    kind: { type: DataTypes.STRING(32), allowNull: false },
    key: { type: DataTypes.STRING(160), allowNull: false },
    createdAt: ts,
  });
  await qi.addIndex('twilio_webhook_receipts', ['kind', 'key'], { unique: true, name: 'twilio_webhook_receipts_kind_key' });

  await qi.createTable('sms_opt_outs', {
    id,
    phone: { type: DataTypes.STRING(32), allowNull: false, unique: true },
    keyword: { type: DataTypes.STRING(32), allowNull: false },
    optedOutAt: ts,
    createdAt: ts,
    updatedAt: ts,
  });

  await qi.createTable('ivr_menu_entries', {
    id,
    digit: { type: DataTypes.STRING(2), allowNull: false, unique: true },
    keywordsRo: { type: DataTypes.STRING(500), allowNull: false, defaultValue: '' },
    keywordsEn: { type: DataTypes.STRING(500), allowNull: false, defaultValue: '' },
    labelRo: { type: DataTypes.STRING(200), allowNull: false },
    labelEn: { type: DataTypes.STRING(200), allowNull: false },
    departmentCode: { type: DataTypes.STRING(64), allowNull: true },
    queueName: { type: DataTypes.STRING(64), allowNull: false },
    sortOrder: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
    createdAt: ts,
    updatedAt: ts,
  });

  await qi.createTable('agent_phones', {
    id,
    agentId: { ...ref('agents', 'CASCADE', false), unique: true },
    phoneNumber: { type: DataTypes.STRING(32), allowNull: false },
    createdAt: ts,
    updatedAt: ts,
  });

  const now = new Date();
  // The menu a city hall starts with; administrators change it through the API, not the code.
  await qi.bulkInsert('ivr_menu_entries', [
    { digit: '1', labelRo: 'taxe și impozite locale', labelEn: 'local taxes', keywordsRo: 'taxe,taxă,impozit,impozite,plată', keywordsEn: 'tax,taxes,payment', departmentCode: 'taxe', queueName: 'taxe', sortOrder: 1 },
    { digit: '2', labelRo: 'urbanism și autorizații de construire', labelEn: 'urban planning and building permits', keywordsRo: 'urbanism,autorizație,construire,certificat', keywordsEn: 'planning,permit,building', departmentCode: 'urbanism', queueName: 'urbanism', sortOrder: 2 },
    { digit: '3', labelRo: 'sesizări despre probleme în oraș', labelEn: 'reporting a problem in the city', keywordsRo: 'sesizare,problemă,groapă,iluminat,gunoi', keywordsEn: 'report,problem,pothole,light,rubbish', departmentCode: 'sesizari', queueName: 'sesizari', sortOrder: 3 },
    { digit: '4', labelRo: 'registratură și stadiul unei cereri', labelEn: 'registry and the status of a request', keywordsRo: 'registratură,registratura,cerere,număr,stadiu', keywordsEn: 'registry,request,status,number', departmentCode: 'registratura', queueName: 'registratura', sortOrder: 4 },
    { digit: '0', labelRo: 'un operator', labelEn: 'an operator', keywordsRo: 'operator,persoană,om', keywordsEn: 'operator,agent,person', departmentCode: null, queueName: 'operator', sortOrder: 9 },
  ].map((e) => ({ ...e, active: true, createdAt: now, updatedAt: now })));
};

export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  for (const t of ['agent_phones', 'ivr_menu_entries', 'sms_opt_outs', 'twilio_webhook_receipts', 'phone_calls']) await qi.dropTable(t);
};
