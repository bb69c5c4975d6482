import { Agent, Conversation, Message, PhoneCall, TwilioWebhookReceipt } from '../../db/models';
import { bucharestDate } from '../../server/calendar/dates';
import { legalDeadline } from '../../server/calendar/legalDeadline';
import { acceptCall, declineCall, OFFER_TIMEOUT_MS, expireOffer, offerWaitingCall } from '../../server/twilio/callRouting';
import { convertCallToWrittenRequest } from '../../server/twilio/convertCall';
import { phoneClock } from '../../server/twilio/officeHours';
import { callParams, signedPost, simulateCall, simulateVoicemail, twilioSid } from '../../scripts/twilio-simulator';
import { DIALECTS } from '../helpers/services';
import {
  ACCOUNT_SID, IN_HOURS, OUR_NUMBER, OUT_OF_HOURS, PUBLIC_URL, availableAgent, elements, eventTypes, parseTwiml, startTwilioFixture, text, verbs, waitFor, type TwilioFixture,
} from './twilioHelpers';

const CALLER = '+40721000001';

describe.each(DIALECTS)('Twilio voice on %s', (dialect) => {
  let f: TwilioFixture;
  beforeAll(async () => {
    f = await startTwilioFixture(dialect);
  });
  afterAll(async () => {
    await f.close();
  });
  beforeEach(() => {
    phoneClock.now = () => IN_HOURS;
    f.api.requests.length = 0;
  });

  const newCall = (from = CALLER) => ({ callSid: twilioSid('CA'), from, to: OUR_NUMBER });

  describe('signatures', () => {
    it('refuses an unsigned webhook with 403 and writes nothing', async () => {
      const call = newCall();
      const r = await signedPost(f.target, '/twilio/voice', callParams(f.target, call, { CallStatus: 'ringing' }), { signature: null });
      expect(r.status).toBe(403);
      expect(await Message.count({ where: { externalId: call.callSid } })).toBe(0);
    });

    it('refuses a forged signature and a signature over changed parameters', async () => {
      const call = newCall();
      const params = callParams(f.target, call, { CallStatus: 'ringing' });
      const forged = await signedPost(f.target, '/twilio/voice', params, { signature: 'bm90IGEgc2lnbmF0dXJl' });
      expect(forged.status).toBe(403);
      // Signed for another caller, then the From was changed on the way.
      const { getExpectedTwilioSignature } = await import('twilio');
      const signature = getExpectedTwilioSignature(f.target.authToken, `${PUBLIC_URL}/twilio/voice`, { ...params, From: '+40700000000' });
      const tampered = await signedPost(f.target, '/twilio/voice', params, { signature });
      expect(tampered.status).toBe(403);
      expect(await Message.count({ where: { externalId: call.callSid } })).toBe(0);
    });

    it('checks the signature against PUBLIC_URL, not the Host it was received on', async () => {
      const call = newCall();
      const params = callParams(f.target, call, { CallStatus: 'ringing' });
      const { getExpectedTwilioSignature } = await import('twilio');
      const signedForHost = getExpectedTwilioSignature(f.target.authToken, `${f.target.baseUrl}/twilio/voice`, params);
      expect((await signedPost(f.target, '/twilio/voice', params, { signature: signedForHost })).status).toBe(403);
      expect((await signedPost(f.target, '/twilio/voice', params)).status).toBe(200);
    });

    it('deduplicates a replayed first webhook: one message, one call row', async () => {
      const call = newCall('+40721000099');
      const params = callParams(f.target, call, { CallStatus: 'ringing' });
      for (let i = 0; i < 3; i++) expect((await signedPost(f.target, '/twilio/voice', params)).status).toBe(200);
      expect(await Message.count({ where: { channel: 'voice', externalId: call.callSid } })).toBe(1);
      expect(await PhoneCall.count({ where: { callSid: call.callSid } })).toBe(1);
      const choice = callParams(f.target, call, { Digits: '1' });
      for (let i = 0; i < 2; i++) expect((await signedPost(f.target, '/twilio/voice/menu?lang=ro&attempt=1', choice)).status).toBe(200);
      expect(await PhoneCall.count({ where: { callSid: call.callSid } })).toBe(1);
      const message = await Message.findOne({ where: { externalId: call.callSid }, rejectOnEmpty: true });
      expect((await eventTypes(message.conversationId)).filter((t) => t === 'call.queued')).toHaveLength(1);
    });
  });

  describe('IVR', () => {
    it('answers a call in hours with the Romanian menu from admin data, English on 9', async () => {
      const call = newCall();
      const r = await signedPost(f.target, '/twilio/voice', callParams(f.target, call, { CallStatus: 'ringing' }));
      expect(r.status).toBe(200);
      const root = parseTwiml(r.body);
      expect(verbs(root)).toEqual(['Gather', 'Redirect']);
      const gather = elements(root, 'Gather')[0]!;
      expect(gather.attribs).toMatchObject({ input: 'dtmf speech', language: 'ro-RO', numDigits: '1', action: '/twilio/voice/menu?lang=ro&attempt=1', method: 'POST' });
      const said = elements(gather, 'Say').map(text);
      expect(said[0]).toMatch(/Primărie/);
      expect(said).toContain('Pentru taxe și impozite locale, apăsați tasta 1 sau spuneți taxe și impozite locale.');
      expect(said.some((s) => /tasta 0/.test(s) && /operator/.test(s))).toBe(true);
      expect(said).toContain('For English, press 9 or say English.');
      expect(elements(gather, 'Say').find((s) => text(s).startsWith('For English'))!.attribs.language).toBe('en-US');

      // The call is a message of kind call in the caller's conversation; not a petition.
      const message = await Message.findOne({ where: { channel: 'voice', externalId: call.callSid }, rejectOnEmpty: true });
      expect(message.metadata).toMatchObject({ kind: 'call', status: 'ringing' });
      const conversation = await Conversation.findByPk(message.conversationId, { rejectOnEmpty: true });
      expect(conversation.legalBasis).toBe('none');
      expect(conversation.channel).toBe('voice');

      const en = await signedPost(f.target, '/twilio/voice/menu?lang=ro&attempt=1', callParams(f.target, call, { Digits: '9' }));
      const enGather = elements(parseTwiml(en.body), 'Gather')[0]!;
      expect(enGather.attribs).toMatchObject({ language: 'en-US', action: '/twilio/voice/menu?lang=en&attempt=1' });
      expect(elements(enGather, 'Say').map(text)).toContain('For local taxes, press 1 or say local taxes.');
    });

    it('puts a caller who pressed 1 into the taxes queue with a wait URL', async () => {
      const call = newCall();
      await signedPost(f.target, '/twilio/voice', callParams(f.target, call, { CallStatus: 'ringing' }));
      const r = await signedPost(f.target, '/twilio/voice/menu?lang=ro&attempt=1', callParams(f.target, call, { Digits: '1' }));
      const root = parseTwiml(r.body);
      expect(verbs(root)).toEqual(['Say', 'Enqueue']);
      const enqueue = elements(root, 'Enqueue')[0]!;
      expect(text(enqueue)).toBe('taxe');
      expect(enqueue.attribs).toMatchObject({ waitUrl: '/twilio/voice/wait?lang=ro', waitUrlMethod: 'POST' });
      const row = await PhoneCall.findOne({ where: { callSid: call.callSid }, rejectOnEmpty: true });
      expect(row).toMatchObject({ routingState: 'queued', queueName: 'taxe', departmentCode: 'taxe', language: 'ro' });
      expect(await eventTypes(row.conversationId)).toContain('call.queued');
    });

    it('understands a spoken choice (diacritics folded) in Romanian and in English', async () => {
      const ro = newCall();
      await signedPost(f.target, '/twilio/voice', callParams(f.target, ro, { CallStatus: 'ringing' }));
      const r1 = await signedPost(f.target, '/twilio/voice/menu?lang=ro&attempt=1', callParams(f.target, ro, { SpeechResult: 'Aș vrea o autorizație de construire', Confidence: '0.9' }));
      expect(text(elements(parseTwiml(r1.body), 'Enqueue')[0]!)).toBe('urbanism');

      const en = newCall();
      await signedPost(f.target, '/twilio/voice', callParams(f.target, en, { CallStatus: 'ringing' }));
      const r2 = await signedPost(f.target, '/twilio/voice/menu?lang=en&attempt=1', callParams(f.target, en, { SpeechResult: 'I want to report a pothole.' }));
      const root = parseTwiml(r2.body);
      expect(text(elements(root, 'Enqueue')[0]!)).toBe('sesizari');
      expect(elements(root, 'Say')[0]!.attribs.language).toBe('en-US');
      expect(await PhoneCall.findOne({ where: { callSid: en.callSid } })).toMatchObject({ language: 'en' });
    });

    it('asks again after an unknown key, repeats on *, and hands the caller to the operator after two misses', async () => {
      const call = newCall();
      await signedPost(f.target, '/twilio/voice', callParams(f.target, call, { CallStatus: 'ringing' }));
      const again = parseTwiml((await signedPost(f.target, '/twilio/voice/menu?lang=ro&attempt=1', callParams(f.target, call, { Digits: '7' }))).body);
      const gather = elements(again, 'Gather')[0]!;
      expect(gather.attribs.action).toBe('/twilio/voice/menu?lang=ro&attempt=2');
      expect(text(elements(gather, 'Say')[0]!)).toBe('Nu am înțeles alegerea dumneavoastră.');

      const repeat = parseTwiml((await signedPost(f.target, '/twilio/voice/menu?lang=ro&attempt=2', callParams(f.target, call, { Digits: '*' }))).body);
      expect(elements(repeat, 'Gather')[0]!.attribs.action).toBe('/twilio/voice/menu?lang=ro&attempt=2');

      // No input at all: Twilio follows the Redirect after the Gather.
      const redirect = elements(again, 'Redirect')[0]!;
      expect(text(redirect)).toBe('/twilio/voice/menu?lang=ro&attempt=2&timeout=1');
      const operator = parseTwiml((await signedPost(f.target, text(redirect), callParams(f.target, call, {}))).body);
      expect(text(elements(operator, 'Say')[0]!)).toBe('Vă facem legătura cu un operator.');
      expect(text(elements(operator, 'Enqueue')[0]!)).toBe('operator');
      expect(await PhoneCall.findOne({ where: { callSid: call.callSid } })).toMatchObject({ routingState: 'queued', queueName: 'operator', departmentCode: null });
    });

    it('tells a waiting caller their position and expected wait', async () => {
      const call = newCall();
      await signedPost(f.target, '/twilio/voice', callParams(f.target, call, { CallStatus: 'ringing' }));
      await signedPost(f.target, '/twilio/voice/menu?lang=ro&attempt=1', callParams(f.target, call, { Digits: '2' }));
      const queueSid = twilioSid('QU');
      const r = await signedPost(f.target, '/twilio/voice/wait?lang=ro', callParams(f.target, call, { QueueSid: queueSid, QueuePosition: '3', QueueTime: '20', AvgQueueTime: '60', CurrentQueueSize: '3' }));
      const root = parseTwiml(r.body);
      const said = elements(root, 'Say').map(text);
      expect(said[0]).toBe('Sunteți al 3-lea la rând.');
      expect(said[1]).toBe('Timpul estimat de așteptare este de aproximativ 3 minute.');
      expect(verbs(root)).toContain('Play');
      expect(await PhoneCall.findOne({ where: { callSid: call.callSid } })).toMatchObject({ queueSid });
    });
  });

  describe('out of hours', () => {
    it('plays the closed message and records a voicemail; the transcription arrives later and becomes the text', async () => {
      phoneClock.now = () => OUT_OF_HOURS;
      const call = newCall('+40721000002');
      const r = await signedPost(f.target, '/twilio/voice', callParams(f.target, call, { CallStatus: 'ringing' }));
      const root = parseTwiml(r.body);
      expect(verbs(root)).toEqual(['Say', 'Say', 'Record', 'Say', 'Hangup']);
      expect(elements(root, 'Say')[0]!.attribs.language).toBe('ro-RO');
      expect(text(elements(root, 'Say')[0]!)).toMatch(/Programul cu publicul s-a încheiat/);
      expect(elements(root, 'Say')[1]!.attribs.language).toBe('en-US');
      expect(elements(root, 'Record')[0]!.attribs).toMatchObject({
        transcribe: 'true',
        transcribeCallback: '/twilio/voice/transcription',
        recordingStatusCallback: '/twilio/voice/recording',
        action: '/twilio/voice/voicemail-done',
      });
      const row = await PhoneCall.findOne({ where: { callSid: call.callSid }, rejectOnEmpty: true });
      expect(row.routingState).toBe('voicemail');

      const recordingSid = twilioSid('RE');
      const recording = {
        AccountSid: ACCOUNT_SID, CallSid: call.callSid, RecordingSid: recordingSid, RecordingStatus: 'completed', RecordingDuration: '14',
        RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/${recordingSid}`,
      };
      const done = await signedPost(f.target, '/twilio/voice/voicemail-done', callParams(f.target, call, { RecordingUrl: recording.RecordingUrl, RecordingDuration: '14' }));
      expect(text(elements(parseTwiml(done.body), 'Say')[0]!)).toMatch(/Mesajul a fost înregistrat/);
      // Twilio retries: the recording callback twice.
      expect((await signedPost(f.target, '/twilio/voice/recording', recording)).status).toBe(200);
      expect((await signedPost(f.target, '/twilio/voice/recording', recording)).status).toBe(200);
      let message = await Message.findByPk(row.messageId, { rejectOnEmpty: true });
      expect(message.metadata).toMatchObject({ voicemail: true, recording: { sid: recordingSid, durationSeconds: 14, status: 'completed' } });
      expect(message.text).toBe('');

      const transcription = {
        AccountSid: ACCOUNT_SID, CallSid: call.callSid, RecordingSid: recordingSid, TranscriptionSid: twilioSid('TR'),
        TranscriptionStatus: 'completed', TranscriptionText: 'Bună ziua, sunați-mă vă rog despre taxa pe clădiri.',
      };
      expect((await signedPost(f.target, '/twilio/voice/transcription', transcription)).status).toBe(200);
      expect((await signedPost(f.target, '/twilio/voice/transcription', transcription)).status).toBe(200);
      message = await Message.findByPk(row.messageId, { rejectOnEmpty: true });
      expect(message.text).toBe('Bună ziua, sunați-mă vă rog despre taxa pe clădiri.');
      const types = await eventTypes(row.conversationId);
      expect(types.filter((t) => t === 'call.voicemail')).toHaveLength(1);
      expect(types.filter((t) => t === 'call.recording')).toHaveLength(1);
      expect(types.filter((t) => t === 'call.transcribed')).toHaveLength(1);
    });

    it('runs the simulator’s voicemail sequence end to end', async () => {
      phoneClock.now = () => OUT_OF_HOURS;
      const sim = await simulateVoicemail(f.target, { from: '+40721000003', to: OUR_NUMBER, transcript: 'Am o problemă cu iluminatul.' });
      expect(sim.steps.every((s) => s.status >= 200 && s.status < 300)).toBe(true);
      const message = await Message.findOne({ where: { externalId: sim.callSid }, rejectOnEmpty: true });
      expect(message.text).toBe('Am o problemă cu iluminatul.');
      expect(message.metadata).toMatchObject({ status: 'completed', durationSeconds: 32, recording: { sid: sim.recordingSid } });
    });
  });

  describe('status callbacks', () => {
    it('applies each status once and never moves the call backwards', async () => {
      const call = newCall();
      await signedPost(f.target, '/twilio/voice', callParams(f.target, call, { CallStatus: 'ringing' }));
      const completed = callParams(f.target, call, { CallStatus: 'completed', CallDuration: '42' });
      expect((await signedPost(f.target, '/twilio/voice/status', completed)).status).toBe(200);
      expect((await signedPost(f.target, '/twilio/voice/status', completed)).status).toBe(200);
      await signedPost(f.target, '/twilio/voice/status', callParams(f.target, call, { CallStatus: 'in-progress' }));
      const message = await Message.findOne({ where: { externalId: call.callSid }, rejectOnEmpty: true });
      expect(message.metadata).toMatchObject({ status: 'completed', durationSeconds: 42 });
      const types = await eventTypes(message.conversationId);
      expect(types.filter((t) => t === 'call.completed')).toHaveLength(1);
      expect(types).toContain('call.in_progress');
      expect(await TwilioWebhookReceipt.count({ where: { kind: 'call.status', key: `${call.callSid}:completed` } })).toBe(1);
      expect(await PhoneCall.findOne({ where: { callSid: call.callSid } })).toMatchObject({ routingState: 'ended' });
    });
  });

  describe('offer, accept, bridge', () => {
    it('offers a queued call to an available agent, dequeues it on accept with Twilio’s exact payload, and dials the softphone', async () => {
      const busy = await availableAgent({ departmentCode: 'taxe', presence: 'away' });
      const agent = await availableAgent({ departmentCode: 'taxe' });
      const changed: number[] = [];
      const off = f.t.ctx.events.on('conversation.changed', (p) => void changed.push(p.conversationId));

      const sim = await simulateCall(f.target, { from: '+40721000010', to: OUR_NUMBER, digits: '1' });
      expect(sim.steps.map((s) => s.status)).toEqual([200, 200, 200]);
      const call = await waitFor(async () => {
        const c = await PhoneCall.findOne({ where: { callSid: sim.callSid } });
        return c?.routingState === 'offered' ? c : null;
      }, 'the offer');
      expect(call.offeredAgentId).toBe(agent.id);
      expect(call.offeredAgentId).not.toBe(busy.id);
      expect(call.queueSid).toMatch(/^QU/);

      await acceptCall(f.t.ctx, call.id, agent.id, 'softphone');
      expect(f.api.requests).toEqual([
        {
          method: 'POST',
          path: `/2010-04-01/Accounts/${ACCOUNT_SID}/Queues/${call.queueSid}/Members/${sim.callSid}.json`,
          form: { Url: `${PUBLIC_URL}/twilio/voice/bridge?callId=${call.id}&agentId=${agent.id}`, Method: 'POST' },
          user: ACCOUNT_SID,
        },
      ]);

      // Twilio fetches the bridge URL for the caller's leg.
      const bridgePath = `/twilio/voice/bridge?callId=${call.id}&agentId=${agent.id}`;
      const bridge = parseTwiml((await signedPost(f.target, bridgePath, callParams(f.target, { callSid: sim.callSid, from: '+40721000010', to: OUR_NUMBER }, { CallStatus: 'in-progress', QueueResult: 'bridged' }))).body);
      const dial = elements(bridge, 'Dial')[0]!;
      expect(dial.attribs).toMatchObject({ action: `/twilio/voice/bridge-result?callId=${call.id}&agentId=${agent.id}&device=softphone`, answerOnBridge: 'true' });
      expect(text(elements(dial, 'Client')[0]!)).toBe(`agent-${agent.id}`);

      const result = await signedPost(f.target, `/twilio/voice/bridge-result?callId=${call.id}&agentId=${agent.id}&device=softphone`, callParams(f.target, { callSid: sim.callSid, from: '+40721000010', to: OUR_NUMBER }, { DialCallStatus: 'completed', DialCallDuration: '95', DialCallSid: twilioSid('CA') }));
      expect(verbs(parseTwiml(result.body))).toEqual(['Hangup']);
      const fresh = await PhoneCall.findByPk(call.id, { rejectOnEmpty: true });
      expect(fresh).toMatchObject({ routingState: 'bridged', agentId: agent.id, agentDevice: 'softphone' });
      const conversation = await Conversation.findByPk(fresh.conversationId, { rejectOnEmpty: true });
      expect(conversation.assigneeId).toBe(agent.id);
      const message = await Message.findByPk(fresh.messageId, { rejectOnEmpty: true });
      expect(message.metadata).toMatchObject({ answeredBy: { agentId: agent.id, device: 'softphone' }, talkSeconds: 95 });
      const types = await eventTypes(fresh.conversationId);
      expect(types).toEqual(expect.arrayContaining(['call.queued', 'call.offered', 'call.accepted', 'conversation.assigned', 'call.dequeued', 'call.answered']));
      await f.t.ctx.events.drain();
      expect(changed).toContain(fresh.conversationId);
      off();
      await agent.update({ presence: 'offline' });
    });

    it('gives a declined or expired offer to the next agent, and refuses an accept by someone else', async () => {
      const first = await availableAgent({ departmentCode: 'urbanism' });
      const second = await availableAgent({ departmentCode: 'urbanism' });
      const sim = await simulateCall(f.target, { from: '+40721000011', to: OUR_NUMBER, digits: '2' });
      const offered = await waitFor(async () => {
        const c = await PhoneCall.findOne({ where: { callSid: sim.callSid } });
        return c?.routingState === 'offered' ? c : null;
      }, 'the first offer');
      const firstAgent = offered.offeredAgentId!;
      const other = firstAgent === first.id ? second.id : first.id;
      await expect(acceptCall(f.t.ctx, offered.id, other, 'softphone')).rejects.toMatchObject({ code: 'offer_gone' });
      await declineCall(f.t.ctx, offered.id, firstAgent);
      const next = await PhoneCall.findByPk(offered.id, { rejectOnEmpty: true });
      expect(next).toMatchObject({ routingState: 'offered', offeredAgentId: other });

      // Nobody answers the second offer either: it expires and, with nobody left, the call waits in the queue.
      await expireOffer(f.t.ctx, offered.id, new Date(Date.now() + OFFER_TIMEOUT_MS + 1000));
      expect(await PhoneCall.findByPk(offered.id)).toMatchObject({ routingState: 'queued', offeredAgentId: null });
      expect(f.api.requests).toHaveLength(0);
      const types = await eventTypes(offered.conversationId);
      expect(types).toEqual(expect.arrayContaining(['call.declined', 'call.offer_expired']));
      await first.update({ presence: 'offline' });
      await second.update({ presence: 'offline' });
    });

    it('puts the call back in the queue when Twilio refuses the dequeue (the caller hung up)', async () => {
      const agent = await availableAgent({ departmentCode: 'registratura' });
      const sim = await simulateCall(f.target, { from: '+40721000012', to: OUR_NUMBER, digits: '4' });
      const call = await waitFor(async () => {
        const c = await PhoneCall.findOne({ where: { callSid: sim.callSid } });
        return c?.routingState === 'offered' ? c : null;
      }, 'the offer');
      f.api.failNext(/\/Members\//, 400, 20404, 'Call is not in the queue');
      await expect(acceptCall(f.t.ctx, call.id, agent.id, 'softphone')).rejects.toMatchObject({ code: 'twilio_bridge_failed' });
      expect(await PhoneCall.findByPk(call.id)).toMatchObject({ routingState: 'queued', agentId: null });
      expect(await eventTypes(call.conversationId)).toContain('call.bridge_failed');
      await agent.update({ presence: 'offline' });
    });
  });

  describe('offers under concurrency', () => {
    it('never gives one agent two calls, and never offers one call to two agents', async () => {
      await Agent.update({ presence: 'offline' }, { where: {} });
      const agent = await availableAgent({ departmentCode: 'taxe' });
      const calls = await Promise.all(Array.from({ length: 4 }, (_, i) => simulateCall(f.target, { from: `+4072100030${i}`, to: OUR_NUMBER, digits: '1' })));
      const rows = await waitFor(async () => {
        const r = await PhoneCall.findAll({ where: { callSid: calls.map((c) => c.callSid) } });
        return r.length === 4 && r.every((c) => c.routingState === 'queued' || c.routingState === 'offered') ? r : null;
      }, 'the four calls in the queue');
      // Offers race from every webhook and wait-URL turn; let them all run, then try once more from each call.
      await Promise.all(rows.map((c) => offerWaitingCall(f.t.ctx, c.id)));
      await f.t.ctx.events.drain();
      const fresh = await PhoneCall.findAll({ where: { callSid: calls.map((c) => c.callSid) } });
      expect(fresh.filter((c) => c.routingState === 'offered').map((c) => c.offeredAgentId)).toEqual([agent.id]);
      expect(fresh.filter((c) => c.routingState === 'queued')).toHaveLength(3);
      await agent.update({ presence: 'offline' });
    });
  });

  describe('a call turned into a written request', () => {
    it('captures the caller’s identification and registers a petition with the 30-day legal deadline', async () => {
      const agent = await availableAgent({ presence: 'offline' });
      const sim = await simulateCall(f.target, { from: '+40721000020', to: OUR_NUMBER, digits: '1' });
      const message = await Message.findOne({ where: { externalId: sim.callSid }, rejectOnEmpty: true });
      await expect(
        convertCallToWrittenRequest(f.t.ctx, message.conversationId, agent.id, { name: 'Maria Ionescu', text: 'Solicit' } as never),
      ).rejects.toBeDefined();
      const conversation = await convertCallToWrittenRequest(f.t.ctx, message.conversationId, agent.id, {
        name: 'Maria Ionescu',
        email: 'maria.ionescu@exemplu.ro',
        text: 'Solicit eșalonarea la plată a impozitului pe clădiri pentru anul 2026.',
      });
      const today = bucharestDate(new Date());
      expect(conversation.legalBasis).toBe('petition');
      expect(conversation.legalDueDate).toBe(legalDeadline(today, 30));
      const types = await eventTypes(message.conversationId);
      expect(types).toEqual(expect.arrayContaining(['call.converted_to_request', 'conversation.legal_basis_changed']));
      await expect(
        convertCallToWrittenRequest(f.t.ctx, message.conversationId, agent.id, { name: 'Maria Ionescu', email: 'maria.ionescu@exemplu.ro', text: 'Încă o dată aceeași cerere.' }),
      ).rejects.toMatchObject({ code: 'already_petition' });
    });
  });
});
