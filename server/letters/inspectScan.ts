import sharp from 'sharp';
import { sniffType } from '../files/sniff';
import { LETTER_LIMITS } from './limits';
import { pdfInfo } from './pdfRender';

/** Scan types the registry accepts. */
export const SCAN_TYPES = ['application/pdf', 'image/tiff', 'image/jpeg', 'image/png'] as const;

/** Why a file was refused at intake: a stable code and a sentence for the clerk (Romanian, then English). */
export interface ScanRefusal {
  code: 'empty_file' | 'too_large' | 'unsupported_type' | 'corrupt_pdf' | 'corrupt_image' | 'too_many_pixels' | 'too_many_pages';
  reason: string;
}

/** What intake learnt about a scan without decoding its pixels. */
export type ScanInspection =
  | { ok: true; contentType: string; pages: { width: number; height: number }[] }
  | { ok: false; contentType: string; refusal: ScanRefusal };

const mp = (pixels: number) => `${Math.round(pixels / 1e6)} MP`;

/**
 * Checks a file before anything decodes it: type from its bytes, page count, and each page's pixel count read
 * from the header (sharp metadata) or the PDF page size at the render resolution. A 30,000 × 30,000 image is
 * refused here, before a 900-megapixel buffer could be allocated.
 */
export async function inspectScan(data: Buffer): Promise<ScanInspection> {
  const contentType = data.length ? sniffType(data) : 'application/octet-stream';
  const refuse = (code: ScanRefusal['code'], reason: string): ScanInspection => ({ ok: false, contentType, refusal: { code, reason } });
  if (!data.length) return refuse('empty_file', 'Fișierul este gol. / The file is empty: scan the letter again.');
  if (data.length > LETTER_LIMITS.maxBytes) {
    return refuse('too_large', `Fișierul depășește ${LETTER_LIMITS.maxBytes / 1024 / 1024} MB. / The file is larger than ${LETTER_LIMITS.maxBytes / 1024 / 1024} MB: scan at 300 dpi in grey.`);
  }
  if (!(SCAN_TYPES as readonly string[]).includes(contentType)) {
    return refuse('unsupported_type', `Tip de fișier neacceptat (${contentType}). / Unsupported file type ${contentType}: send a PDF, TIFF, JPEG or PNG scan.`);
  }

  if (contentType === 'application/pdf') {
    let info: Awaited<ReturnType<typeof pdfInfo>>;
    try {
      info = await pdfInfo(data, LETTER_LIMITS.maxPages);
    } catch (err) {
      return refuse('corrupt_pdf', `PDF deteriorat, nu poate fi citit. / The PDF is damaged and cannot be read (${(err as Error).message.slice(0, 200)}): scan the letter again.`);
    }
    if (info.total === 0) return refuse('corrupt_pdf', 'PDF-ul nu are pagini. / The PDF has no pages: scan the letter again.');
    if (info.total > LETTER_LIMITS.maxPages) return refuse('too_many_pages', `Peste ${LETTER_LIMITS.maxPages} de pagini. / More than ${LETTER_LIMITS.maxPages} pages: split the file.`);
    // A PDF page is rendered at up to renderDpi; a page whose size is absurd even at 72 dpi is refused.
    for (const [i, p] of info.pages.entries()) {
      const pixels = p.width * p.height;
      if (!(pixels > 0) || pixels > LETTER_LIMITS.maxPagePixels) {
        return refuse('too_many_pixels', `Pagina ${i + 1} are ${Math.round(p.width)} × ${Math.round(p.height)} puncte, peste limita de ${mp(LETTER_LIMITS.maxPagePixels)}. / Page ${i + 1} is ${Math.round(p.width)} × ${Math.round(p.height)} points, over the ${mp(LETTER_LIMITS.maxPagePixels)} limit.`);
      }
    }
    // Images a page embeds are decoded when it is rendered: each one is held to the same limit as an uploaded
    // image, and all of a page's images together to a few pages' worth, read from the PDF objects (nothing decoded).
    for (const [i, p] of info.pages.entries()) {
      const img = p.largestImage;
      if (img && img.width * img.height > LETTER_LIMITS.maxPagePixels) {
        const pixels = img.width * img.height;
        return refuse(
          'too_many_pixels',
          `Pagina ${i + 1} a PDF-ului conține o imagine de ${img.width} × ${img.height} pixeli (${mp(pixels)}), peste limita de ${mp(LETTER_LIMITS.maxPagePixels)}. / Page ${i + 1} of the PDF embeds an image of ${img.width} × ${img.height} pixels (${mp(pixels)}), over the ${mp(LETTER_LIMITS.maxPagePixels)} limit: scan at 300 dpi.`,
        );
      }
      if (p.imagePixels > LETTER_LIMITS.maxPdfPageImagePixels) {
        return refuse(
          'too_many_pixels',
          `Pagina ${i + 1} a PDF-ului conține imagini de ${mp(p.imagePixels)} în total, peste limita de ${mp(LETTER_LIMITS.maxPdfPageImagePixels)}. / Page ${i + 1} of the PDF embeds ${mp(p.imagePixels)} of images in all, over the ${mp(LETTER_LIMITS.maxPdfPageImagePixels)} limit.`,
        );
      }
      if (p.oversizedContent) {
        return refuse('corrupt_pdf', `Pagina ${i + 1} a PDF-ului are un conținut care se decomprimă la peste 32 MB. / Page ${i + 1} of the PDF has content that inflates past 32 MB: scan the letter again.`);
      }
    }
    return { ok: true, contentType, pages: info.pages.map((p) => ({ width: p.width, height: p.height })) };
  }

  let meta: sharp.Metadata;
  try {
    // Header only: metadata() does not decode pixels; limitInputPixels is a second fence for later decoding.
    meta = await sharp(data, { limitInputPixels: false }).metadata();
  } catch (err) {
    return refuse('corrupt_image', `Imagine deteriorată. / The image is damaged and cannot be read (${(err as Error).message.slice(0, 200)}): scan it again.`);
  }
  const pageCount = meta.pages ?? 1;
  if (pageCount > LETTER_LIMITS.maxPages) return refuse('too_many_pages', `Peste ${LETTER_LIMITS.maxPages} de pagini. / More than ${LETTER_LIMITS.maxPages} pages: split the file.`);
  // Every page of a multi-page TIFF has its own header and may have its own size (a feeder's A4 and a receipt):
  // each one is read and held to the limit.
  const pages: { width: number; height: number }[] = [];
  for (let i = 0; i < pageCount; i++) {
    let m = meta;
    if (i > 0) {
      try {
        m = await sharp(data, { limitInputPixels: false, page: i }).metadata();
      } catch (err) {
        return refuse('corrupt_image', `Pagina ${i + 1} a imaginii este deteriorată. / Page ${i + 1} of the image is damaged and cannot be read (${(err as Error).message.slice(0, 200)}): scan it again.`);
      }
    }
    const width = m.width ?? 0;
    const height = m.height ?? 0;
    const pixels = width * height;
    const where = pageCount > 1 ? `Pagina ${i + 1}: i` : 'I';
    const whereEn = pageCount > 1 ? `Page ${i + 1}: the` : 'The';
    if (!width || !height) return refuse('corrupt_image', `${where}maginea nu are dimensiuni. / ${whereEn} image has no dimensions: scan it again.`);
    if (pixels > LETTER_LIMITS.maxPagePixels) {
      return refuse(
        'too_many_pixels',
        `${where}maginea are ${width} × ${height} pixeli (${mp(pixels)}), peste limita de ${mp(LETTER_LIMITS.maxPagePixels)} pe pagină. / ${whereEn} image is ${width} × ${height} pixels (${mp(pixels)}), over the ${mp(LETTER_LIMITS.maxPagePixels)} per-page limit: scan at 300 dpi.`,
      );
    }
    pages.push({ width, height });
  }
  return { ok: true, contentType, pages };
}
