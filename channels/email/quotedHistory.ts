/** Lines that start the quoted earlier messages under a reply, in the mail programs Romanian citizens use. */
const QUOTE_HEADERS: RegExp[] = [
  /^On .{4,200}(wrote|a scris):\s*$/m,
  /^(În|In) data de .{4,200}a scris:\s*$/m,
  /^(În|In) .{4,200}, .{1,200}a scris:\s*$/m,
  /^-{2,}\s*(Original Message|Mesaj original|Mesajul original|Forwarded message|Mesaj redirecționat|Mesaj redirectionat)\s*-{2,}\s*$/im,
  /^_{10,}\s*\r?\n(From|De la):/m,
  /^(From|De la|De):\s.+\r?\n(Sent|Trimis|Date|Data):\s.+\r?\n/m,
];

/**
 * Where the quoted history of a reply starts in its text (a character offset), or null when there is none.
 * The console folds the text from there on; the full text stays stored.
 */
export function quotedHistoryStart(text: string): number | null {
  let best: number | null = null;
  for (const re of QUOTE_HEADERS) {
    const m = re.exec(text);
    if (m && m.index > 0 && (best === null || m.index < best)) best = m.index;
  }
  // A run of "> " lines that continues to the end (blank lines and a short signature allowed).
  const lines = text.split('\n');
  const starts: number[] = [];
  for (let i = 0, at = 0; i < lines.length; at += lines[i]!.length + 1, i++) starts.push(at);
  let quoteAt: number | null = null;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (/^\s*>/.test(line)) quoteAt = starts[i]!;
    else if (line.trim() !== '' && quoteAt !== null) break;
  }
  if (quoteAt !== null && quoteAt > 0 && (best === null || quoteAt < best)) best = quoteAt;
  return best;
}
