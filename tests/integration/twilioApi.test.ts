import request from 'supertest';
import { Agent, Message, PhoneCall } from '../../db/models';
import { createApp } from '../../server/app';
import { createAgent } from '../../server/auth/createAgent';
import { signedPost, callParams, simulateCall, twilioSid } from '../../scripts/twilio-simulator';
import { DIALECTS } from '../helpers/services';
import { ACCOUNT_SID, OUR_NUMBER, PUBLIC_URL, elements, parseTwiml, startTwilioFixture, text, waitFor, type TwilioFixture } from './twilioHelpers';

const PASSWORD = 'parola-foarte-lunga-1';

describe.each(DIALECTS)('phone API on %s', (dialect) => {
  let f: TwilioFixture;
  beforeAll(async () => {
    f = await startTwilioFixture(dialect);
  });
  afterAll(async () => {
    await f.close();
  });

  async function signIn(role: 'agent' | 'admin', app = createApp(f.t.ctx)) {
    const email = `${role}-${twilioSid('x').slice(1, 9)}@primarie.example`;
    const agent = await createAgent(f.t.ctx, { email, name: `Test ${role}`, role, password: PASSWORD, allDepartments: true });
    const login = await request(app).post('/api/v1/auth/login').send({ email, password: PASSWORD });
    expect(login.status).toBe(200);
    // The session cookie is Secure (PUBLIC_URL is https), so it is passed by hand over the test's plain HTTP.
    const cookie = ([] as string[]).concat(login.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
    const client = {
      get: (path: string) => request(app).get(path).set('cookie', cookie),
      post: (path: string) => request(app).post(path).set('cookie', cookie),
      put: (path: string) => request(app).put(path).set('cookie', cookie),
    };
    return { agent, client, csrf: login.body.csrfToken as string };
  }

  it('refuses the softphone token without a session, and says what is missing when the softphone is not configured', async () => {
    expect((await request(createApp(f.t.ctx)).get('/api/v1/phone/token')).status).toBe(401);
    const { client } = await signIn('agent');
    const res = await client.get('/api/v1/phone/token');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('softphone_not_configured');
  });

  it('issues an access token with a VoiceGrant for identity agent-<id>', async () => {
    const config = { ...f.t.ctx.config, TWILIO_API_KEY_SID: 'SK0123456789abcdef0123456789abcdef', TWILIO_API_KEY_SECRET: 'api-key-secret-0123456789', TWILIO_TWIML_APP_SID: 'AP0123456789abcdef0123456789abcdef' };
    const app = createApp({ ...f.t.ctx, config });
    const { agent, client } = await signIn('agent', app);
    const res = await client.get('/api/v1/phone/token');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.identity).toBe(`agent-${agent.id}`);
    const [, payload] = (res.body.token as string).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
    expect(claims).toMatchObject({
      iss: 'SK0123456789abcdef0123456789abcdef',
      sub: ACCOUNT_SID,
      grants: { identity: `agent-${agent.id}`, voice: { outgoing: { application_sid: 'AP0123456789abcdef0123456789abcdef' }, incoming: { allow: true } } },
    });
  });

  it('counts SMS segments for a signed-in agent (CSRF-checked)', async () => {
    const { client, csrf } = await signIn('agent');
    expect((await client.post('/api/v1/sms/segments').send({ text: 'x' })).status).toBe(403);
    const res = await client.post('/api/v1/sms/segments').set('x-csrf-token', csrf).send({ text: 'Cererea dumneavoastră a fost înregistrată.' });
    expect(res.status).toBe(200);
    expect(res.body.original).toMatchObject({ encoding: 'UCS-2', segments: 1, nonGsmCharacters: ['ă', 'î'] });
    expect(res.body.transliterated).toMatchObject({ text: 'Cererea dumneavoastra a fost inregistrata.', encoding: 'GSM-7', segments: 1 });
    expect((await client.post('/api/v1/sms/segments').set('x-csrf-token', csrf).send({ text: 42 })).status).toBe(400);
  });

  it('lets an administrator edit the IVR menu, which the next call hears', async () => {
    const agent = await signIn('agent');
    expect((await agent.client.get('/api/v1/phone/ivr')).status).toBe(403);
    const admin = await signIn('admin');
    const current = await admin.client.get('/api/v1/phone/ivr');
    expect(current.body.entries.map((e: { digit: string }) => e.digit)).toEqual(['1', '2', '3', '4', '0']);
    const entries = [
      { digit: '1', labelRo: 'stare civilă', labelEn: 'civil status', keywordsRo: 'căsătorie,naștere', keywordsEn: 'marriage,birth', departmentCode: 'stare-civila', queueName: 'stare-civila', sortOrder: 1 },
      { digit: '0', labelRo: 'un operator', labelEn: 'an operator', departmentCode: null, queueName: 'operator', sortOrder: 9 },
    ];
    const dup = await admin.client.put('/api/v1/phone/ivr').set('x-csrf-token', admin.csrf).send({ entries: [entries[0], entries[0]] });
    expect(dup.status).toBe(400);
    const saved = await admin.client.put('/api/v1/phone/ivr').set('x-csrf-token', admin.csrf).send({ entries });
    expect(saved.status).toBe(200);
    const call = { callSid: twilioSid('CA'), from: '+40721000200', to: OUR_NUMBER };
    const r = await signedPost(f.target, '/twilio/voice', callParams(f.target, call, { CallStatus: 'ringing' }));
    const said = elements(parseTwiml(r.body), 'Say').map(text);
    expect(said).toContain('Pentru stare civilă, apăsați tasta 1 sau spuneți stare civilă.');
    expect(said.some((s) => /taxe/.test(s))).toBe(false);
    const chosen = await signedPost(f.target, '/twilio/voice/menu?lang=ro&attempt=1', callParams(f.target, call, { SpeechResult: 'o căsătorie' }));
    expect(text(elements(parseTwiml(chosen.body), 'Enqueue')[0]!)).toBe('stare-civila');
  });

  it('accepts an offered call over HTTP and asks Twilio to bridge it to the agent’s phone when chosen', async () => {
    const { agent, client, csrf } = await signIn('agent');
    await Agent.update({ presence: 'offline' }, { where: {} });
    await Agent.update({ presence: 'available' }, { where: { id: agent.id } });
    expect((await client.put('/api/v1/phone/me/number').set('x-csrf-token', csrf).send({ phoneNumber: '0722 000 333' })).body).toEqual({ phoneNumber: '+40722000333' });
    f.api.requests.length = 0;
    const sim = await simulateCall(f.target, { from: '+40721000201', to: OUR_NUMBER, digits: '0' });
    const call = await waitFor(async () => {
      const c = await PhoneCall.findOne({ where: { callSid: sim.callSid } });
      return c?.routingState === 'offered' ? c : null;
    }, 'the offer');
    const mine = await client.get('/api/v1/phone/calls/mine');
    expect(mine.body.calls.map((c: { id: number }) => c.id)).toEqual([call.id]);
    const accepted = await client.post(`/api/v1/phone/calls/${call.id}/accept`).set('x-csrf-token', csrf).send({ device: 'phone' });
    expect(accepted.status).toBe(200);
    expect(accepted.body.call).toMatchObject({ state: 'bridging', agentId: agent.id, device: 'phone' });
    expect(f.api.requests).toHaveLength(1);
    expect(f.api.requests[0]!.form).toEqual({ Url: `${PUBLIC_URL}/twilio/voice/bridge?callId=${call.id}&agentId=${agent.id}`, Method: 'POST' });
    const bridge = await signedPost(f.target, `/twilio/voice/bridge?callId=${call.id}&agentId=${agent.id}`, callParams(f.target, { callSid: sim.callSid, from: '+40721000201', to: OUR_NUMBER }, { CallStatus: 'in-progress' }));
    const dial = elements(parseTwiml(bridge.body), 'Dial')[0]!;
    expect(dial.attribs.callerId).toBe(OUR_NUMBER);
    expect(text(elements(dial, 'Number')[0]!)).toBe('+40722000333');
    const again = await client.post(`/api/v1/phone/calls/${call.id}/accept`).set('x-csrf-token', csrf).send({});
    expect(again.status).toBe(409);
  });

  it('rings the agent’s phone when the softphone does not answer, then puts the caller back in the queue', async () => {
    const { agent, client, csrf } = await signIn('agent');
    await Agent.update({ presence: 'offline' }, { where: {} });
    await Agent.update({ presence: 'available' }, { where: { id: agent.id } });
    await client.put('/api/v1/phone/me/number').set('x-csrf-token', csrf).send({ phoneNumber: '+40722000444' });
    const sim = await simulateCall(f.target, { from: '+40721000203', to: OUR_NUMBER, digits: '0' });
    const call = await waitFor(async () => {
      const c = await PhoneCall.findOne({ where: { callSid: sim.callSid } });
      return c?.routingState === 'offered' ? c : null;
    }, 'the offer');
    expect((await client.post(`/api/v1/phone/calls/${call.id}/accept`).set('x-csrf-token', csrf).send({})).status).toBe(200);
    const leg = callParams(f.target, { callSid: sim.callSid, from: '+40721000203', to: OUR_NUMBER }, { CallStatus: 'in-progress' });
    await signedPost(f.target, `/twilio/voice/bridge?callId=${call.id}&agentId=${agent.id}`, leg);
    const resultPath = `/twilio/voice/bridge-result?callId=${call.id}&agentId=${agent.id}&device=softphone`;
    const fallback = parseTwiml((await signedPost(f.target, resultPath, { ...leg, DialCallStatus: 'no-answer' })).body);
    const dial = elements(fallback, 'Dial')[0]!;
    expect(text(elements(dial, 'Number')[0]!)).toBe('+40722000444');
    expect(dial.attribs.action).toBe(`/twilio/voice/bridge-result?callId=${call.id}&agentId=${agent.id}&device=phone`);
    // Twilio retries the softphone's Dial action: nothing changes.
    await signedPost(f.target, resultPath, { ...leg, DialCallStatus: 'no-answer' });
    expect(await PhoneCall.findByPk(call.id)).toMatchObject({ routingState: 'bridging', agentDevice: 'phone' });
    const requeue = parseTwiml((await signedPost(f.target, dial.attribs.action!, { ...leg, DialCallStatus: 'busy' })).body);
    expect(text(elements(requeue, 'Enqueue')[0]!)).toBe('operator');
    expect(await PhoneCall.findByPk(call.id)).toMatchObject({ routingState: 'queued', agentId: null });
    await Agent.update({ presence: 'offline' }, { where: { id: agent.id } });
  });

  it('turns a call into a written request over HTTP, refusing one without an address for the answer', async () => {
    const { client, csrf } = await signIn('agent');
    const sim = await simulateCall(f.target, { from: '+40721000202', to: OUR_NUMBER });
    const call = await Message.findOne({ where: { channel: 'voice', externalId: sim.callSid }, rejectOnEmpty: true });
    const path = `/api/v1/phone/conversations/${call.conversationId}/written-request`;
    const missing = await client.post(path).set('x-csrf-token', csrf).send({ name: 'Ion Popa', text: 'Solicit repararea trotuarului din fața blocului.' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.field).toBe('email');
    const ok = await client.post(path).set('x-csrf-token', csrf).send({ name: 'Ion Popa', postalAddress: 'Str. Mărășești 12, Timișoara', text: 'Solicit repararea trotuarului din fața blocului.' });
    expect(ok.status).toBe(200);
    expect(ok.body.conversation).toMatchObject({ legalBasis: 'petition' });
    expect(ok.body.conversation.legalDueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('answers the softphone’s TwiML app: <Dial><Queue> for the next caller, <Dial><Number> for a call back, 403 for a stranger', async () => {
    const { agent } = await signIn('agent');
    const base = { AccountSid: ACCOUNT_SID, ApiVersion: '2010-04-01', CallSid: twilioSid('CA'), CallStatus: 'ringing', Direction: 'inbound', From: `client:agent-${agent.id}`, Caller: `client:agent-${agent.id}` };
    const queue = parseTwiml((await signedPost(f.target, '/twilio/voice/client', { ...base, To: '', queue: 'taxe' })).body);
    const dial = elements(queue, 'Dial')[0]!;
    expect(text(elements(dial, 'Queue')[0]!)).toBe('taxe');
    const back = parseTwiml((await signedPost(f.target, '/twilio/voice/client', { ...base, To: '+40721000300' })).body);
    expect(elements(back, 'Dial')[0]!.attribs.callerId).toBe(OUR_NUMBER);
    expect(text(elements(back, 'Number')[0]!)).toBe('+40721000300');
    const stranger = await signedPost(f.target, '/twilio/voice/client', { ...base, From: 'client:agent-999999', To: '+40721000300' });
    expect(stranger.status).toBe(403);
  });

  it('reports the Twilio channel on /healthz', async () => {
    const res = await request(createApp(f.t.ctx)).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body.channels.twilio).toMatchObject({ ok: true, configured: true, sms: 'twilio', softphone: false });
    expect(res.body.channels.twilio.webhooks.accepted).toBeGreaterThan(0);
  });
});
