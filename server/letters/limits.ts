/** Intake limits of the letter channel, one place so the API, the folder watcher and the tests agree. */
export const LETTER_LIMITS = {
  /** Largest file accepted (a 30-page colour scan at 300 dpi is well under this). */
  maxBytes: 50 * 1024 * 1024,
  /** Pixels per page, checked from the header before any decoding: A4 at 600 dpi is 35 megapixels. */
  maxPagePixels: 60_000_000,
  /** Pages per letter. */
  maxPages: 100,
  /** PDF pages are rendered for OCR at this resolution (lowered when a page would exceed maxPagePixels). */
  renderDpi: 300,
  /** Mean OCR confidence (0–100) under which a clerk checks the letter. */
  minConfidence: 70,
} as const;
