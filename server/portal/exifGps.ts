/**
 * Reads the GPS position from a raw EXIF block (as sharp's metadata().exif gives it: "Exif\0\0" + TIFF).
 * Only the four GPS tags are read; anything malformed yields null rather than an error, because a photo
 * without a usable position is still a good photo.
 */
export function gpsFromExif(exif: Buffer | undefined): { lat: number; lng: number } | null {
  if (!exif || exif.length < 14) return null;
  const tiff = exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? exif.subarray(6) : exif;
  try {
    const order = tiff.subarray(0, 2).toString('latin1');
    if (order !== 'II' && order !== 'MM') return null;
    const le = order === 'II';
    const u16 = (o: number) => (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
    const u32 = (o: number) => (le ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o));
    const entries = (ifd: number) => {
      const n = u16(ifd);
      const out = new Map<number, { type: number; count: number; valueOffset: number }>();
      for (let i = 0; i < n && i < 500; i++) {
        const e = ifd + 2 + i * 12;
        out.set(u16(e), { type: u16(e + 2), count: u32(e + 4), valueOffset: e + 8 });
      }
      return out;
    };
    const ifd0 = entries(u32(4));
    const gpsPointer = ifd0.get(0x8825);
    if (!gpsPointer) return null;
    const gps = entries(u32(gpsPointer.valueOffset));
    const ref = (tag: number) => {
      const e = gps.get(tag);
      return e ? tiff.subarray(e.valueOffset, e.valueOffset + 1).toString('latin1') : '';
    };
    const dms = (tag: number) => {
      const e = gps.get(tag);
      if (!e || e.type !== 5 || e.count !== 3) return null; // three RATIONALs
      const at = u32(e.valueOffset);
      const parts = [0, 1, 2].map((i) => {
        const den = u32(at + i * 8 + 4);
        return den ? u32(at + i * 8) / den : NaN;
      });
      const value = parts[0]! + parts[1]! / 60 + parts[2]! / 3600;
      return Number.isFinite(value) ? value : null;
    };
    const lat = dms(2);
    const lng = dms(4);
    if (lat === null || lng === null) return null;
    const signedLat = ref(1) === 'S' ? -lat : lat;
    const signedLng = ref(3) === 'W' ? -lng : lng;
    if (Math.abs(signedLat) > 90 || Math.abs(signedLng) > 180 || (signedLat === 0 && signedLng === 0)) return null;
    return { lat: Math.round(signedLat * 1e6) / 1e6, lng: Math.round(signedLng * 1e6) / 1e6 };
  } catch {
    return null;
  }
}
