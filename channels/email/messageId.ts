import { createHash } from 'node:crypto';

/** The longest id the messages table keeps; longer Message-IDs are replaced by a hash of themselves. */
const MAX_ID = 255;

/**
 * A Message-ID in the one form Ghișeu stores and compares: `<local@domain>`, whitespace removed, the domain
 * in lower case (domains are case-insensitive; local parts are not, so they are kept). Returns null for
 * anything that is not an id.
 */
export function normaliseMessageId(value: string | undefined | null): string | null {
  if (!value) return null;
  const bracketed = /<([^<>]+)>/.exec(value);
  const bare = (bracketed ? bracketed[1]! : value).replace(/\s+/g, '');
  if (!bare || bare.length < 3) return null;
  const at = bare.lastIndexOf('@');
  const id = at > 0 ? `<${bare.slice(0, at)}@${bare.slice(at + 1).toLowerCase()}>` : `<${bare}>`;
  if (id.length <= MAX_ID) return id;
  return `<${createHash('sha256').update(id).digest('hex')}@long-id.invalid>`;
}

/** Every Message-ID in a References / In-Reply-To header (or several), normalised, in order, without repeats. */
export function parseIdList(...values: (string | string[] | undefined | null)[]): string[] {
  const out: string[] = [];
  for (const value of values.flat()) {
    if (!value) continue;
    const tokens = value.match(/<[^<>]+>/g) ?? value.split(/[\s,]+/);
    for (const token of tokens) {
      const id = normaliseMessageId(token);
      if (id && !out.includes(id)) out.push(id);
    }
  }
  return out;
}

/** Trace headers that differ between two deliveries of the same message (one per mailbox or per hop). */
const TRACE_HEADERS = /^(received|return-path|delivered-to|x-original-to|x-delivered-to|envelope-to|x-envelope-to|x-rcpt-to|x-received|authentication-results|arc-[a-z-]+|x-spam-[a-z-]+|status|x-status|x-keywords|x-uid|content-length|lines)$/i;

/**
 * A stable id for a message that came without a Message-ID: the sha256 of its content with the per-delivery
 * trace headers left out, so the same message delivered to two of our mailboxes gets the same id.
 */
export function synthesiseMessageId(raw: Buffer): string {
  const text = raw.toString('latin1');
  const split = /\r?\n\r?\n/.exec(text);
  const headerEnd = split ? split.index : text.length;
  const headerBlock = text.slice(0, headerEnd).replace(/\r?\n[ \t]+/g, ' ');
  const kept = headerBlock
    .split(/\r?\n/)
    .filter((line) => {
      const name = line.slice(0, line.indexOf(':')).trim();
      return name && !TRACE_HEADERS.test(name);
    })
    .join('\n');
  const hash = createHash('sha256').update(kept).update('\n\n').update(raw.subarray(split ? split.index + split[0].length : raw.length)).digest('hex');
  return `<${hash}@synthetic.ghiseu.invalid>`;
}
