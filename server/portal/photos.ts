import sharp from 'sharp';
import { isImageType, sniffType } from '../files/sniff';
import { gpsFromExif } from './exifGps';

/** At most this many photos per submission or follow-up. */
export const MAX_PHOTOS = 5;
/** Each photo's size cap in bytes. */
export const MAX_PHOTO_BYTES = 8 * 1024 * 1024;

/** A photo ready to store: re-encoded without metadata, with the position its EXIF carried, if any. */
export interface CleanPhoto {
  filename: string;
  contentType: string;
  data: Buffer;
  gps: { lat: number; lng: number } | null;
}

export type PhotoProblem = { kind: 'type' | 'broken'; filename: string };

/**
 * Checks that an upload is an image by its bytes (never its name or claimed type), reads the EXIF GPS
 * position, and re-encodes it: rotate() applies the EXIF orientation, and a re-encode without
 * withMetadata() drops EXIF, XMP and ICC data — camera serial numbers, the owner's name, the position.
 */
export async function cleanPhoto(filename: string, data: Buffer): Promise<CleanPhoto | PhotoProblem> {
  const sniffed = sniffType(data);
  if (!isImageType(sniffed)) return { kind: 'type', filename };
  try {
    const image = sharp(data, { failOn: 'error', limitInputPixels: 100_000_000 });
    const meta = await image.metadata();
    const gps = gpsFromExif(meta.exif);
    // PNG and GIF keep their lossless format (screenshots, plans); everything else becomes JPEG.
    const lossless = sniffed === 'image/png' || sniffed === 'image/gif';
    const out = lossless ? await image.rotate().png().toBuffer() : await image.rotate().jpeg({ quality: 85, mozjpeg: true }).toBuffer();
    const base = filename.replace(/\.[^.]*$/, '').replace(/[^\p{L}\p{N}._-]+/gu, '_').slice(0, 100) || 'foto';
    return { filename: `${base}.${lossless ? 'png' : 'jpg'}`, contentType: lossless ? 'image/png' : 'image/jpeg', data: out, gps };
  } catch {
    return { kind: 'broken', filename };
  }
}
