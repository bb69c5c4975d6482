/** Intake limits of the letter channel, one place so the API, the folder watcher and the tests agree. */
export const LETTER_LIMITS = {
  /** Largest file accepted (a 30-page colour scan at 300 dpi is well under this). */
  maxBytes: 50 * 1024 * 1024,
  /** Pixels per page, checked from the header before any decoding: A4 at 600 dpi is 35 megapixels. */
  maxPagePixels: 60_000_000,
  /** All the images one PDF page embeds, added up (each one is also held to maxPagePixels). */
  maxPdfPageImagePixels: 120_000_000,
  /** Pages per letter. */
  maxPages: 100,
  /** PDF pages are rendered for OCR at this resolution (lowered when a page would exceed maxPagePixels). */
  renderDpi: 300,
  /** Mean OCR confidence (0–100) under which a clerk checks the letter. */
  minConfidence: 70,
  /**
   * A page read with less confidence than this, and with some text on it, is read again turned 90°, 180° and
   * 270° (at half size) in case it was scanned sideways or upside down; upright text reads at 85–95, turned text
   * at 25–35.
   */
  orientationCheckBelow: 60,
  /** A turned reading is taken only when it beats the page as scanned by this many confidence points. */
  orientationMargin: 15,
} as const;
