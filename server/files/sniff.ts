/** File types recognised from their first bytes. The sender's claimed type is never trusted. */
const SIGNATURES: { type: string; test: (b: Buffer) => boolean }[] = [
  { type: 'application/pdf', test: (b) => b.subarray(0, 5).toString('latin1') === '%PDF-' },
  { type: 'image/png', test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { type: 'image/jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'image/gif', test: (b) => /^GIF8[79]a/.test(b.subarray(0, 6).toString('latin1')) },
  { type: 'image/webp', test: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP' },
  { type: 'audio/wav', test: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WAVE' },
  { type: 'image/tiff', test: (b) => ['II*\0', 'MM\0*'].includes(b.subarray(0, 4).toString('latin1')) },
  { type: 'image/heic', test: (b) => b.subarray(4, 8).toString('latin1') === 'ftyp' && /^(heic|heix|mif1|msf1)/.test(b.subarray(8, 12).toString('latin1')) },
  { type: 'video/mp4', test: (b) => b.subarray(4, 8).toString('latin1') === 'ftyp' },
  { type: 'audio/mpeg', test: (b) => b.subarray(0, 3).toString('latin1') === 'ID3' || (b[0] === 0xff && (b[1]! & 0xe0) === 0xe0) },
  { type: 'application/zip', test: (b) => b.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])) },
  { type: 'application/x-msdownload', test: (b) => b.subarray(0, 2).toString('latin1') === 'MZ' },
  { type: 'application/x-executable', test: (b) => b.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])) },
  { type: 'message/rfc822', test: (b) => /^(Received|Return-Path|From|Message-ID|MIME-Version|Delivered-To|Date|Subject):/i.test(b.subarray(0, 64).toString('latin1')) },
];

/** The content type read from the bytes; text that decodes as UTF-8 is text/plain, anything else octet-stream. */
export function sniffType(data: Buffer): string {
  for (const sig of SIGNATURES) if (data.length >= 4 && sig.test(data)) return sig.type;
  if (looksLikeText(data.subarray(0, 4096))) return 'text/plain';
  return 'application/octet-stream';
}

/** True for the image types Ghișeu accepts as photos and scans. */
export function isImageType(type: string): boolean {
  return ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/tiff', 'image/heic'].includes(type);
}

function looksLikeText(sample: Buffer): boolean {
  if (sample.length === 0) return true;
  if (sample.includes(0)) return false;
  const decoded = new TextDecoder('utf-8', { fatal: false }).decode(sample);
  const bad = (decoded.match(/\uFFFD/g) ?? []).length;
  return bad <= 2;
}
