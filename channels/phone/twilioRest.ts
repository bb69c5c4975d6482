/**
 * Twilio's REST API (2010-04-01), form-encoded, through an injectable HTTP client: production uses fetch
 * against https://api.twilio.com; tests and the simulator point the base URL (TWILIO_API_URL) at a local
 * fake or pass their own client, and assert the exact payloads.
 */

/** One request to Twilio's REST API. `form` is sent as application/x-www-form-urlencoded. */
export interface TwilioHttpRequest {
  method: 'GET' | 'POST';
  /** Path under the base URL, e.g. `/2010-04-01/Accounts/AC…/Messages.json`. */
  path: string;
  form?: Record<string, string>;
}

export interface TwilioHttpResponse {
  status: number;
  body: Record<string, unknown>;
}

/** Sends one request; throws only on network failure (HTTP errors come back as a status). */
export type TwilioHttpClient = (request: TwilioHttpRequest) => Promise<TwilioHttpResponse>;

export interface TwilioCredentials {
  accountSid: string;
  authToken: string;
  /** Base URL without a trailing slash. */
  baseUrl: string;
}

/** The production client: fetch with HTTP Basic auth (account SID + auth token) and a 15 s timeout. */
export function fetchTwilioHttpClient(creds: TwilioCredentials): TwilioHttpClient {
  const auth = `Basic ${Buffer.from(`${creds.accountSid}:${creds.authToken}`).toString('base64')}`;
  return async (request) => {
    const res = await fetch(`${creds.baseUrl.replace(/\/+$/, '')}${request.path}`, {
      method: request.method,
      headers: {
        authorization: auth,
        accept: 'application/json',
        ...(request.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: request.form ? new URLSearchParams(request.form).toString() : undefined,
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = { message: text.slice(0, 500) };
    }
    return { status: res.status, body };
  };
}

/** A REST failure with Twilio's error code (e.g. 21610 unsubscribed recipient, 21211 invalid number). */
export class TwilioApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'TwilioApiError';
  }

  /** 4xx other than 429 cannot be fixed by retrying the same request. */
  get permanent(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 429;
  }
}

/** The REST calls Ghișeu makes, each building Twilio's documented form parameters exactly. */
export class TwilioRest {
  constructor(
    private readonly http: TwilioHttpClient,
    private readonly accountSid: string,
  ) {}

  private async call(method: 'GET' | 'POST', resource: string, form?: Record<string, string>): Promise<Record<string, unknown>> {
    const res = await this.http({ method, path: `/2010-04-01/Accounts/${this.accountSid}${resource}`, form });
    if (res.status >= 200 && res.status < 300) return res.body;
    const code = typeof res.body.code === 'number' ? res.body.code : undefined;
    const message = typeof res.body.message === 'string' ? res.body.message : `HTTP ${res.status}`;
    throw new TwilioApiError(res.status, code, `Twilio answered ${res.status}${code ? ` (error ${code})` : ''}: ${message}`);
  }

  /** POST /Messages.json: sends an SMS; Twilio answers with its sid and status (usually `queued`). */
  async sendSms(p: { to: string; from: string; body: string; statusCallback: string }): Promise<{ sid: string; status: string }> {
    const body = await this.call('POST', '/Messages.json', { To: p.to, From: p.from, Body: p.body, StatusCallback: p.statusCallback });
    return { sid: String(body.sid), status: String(body.status ?? 'queued') };
  }

  /** POST /Queues/{QueueSid}/Members/{CallSid}.json: takes one waiting caller out of a queue to the TwiML at `url`. */
  async dequeueMember(p: { queueSid: string; callSid: string; url: string }): Promise<Record<string, unknown>> {
    return this.call('POST', `/Queues/${p.queueSid}/Members/${p.callSid}.json`, { Url: p.url, Method: 'POST' });
  }

  /** POST /Calls/{CallSid}.json: redirects a live call to the TwiML at `url` (leaves a queue if in one). */
  async redirectCall(p: { callSid: string; url: string }): Promise<Record<string, unknown>> {
    return this.call('POST', `/Calls/${p.callSid}.json`, { Url: p.url, Method: 'POST' });
  }

  /** GET /Accounts/{sid}.json: a cheap authenticated call for /healthz. */
  async account(): Promise<{ status: string }> {
    const body = await this.call('GET', '.json');
    return { status: String(body.status ?? 'unknown') };
  }
}
