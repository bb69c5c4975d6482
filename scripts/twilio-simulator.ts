/**
 * A Twilio simulator for demos and tests. It speaks Twilio's wire format: form-encoded POSTs signed with
 * X-Twilio-Signature (HMAC-SHA1 of the public URL + sorted parameters, keyed by the auth token), sent in the
 * order Twilio sends them for an inbound call, an SMS and a voicemail. It also runs a fake of Twilio's REST
 * API that records every request, so outbound SMS and call bridging can be shown without a Twilio account.
 *
 *   npx tsx scripts/twilio-simulator.ts call --digits 1 [--from +40721000001]
 *   npx tsx scripts/twilio-simulator.ts voicemail [--transcript "Bună ziua…"]
 *   npx tsx scripts/twilio-simulator.ts sms --body "Bună ziua, am o întrebare" [--from +40721000001]
 *   npx tsx scripts/twilio-simulator.ts fake-api [--port 4010]   (then start Ghișeu with TWILIO_API_URL=http://127.0.0.1:4010)
 *
 * Reads TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_PHONE_NUMBER and PUBLIC_URL (where Twilio would call,
 * used for the signature) and GHISEU_URL (where to send, default PUBLIC_URL).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';

/** A Twilio-style id: prefix + 32 hex digits. */
export function twilioSid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

export interface SimulatorTarget {
  /** Where requests are sent (the running Ghișeu). */
  baseUrl: string;
  /** The URL Twilio is configured with (PUBLIC_URL); the signature covers this, not baseUrl. */
  publicUrl: string;
  authToken: string;
  accountSid: string;
}

export interface SimulatorResponse {
  status: number;
  body: string;
}

/** The X-Twilio-Signature Twilio would send for a POST of `params` to `url`. */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  return twilio.getExpectedTwilioSignature(authToken, url, params);
}

/** POSTs a signed form to `path` (which may carry a query string), as Twilio does. */
export async function signedPost(target: SimulatorTarget, path: string, params: Record<string, string>, opts: { signature?: string | null } = {}): Promise<SimulatorResponse> {
  const full = path.startsWith('http') ? new URL(path) : new URL(path, target.publicUrl);
  const relative = `${full.pathname}${full.search}`;
  const signature = opts.signature === undefined ? twilioSignature(target.authToken, `${target.publicUrl}${relative}`, params) : opts.signature;
  const res = await fetch(`${target.baseUrl}${relative}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'TwilioProxy/1.1',
      ...(signature !== null ? { 'x-twilio-signature': signature } : {}),
    },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, body: await res.text() };
}

/** The value of an attribute of the first matching TwiML element (enough for following Twilio's flow). */
export function twimlAttribute(xml: string, element: string, attribute: string): string | undefined {
  const m = new RegExp(`<${element}\\b[^>]*\\b${attribute}="([^"]*)"`).exec(xml);
  return m ? m[1]!.replace(/&amp;/g, '&') : undefined;
}

/** The fields Twilio sends on every request of one call. */
export function callParams(target: SimulatorTarget, call: { callSid: string; from: string; to: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AccountSid: target.accountSid,
    ApiVersion: '2010-04-01',
    CallSid: call.callSid,
    Called: call.to,
    Caller: call.from,
    Direction: 'inbound',
    From: call.from,
    FromCountry: 'RO',
    To: call.to,
    ToCountry: 'RO',
    ...extra,
  };
}

export interface SimulatedCall {
  callSid: string;
  steps: { path: string; status: number; body: string }[];
}

/**
 * An inbound call in hours: the voice webhook (ringing), the Gather action with the pressed key, one turn of
 * the wait URL with the queue position, and, if `hangUpAfterSeconds` is given, the completed status callback.
 */
