/** The console's one door to the HTTP API: same-origin cookies, the CSRF token on every write, errors with codes. */
let csrfToken = '';

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** The CSRF token, for requests that cannot go through api() (multipart uploads with progress). */
export function getCsrfToken(): string {
  return csrfToken;
}

/** An error answered by the server, with its stable code and a message that says what to do. */
export class ApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(path: string, opts: { method?: string; body?: unknown } = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, credentials: 'same-origin', body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  } catch {
    throw new ApiError(0, 'network', navigator.onLine ? 'The server did not answer; try again.' : 'You are offline; the action will work once the connection is back.');
  }
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!res.ok) throw new ApiError(res.status, data.error?.code ?? 'http_error', data.error?.message ?? `HTTP ${res.status}`);
  return data as T;
}
