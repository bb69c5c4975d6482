/**
 * Whether a browser request's Origin is ours: PUBLIC_URL's origin, or the origin of the host the request was
 * sent to (the same deployment reached as localhost or 127.0.0.1, or by an internal name). A cross-site
 * page sends its own origin, which matches neither. No Origin header means no browser cross-site context.
 */
export function isOwnOrigin(origin: string | undefined, host: string | undefined, protocol: string, publicUrl: string): boolean {
  if (origin === undefined) return true;
  if (origin === new URL(publicUrl).origin) return true;
  return Boolean(host) && origin === `${protocol}://${host}`;
}