export async function simulateCall(target: SimulatorTarget, opts: { from: string; to: string; digits?: string; speech?: string; hangUpAfterSeconds?: number }): Promise<SimulatedCall> {
  const call = { callSid: twilioSid('CA'), from: opts.from, to: opts.to };
  const steps: SimulatedCall['steps'] = [];
  const post = async (path: string, params: Record<string, string>) => {
    const r = await signedPost(target, path, params);
    steps.push({ path, ...r });
    return r;
  };
  const first = await post('/twilio/voice', callParams(target, call, { CallStatus: 'ringing' }));
  const action = twimlAttribute(first.body, 'Gather', 'action');
  if (action && (opts.digits || opts.speech)) {
    const answer = await post(action, callParams(target, call, { CallStatus: 'in-progress', ...(opts.digits ? { Digits: opts.digits } : { SpeechResult: opts.speech!, Confidence: '0.91' }) }));
    const waitUrl = twimlAttribute(answer.body, 'Enqueue', 'waitUrl');
    if (waitUrl) {
      await post(waitUrl, callParams(target, call, { CallStatus: 'in-progress', QueueSid: twilioSid('QU'), QueuePosition: '1', QueueTime: '0', AvgQueueTime: '0', CurrentQueueSize: '1' }));
    }
  }
  if (opts.hangUpAfterSeconds !== undefined) {
    await post('/twilio/voice/status', callParams(target, call, { CallStatus: 'completed', CallDuration: String(opts.hangUpAfterSeconds), Timestamp: new Date().toUTCString(), SequenceNumber: '0' }));
  }
  return { callSid: call.callSid, steps };
}

/**
 * A call out of hours: the voice webhook answers with <Record>; then, in Twilio's order, the Record action,
 * the recording status callback, the completed call status and, later, the transcription callback.
 */
export async function simulateVoicemail(target: SimulatorTarget, opts: { from: string; to: string; seconds?: number; transcript?: string }): Promise<SimulatedCall & { recordingSid: string; transcriptionSid: string }> {
  const call = { callSid: twilioSid('CA'), from: opts.from, to: opts.to };
  const recordingSid = twilioSid('RE');
  const transcriptionSid = twilioSid('TR');
  const seconds = String(opts.seconds ?? 12);
  const recordingUrl = `https://api.twilio.com/2010-04-01/Accounts/${target.accountSid}/Recordings/${recordingSid}`;
  const steps: SimulatedCall['steps'] = [];
  const post = async (path: string, params: Record<string, string>) => {
    const r = await signedPost(target, path, params);
    steps.push({ path, ...r });
    return r;
  };
  const first = await post('/twilio/voice', callParams(target, call, { CallStatus: 'ringing' }));
  const action = twimlAttribute(first.body, 'Record', 'action') ?? '/twilio/voice/voicemail-done';
  const recordingCallback = twimlAttribute(first.body, 'Record', 'recordingStatusCallback') ?? '/twilio/voice/recording';
  const transcribeCallback = twimlAttribute(first.body, 'Record', 'transcribeCallback') ?? '/twilio/voice/transcription';
  await post(action, callParams(target, call, { CallStatus: 'in-progress', RecordingUrl: recordingUrl, RecordingSid: recordingSid, RecordingDuration: seconds, Digits: 'hangup' }));
  await post(recordingCallback, {
    AccountSid: target.accountSid, CallSid: call.callSid, RecordingSid: recordingSid, RecordingUrl: recordingUrl,
    RecordingStatus: 'completed', RecordingDuration: seconds, RecordingChannels: '1', RecordingSource: 'RecordVerb', RecordingStartTime: new Date().toUTCString(),
  });
  await post('/twilio/voice/status', callParams(target, call, { CallStatus: 'completed', CallDuration: String(Number(seconds) + 20) }));
  if (opts.transcript !== undefined) {
    await post(transcribeCallback, {
      AccountSid: target.accountSid, CallSid: call.callSid, RecordingSid: recordingSid, RecordingUrl: recordingUrl,
      TranscriptionSid: transcriptionSid, TranscriptionText: opts.transcript, TranscriptionStatus: 'completed', TranscriptionType: 'fast',
      TranscriptionUrl: `https://api.twilio.com/2010-04-01/Accounts/${target.accountSid}/Transcriptions/${transcriptionSid}`, url: action,
    });
  }
  return { callSid: call.callSid, steps, recordingSid, transcriptionSid };
}

/** The form Twilio posts for an inbound SMS. */
export function smsParams(target: SimulatorTarget, sms: { messageSid?: string; from: string; to: string; body: string }): Record<string, string> {
  const sid = sms.messageSid ?? twilioSid('SM');
  return {
    ToCountry: 'RO', SmsMessageSid: sid, NumMedia: '0', FromCountry: 'RO', SmsSid: sid, SmsStatus: 'received',
    Body: sms.body, To: sms.to, NumSegments: '1', MessageSid: sid, AccountSid: target.accountSid, From: sms.from, ApiVersion: '2010-04-01',
  };
}

/** An inbound SMS webhook. */
export async function simulateSms(target: SimulatorTarget, sms: { messageSid?: string; from: string; to: string; body: string }): Promise<SimulatorResponse & { messageSid: string }> {
  const params = smsParams(target, sms);
  return { ...(await signedPost(target, '/twilio/sms', params)), messageSid: params.MessageSid! };
}

