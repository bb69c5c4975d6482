import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DomUtils, parseDocument } from 'htmlparser2';
import type { Element } from 'domhandler';
import { Agent, AgentDepartment, ConversationEvent, Department } from '../../db/models';
import { createApp } from '../../server/app';
import { invalidateBusinessCalendar } from '../../server/calendar/calendarStore';
import { phoneClock } from '../../server/twilio/officeHours';
import { startFakeTwilioApi, type FakeTwilioApi, type SimulatorTarget } from '../../scripts/twilio-simulator';
import { createTestContext, type TestContext } from '../helpers/context';
import type { TestDialect } from '../helpers/services';

export const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
export const AUTH_TOKEN = 'test-auth-token-0123456789abcdef';
export const OUR_NUMBER = '+40256000100';
/** Twilio calls this public URL; the server listens elsewhere (as behind a reverse proxy). */
export const PUBLIC_URL = 'https://ghiseu.primarie.example';

/** Tuesday 24 Nov 2026, 10:00 in Bucharest: office hours. */
export const IN_HOURS = new Date('2026-11-24T08:00:00Z');
/** Saturday 28 Nov 2026, 10:00 in Bucharest: closed. */
export const OUT_OF_HOURS = new Date('2026-11-28T08:00:00Z');

export interface TwilioFixture {
  t: TestContext;
  api: FakeTwilioApi;
  server: Server;
  target: SimulatorTarget;
  close(): Promise<void>;
}

/** A full Ghișeu with Twilio configured against a fake REST API, listening on a free port. */
export async function startTwilioFixture(dialect: TestDialect): Promise<TwilioFixture> {
  const api = await startFakeTwilioApi();
  const t = await createTestContext(dialect, {
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_PHONE_NUMBER: OUR_NUMBER,
    TWILIO_API_URL: api.url,
    PUBLIC_URL,
  });
  invalidateBusinessCalendar();
  phoneClock.now = () => IN_HOURS;
  const app = createApp(t.ctx);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    t,
    api,
    server,
    target: { baseUrl: `http://127.0.0.1:${port}`, publicUrl: PUBLIC_URL, authToken: AUTH_TOKEN, accountSid: ACCOUNT_SID },
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await api.close();
      await t.ctx.events.drain();
      await t.cleanup();
      phoneClock.now = () => new Date();
      invalidateBusinessCalendar();
    },
  };
}

/** Parses TwiML with an XML parser and returns its <Response> root. */
export function parseTwiml(xml: string): Element {
  const doc = parseDocument(xml, { xmlMode: true });
  const root = doc.children.find((n): n is Element => n.type === 'tag');
  if (!root || root.name !== 'Response') throw new Error(`not TwiML: ${xml.slice(0, 200)}`);
  return root;
}

/** All elements of a name under a TwiML root, in document order. */
export function elements(root: Element, name: string): Element[] {
  return DomUtils.getElementsByTagName(name, root, true);
}

/** The text of an element. */
export function text(el: Element): string {
  return DomUtils.textContent(el);
}

/** Names of the root's direct children (the verbs, in order). */
export function verbs(root: Element): string[] {
  return root.children.filter((n): n is Element => n.type === 'tag').map((n) => n.name);
}

/** Polls `check` until it returns a truthy value or the timeout passes. */
export async function waitFor<T>(check: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let agentSeq = 0;

/** An active agent, available for calls, serving the given department (or all). */
export async function availableAgent(opts: { departmentCode?: string; presence?: Agent['presence'] } = {}): Promise<Agent> {
  agentSeq++;
  const agent = await Agent.create({
    email: `agent${agentSeq}-${Date.now()}@primarie.example`,
    name: `Agent ${agentSeq}`,
    passwordHash: 'x',
    role: 'agent',
    languages: ['ro', 'en'],
    capacity: { voice: 1, sms: 4, email: 5 },
    allDepartments: !opts.departmentCode,
    presence: opts.presence ?? 'available',
    presenceChangedAt: null,
    lastOfferAt: null,
    lockedUntil: null,
    lastLoginAt: null,
  });
  if (opts.departmentCode) {
    const [dept] = await Department.findOrCreate({ where: { code: opts.departmentCode }, defaults: { code: opts.departmentCode, nameRo: opts.departmentCode, nameEn: opts.departmentCode, email: null } });
    await AgentDepartment.create({ agentId: agent.id, departmentId: dept.id });
  }
  return agent;
}

/** Timeline event types of a case, oldest first. */
export async function eventTypes(conversationId: number): Promise<string[]> {
  return (await ConversationEvent.findAll({ where: { conversationId }, order: [['id', 'ASC']] })).map((e) => e.type);
}
