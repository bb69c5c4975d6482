import type { Sequelize } from 'sequelize';
import { Agent, initAgent } from './Agent';
import { AgentDepartment, initAgentDepartment } from './AgentDepartment';
import { AgentSession, initAgentSession } from './AgentSession';
import { ApiKey, initApiKey } from './ApiKey';
import { Attachment, initAttachment } from './Attachment';
import { EmailThreadRef, initEmailThreadRef } from './EmailThreadRef';
import { Mailbox, initMailbox } from './Mailbox';
import { MailCursor, initMailCursor } from './MailCursor';
import { MailIntake, initMailIntake } from './MailIntake';
import { Category, initCategory } from './Category';
import { Citizen, initCitizen } from './Citizen';
import { CitizenIdentity, initCitizenIdentity } from './CitizenIdentity';
import { Conversation, initConversation } from './Conversation';
import { ConversationEvent, initConversationEvent } from './ConversationEvent';
import { Department, initDepartment } from './Department';
import { Message, initMessage } from './Message';
import { RegistryCounter, initRegistryCounter } from './RegistryCounter';
import { BusinessCalendarRow, initBusinessCalendarRow } from './BusinessCalendarRow';
import { BusinessHoursWindow, initBusinessHoursWindow } from './BusinessHoursWindow';
import { CalendarDay, initCalendarDay } from './CalendarDay';
import { SlaPolicy, initSlaPolicy } from './SlaPolicy';
import { SlaTimer, initSlaTimer } from './SlaTimer';
import { AgentPhone, initAgentPhone } from './AgentPhone';
import { IvrMenuEntry, initIvrMenuEntry } from './IvrMenuEntry';
import { PhoneCall, initPhoneCall } from './PhoneCall';
import { SmsOptOut, initSmsOptOut } from './SmsOptOut';
import { TwilioWebhookReceipt, initTwilioWebhookReceipt } from './TwilioWebhookReceipt';
import { QueueEntry, initQueueEntry } from './QueueEntry';
import { Offer, initOffer } from './Offer';
import { AgentSocket, initAgentSocket } from './AgentSocket';
import { CannedResponse, initCannedResponse } from './CannedResponse';
import { Rating, initRating } from './Rating';
import { Letter, initLetter } from './Letter';
import { LetterPage, initLetterPage } from './LetterPage';
import { CitizenNotification, initCitizenNotification } from './CitizenNotification';

export { Agent, AgentDepartment, AgentSession, ApiKey, Attachment, Category, Citizen, CitizenIdentity, Conversation, ConversationEvent, Department, Message, RegistryCounter };
export { BusinessCalendarRow, BusinessHoursWindow, CalendarDay, SlaPolicy, SlaTimer };
export { AgentPhone, IvrMenuEntry, PhoneCall, SmsOptOut, TwilioWebhookReceipt };
export { QueueEntry, Offer, AgentSocket };
export { CannedResponse };
export { Rating };
export { Letter, LetterPage };
export { CitizenNotification };
export { EmailThreadRef, Mailbox, MailCursor, MailIntake };

/**
 * Registers every model on one Sequelize instance and wires the associations in one place.
 * Models are module-level classes, so a process talks to one database at a time.
 */
export function initModels(sequelize: Sequelize): void {
  for (const init of [
    initDepartment, initCategory, initCitizen, initCitizenIdentity, initAgent, initAgentDepartment, initAgentSession,
    initConversation, initMessage, initAttachment, initConversationEvent, initRegistryCounter, initApiKey,
  ]) {
    init(sequelize);
  }
  for (const init of [initBusinessCalendarRow, initBusinessHoursWindow, initCalendarDay, initSlaPolicy, initSlaTimer]) init(sequelize);
  for (const init of [initAgentPhone, initIvrMenuEntry, initPhoneCall, initSmsOptOut, initTwilioWebhookReceipt]) init(sequelize);
  for (const init of [initQueueEntry, initOffer, initAgentSocket]) init(sequelize);
  initCannedResponse(sequelize);
  initRating(sequelize);
  for (const init of [initLetter, initLetterPage]) init(sequelize);
  initCitizenNotification(sequelize);

  for (const init of [initMailbox, initMailCursor, initMailIntake, initEmailThreadRef]) init(sequelize);
  Citizen.hasMany(CitizenIdentity, { foreignKey: 'citizenId', as: 'identities' });
  CitizenIdentity.belongsTo(Citizen, { foreignKey: 'citizenId', as: 'citizen' });
  Citizen.hasMany(Conversation, { foreignKey: 'citizenId', as: 'conversations' });
  Conversation.belongsTo(Citizen, { foreignKey: 'citizenId', as: 'citizen' });
  Conversation.belongsTo(Category, { foreignKey: 'categoryId', as: 'category' });
  Conversation.belongsTo(Department, { foreignKey: 'departmentId', as: 'department' });
  Conversation.belongsTo(Agent, { foreignKey: 'assigneeId', as: 'assignee' });
  Conversation.hasMany(Message, { foreignKey: 'conversationId', as: 'messages' });
  Conversation.hasMany(ConversationEvent, { foreignKey: 'conversationId', as: 'events' });
  Message.belongsTo(Conversation, { foreignKey: 'conversationId', as: 'conversation' });
  Message.belongsTo(Agent, { foreignKey: 'agentId', as: 'agent' });
  Message.hasMany(Attachment, { foreignKey: 'messageId', as: 'attachments' });
  Attachment.belongsTo(Message, { foreignKey: 'messageId', as: 'message' });
  ConversationEvent.belongsTo(Conversation, { foreignKey: 'conversationId', as: 'conversation' });
  Category.belongsTo(Department, { foreignKey: 'departmentId', as: 'department' });
  Agent.belongsToMany(Department, { through: AgentDepartment, foreignKey: 'agentId', otherKey: 'departmentId', as: 'departments' });
  Department.belongsToMany(Agent, { through: AgentDepartment, foreignKey: 'departmentId', otherKey: 'agentId', as: 'agents' });
  AgentSession.belongsTo(Agent, { foreignKey: 'agentId', as: 'agent' });
  Conversation.hasMany(SlaTimer, { foreignKey: 'conversationId', as: 'slaTimers' });
  SlaTimer.belongsTo(Conversation, { foreignKey: 'conversationId', as: 'conversation' });
  CannedResponse.belongsTo(Department, { foreignKey: 'departmentId', as: 'department' });
}