/** One request the fake REST API received. */
export interface RecordedRequest {
  method: string;
  path: string;
  form: Record<string, string>;
  /** The account SID from the Basic auth header. */
  user: string | null;
}

/** A local stand-in for api.twilio.com that records requests and answers like Twilio. */
export interface FakeTwilioApi {
  url: string;
  requests: RecordedRequest[];
  /** Makes the next matching requests fail with Twilio's error body. */
  failNext(pathPattern: RegExp, status: number, code: number, message: string): void;
  close(): Promise<void>;
}

/** Starts the fake REST API on 127.0.0.1 (a free port unless given). */
export async function startFakeTwilioApi(port = 0): Promise<FakeTwilioApi> {
  const requests: RecordedRequest[] = [];
  const failures: { pattern: RegExp; status: number; code: number; message: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const auth = req.headers.authorization?.startsWith('Basic ') ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString('utf8') : null;
      const path = req.url ?? '/';
      requests.push({ method: req.method ?? 'GET', path, form, user: auth ? auth.split(':')[0]! : null });
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const failure = failures.findIndex((f) => f.pattern.test(path));
      if (failure >= 0) {
        const f = failures.splice(failure, 1)[0]!;
        return send(f.status, { code: f.code, message: f.message, more_info: `https://www.twilio.com/docs/errors/${f.code}`, status: f.status });
      }
      const account = /\/Accounts\/(AC[0-9a-f]{32})/.exec(path)?.[1] ?? 'AC';
      if (/\/Messages\.json$/.test(path)) {
        return send(201, { sid: twilioSid('SM'), account_sid: account, to: form.To, from: form.From, body: form.Body, status: 'queued', num_segments: '1', direction: 'outbound-api', api_version: '2010-04-01' });
      }
      const member = /\/Queues\/(QU[0-9a-f]{32})\/Members\/(CA[0-9a-f]{32})\.json$/.exec(path);
      if (member) return send(200, { call_sid: member[2], queue_sid: member[1], position: 1, wait_time: 12, date_enqueued: new Date().toUTCString() });
      const callUpdate = /\/Calls\/(CA[0-9a-f]{32})\.json$/.exec(path);
      if (callUpdate) return send(200, { sid: callUpdate[1], account_sid: account, status: 'in-progress' });
      if (/\/Accounts\/AC[0-9a-f]{32}\.json$/.test(path)) return send(200, { sid: account, status: 'active' });
      send(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    failNext(pattern, status, code, message) {
      failures.push({ pattern, status, code, message });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const command = process.argv[2];
  if (command === 'fake-api') {
    const api = await startFakeTwilioApi(Number(arg('port', '4010')));
    console.log(`fake Twilio REST API on ${api.url}; start Ghișeu with TWILIO_API_URL=${api.url}`);
    setInterval(() => {
      while (api.requests.length) console.log(JSON.stringify(api.requests.shift()));
    }, 500);
    return;
  }
  const env = process.env;
  if (!env.TWILIO_AUTH_TOKEN || !env.TWILIO_ACCOUNT_SID) throw new Error('Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to the values Ghișeu runs with.');
  const publicUrl = (env.PUBLIC_URL ?? `http://localhost:${env.PORT ?? 3000}`).replace(/\/+$/, '');
  const target: SimulatorTarget = { baseUrl: (env.GHISEU_URL ?? publicUrl).replace(/\/+$/, ''), publicUrl, authToken: env.TWILIO_AUTH_TOKEN, accountSid: env.TWILIO_ACCOUNT_SID };
  const from = arg('from', '+40721000001')!;
  const to = env.TWILIO_PHONE_NUMBER ?? '+40256000000';
  let result: unknown;
  if (command === 'call') result = await simulateCall(target, { from, to, digits: arg('digits', '1'), speech: arg('speech'), hangUpAfterSeconds: arg('hangup') ? Number(arg('hangup')) : undefined });
  else if (command === 'voicemail') result = await simulateVoicemail(target, { from, to, transcript: arg('transcript', 'Bună ziua, vă rog să mă sunați înapoi în legătură cu taxa pe clădiri.') });
  else if (command === 'sms') result = await simulateSms(target, { from, to, body: arg('body', 'Bună ziua, când se plătește impozitul pe clădiri?')! });
  else throw new Error('usage: twilio-simulator.ts call|voicemail|sms|fake-api [options]');
  console.log(JSON.stringify(result, null, 2));
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
