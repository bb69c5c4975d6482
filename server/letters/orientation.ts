import sharp from 'sharp';
import { LETTER_LIMITS } from './limits';
import type { OcrPageResult, OcrPool } from './ocrPool';
import type { GreyRaster } from './pdfRender';

/** A page read upright: the OCR result, and how far (clockwise degrees) the page had to be turned for it. */
export interface UprightReading extends OcrPageResult {
  rotation: 0 | 90 | 180 | 270;
  /** The upright page that was read. */
  image: GreyRaster;
}

/**
 * A grey raster as a binary PGM: tesseract's Leptonica reads it without decompressing anything, where a PNG
 * costs an encode here and a decode in the OCR thread.
 */
export function pgm(image: GreyRaster): Buffer {
  return Buffer.concat([Buffer.from(`P5\n${image.width} ${image.height}\n255\n`), image.pixels]);
}

/** Turns a grey raster clockwise by a multiple of 90 degrees (exact, no resampling). */
export async function rotateRaster(image: GreyRaster, degrees: number, scale = 1): Promise<GreyRaster> {
  let s = sharp(image.pixels, { raw: { width: image.width, height: image.height, channels: 1 } }).rotate(degrees);
  if (scale !== 1) {
    const turned = degrees % 180 !== 0;
    s = s.resize({ width: Math.max(1, Math.round((turned ? image.height : image.width) * scale)), kernel: 'cubic' });
  }
  const { data, info } = await s.toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`turned page has ${info.channels} channels, expected grey`);
  return { pixels: data, width: info.width, height: info.height };
}

const letters = (text: string) => text.replace(/[^\p{L}]/gu, '').length;

/**
 * Reads a page and makes sure it was read the right way up. Tesseract's own orientation detection needs the
 * legacy engine and `osd.traineddata`, which the offline language packages do not carry; instead a page read
 * with low confidence that still shows some marks is read again, at half size, turned 180°, 90° and 270°
 * (upright text reads at 85–95, text on its side or upside down at 25–35), stopping at the first turn that reads
 * clearly. The best turn, if it beats the page as scanned by a clear margin, is read again at full size and kept.
 * An upright page costs nothing more than its one reading.
 */
export async function readUpright(pool: OcrPool, image: GreyRaster): Promise<UprightReading> {
  const first = await pool.recognize(pgm(image));
  if (first.confidence >= LETTER_LIMITS.orientationCheckBelow || letters(first.text) < 10) return { ...first, rotation: 0, image };

  // Probes read a half-size page when it is large (300 dpi: text stays 20 px high); a small one as it is.
  const scale = Math.max(image.width, image.height) >= 3000 ? 0.5 : 1;
  let best: { rotation: UprightReading['rotation']; result: OcrPageResult; image: GreyRaster } = { rotation: 0, result: first, image };
  let spent = first.ms;
  for (const rotation of [180, 90, 270] as const) {
    const turned = await rotateRaster(image, rotation, scale);
    const probe = await pool.recognize(pgm(turned));
    spent += probe.ms;
    if (probe.confidence > best.result.confidence) best = { rotation, result: probe, image: turned };
    if (probe.confidence >= LETTER_LIMITS.orientationCheckBelow + LETTER_LIMITS.orientationMargin) break;
  }
  if (best.rotation === 0 || best.result.confidence < first.confidence + LETTER_LIMITS.orientationMargin) return { ...first, ms: spent, rotation: 0, image };
  // A probe read at full size is the reading; a half-size one is read again at full size.
  if (scale === 1) return { ...best.result, ms: spent, rotation: best.rotation, image: best.image };
  const upright = await rotateRaster(image, best.rotation);
  const read = await pool.recognize(pgm(upright));
  if (read.confidence <= first.confidence) return { ...first, ms: spent + read.ms, rotation: 0, image };
  return { ...read, ms: spent + read.ms, rotation: best.rotation, image: upright };
}
