import twilio from 'twilio';
import type { Language } from '../../channels/contract';
import type { IvrMenuEntry } from '../../db/models';
import { ENGLISH_DIGIT, REPEAT_DIGIT } from './ivrMenu';
import { PROMPTS, VOICE_LANGUAGE } from './prompts';

type VoiceResponse = InstanceType<typeof twilio.twiml.VoiceResponse>;
const { VoiceResponse } = twilio.twiml;

/** Hold music from Twilio's public bucket (the same Twilio plays by default). */
export const HOLD_MUSIC = 'http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3';

function say(target: Pick<VoiceResponse, 'say'>, language: Language, text: string): void {
  if (text) target.say({ language: VOICE_LANGUAGE[language], voice: language === 'ro' ? 'Polly.Carmen' : 'Polly.Joanna' }, text);
}

/**
 * The department menu: a Gather for a key or a spoken choice, in the call's language. The Romanian menu offers
 * English on 9. With no input Twilio follows the Redirect, which asks again (attempt 2) and then hands the call
 * to the operator.
 */
export function menuTwiml(menu: IvrMenuEntry[], language: Language, attempt: number, opts: { welcome: boolean; notUnderstood?: boolean }): string {
  const vr = new VoiceResponse();
  const p = PROMPTS[language];
  const hints = menu
    .flatMap((e) => (language === 'en' ? e.keywordsEn : e.keywordsRo).split(','))
    .map((k) => k.trim())
    .filter(Boolean);
  const gather = vr.gather({
    input: ['dtmf', 'speech'],
    numDigits: 1,
    timeout: 6,
    speechTimeout: 'auto',
    language: VOICE_LANGUAGE[language],
    hints: [...hints, ...(language === 'ro' ? ['English'] : [])].join(', '),
    action: `/twilio/voice/menu?lang=${language}&attempt=${attempt}`,
    method: 'POST',
    actionOnEmptyResult: false,
  });
  if (opts.notUnderstood) say(gather, language, p.notUnderstood);
  if (opts.welcome) say(gather, language, p.welcome);
  for (const entry of menu) say(gather, language, p.menuItem(language === 'en' ? entry.labelEn : entry.labelRo, entry.digit));
  say(gather, language, p.repeat);
  if (language === 'ro') say(gather, 'en', PROMPTS.ro.englishChoice);
  vr.redirect({ method: 'POST' }, `/twilio/voice/menu?lang=${language}&attempt=${attempt}&timeout=1`);
  return vr.toString();
}

/** In office hours: tell the caller where they go and put them in the department's Twilio queue. */
export function enqueueTwiml(language: Language, queueName: string, label: string | null): string {
  const vr = new VoiceResponse();
  const p = PROMPTS[language];
  say(vr, language, label ? p.connecting(label) : p.connectingOperator);
  vr.enqueue({ waitUrl: `/twilio/voice/wait?lang=${language}`, waitUrlMethod: 'POST' }, queueName);
  return vr.toString();
}

/** Out of office hours: a message in Romanian and English, then voicemail with a transcription callback. */
export function voicemailTwiml(): string {
  const vr = new VoiceResponse();
  say(vr, 'ro', PROMPTS.ro.closed);
  say(vr, 'en', PROMPTS.en.closed);
  vr.record({
    action: '/twilio/voice/voicemail-done',
    method: 'POST',
    maxLength: 180,
    timeout: 5,
    finishOnKey: '#',
    playBeep: true,
    transcribe: true,
    transcribeCallback: '/twilio/voice/transcription',
    recordingStatusCallback: '/twilio/voice/recording',
    recordingStatusCallbackMethod: 'POST',
    recordingStatusCallbackEvent: ['completed'],
  });
  say(vr, 'ro', PROMPTS.ro.noVoicemail);
  vr.hangup();
  return vr.toString();
}

/** After the caller finished the voicemail. */
export function voicemailDoneTwiml(recorded: boolean): string {
  const vr = new VoiceResponse();
  say(vr, 'ro', recorded ? PROMPTS.ro.voicemailThanks : PROMPTS.ro.noVoicemail);
  vr.hangup();
  return vr.toString();
}

/** What a waiting caller hears on each turn of the wait URL: position, expected wait, then music. */
export function waitTwiml(language: Language, position: number | null, expectedMinutes: number | null): string {
  const vr = new VoiceResponse();
  const p = PROMPTS[language];
  if (position !== null) say(vr, language, p.position(position));
  if (expectedMinutes !== null) say(vr, language, p.expectedWait(expectedMinutes));
  if (position === null && expectedMinutes === null) say(vr, language, p.stillWaiting);
  vr.play({}, HOLD_MUSIC);
  return vr.toString();
}

/** The caller's leg after it left the queue for an agent: ring the agent's softphone or phone. */
export function bridgeTwiml(language: Language, target: { client: string } | { number: string; callerId: string }, fallbackUrl: string): string {
  const vr = new VoiceResponse();
  say(vr, language, PROMPTS[language].bridging);
  const dial = vr.dial({ timeout: 20, action: fallbackUrl, method: 'POST', answerOnBridge: true, ...('number' in target ? { callerId: target.callerId } : {}) });
  if ('client' in target) dial.client({}, target.client);
  else dial.number({}, target.number);
  return vr.toString();
}

/** The agent's softphone asked for a caller from a queue (TwiML app): `<Dial><Queue>`. */
export function dialQueueTwiml(queueName: string, url?: string): string {
  const vr = new VoiceResponse();
  vr.dial({}).queue(url ? { url, method: 'POST' } : {}, queueName);
  return vr.toString();
}

/** The agent's softphone dialled a number (a call back to a citizen), shown with the city hall's number. */
export function dialNumberTwiml(number: string, callerId: string): string {
  const vr = new VoiceResponse();
  vr.dial({ callerId }).number({}, number);
  return vr.toString();
}

/** Back into the queue after a bridge attempt failed. */
export function requeueTwiml(language: Language, queueName: string): string {
  const vr = new VoiceResponse();
  say(vr, language, PROMPTS[language].agentUnavailable);
  vr.enqueue({ waitUrl: `/twilio/voice/wait?lang=${language}`, waitUrlMethod: 'POST' }, queueName);
  return vr.toString();
}

/** An empty answer (status callbacks, SMS we do not reply to inline). */
export function emptyTwiml(): string {
  return new VoiceResponse().toString();
}

/** `<Response><Hangup/></Response>`. */
export function hangupTwiml(): string {
  const vr = new VoiceResponse();
  vr.hangup();
  return vr.toString();
}

export { ENGLISH_DIGIT, REPEAT_DIGIT };
