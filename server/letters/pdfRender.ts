import { Worker } from 'node:worker_threads';

/**
 * PDF work (page count and sizes, the images a page embeds, rendering a page to grey pixels, the text layer) in
 * a worker thread with MuPDF's WASM build. MuPDF is an ES module with top-level await, so it runs in its own
 * thread, keeping its memory and CPU off the event loop. One thread per process serves every PDF: the WASM
 * module loads once, not once per letter or page (that load was most of the channel's overhead over bare OCR).
 * A request that runs too long, or a WASM trap, ends the thread; the next request starts a fresh one, so a
 * hostile file cannot leave it stuck for the others. The thread stops after idling.
 */

/** A PDF's pages as MuPDF reads them, sizes in points (1/72 inch). */
export interface PdfPageInfo {
  width: number;
  height: number;
  /** The largest image the page draws (image XObjects, nested forms, patterns, annotations, inline images), in pixels. */
  largestImage: { width: number; height: number } | null;
  /** Every image's pixels added up (what rendering the page may decode). */
  imagePixels: number;
  /** A content stream that inflates past the limit (a compression bomb in the page description itself). */
  oversizedContent: boolean;
}

export interface PdfInfo {
  pages: PdfPageInfo[];
}

/** Largest decoded content stream read when looking for inline images. */
const MAX_CONTENT_BYTES = 32 * 1024 * 1024;

const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
const zlib = require('node:zlib');
const loading = import(pathToFileURL(workerData.mupdfPath).href);
const docs = new Map();
const MAX_CONTENT = workerData.maxContentBytes;

/** A MuPDF buffer's bytes, copied out of the WASM memory (a view into it moves when the memory grows). */
function bytesOf(buf) {
  const copy = buf.asUint8Array().slice();
  buf.destroy();
  return Buffer.from(copy.buffer, copy.byteOffset, copy.byteLength);
}

/** Width and height a JPEG 2000 codestream declares (its SIZ marker), which MuPDF decodes when it loads the image. */
function jpxSize(bytes) {
  for (let i = 0; i + 20 < bytes.length && i < 1 << 20; i++) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0x51) {
      const v = new DataView(bytes.buffer, bytes.byteOffset + i + 4);
      return [v.getUint32(2) - v.getUint32(10), v.getUint32(6) - v.getUint32(14)];
    }
  }
  return null;
}

/** The images of one page, read from its objects without decoding any of them. */
function pageImages(mupdf, page) {
  const found = { largest: null, total: 0, oversized: false };
  const seen = new Set();
  const note = (w, h) => {
    if (!(w > 0 && h > 0)) return;
    found.total += w * h;
    if (!found.largest || w * h > found.largest.width * found.largest.height) found.largest = { width: w, height: h };
  };
  const once = (obj) => {
    if (!obj || obj.isNull()) return false;
    if (obj.isIndirect()) {
      const n = obj.asIndirect();
      if (seen.has(n)) return false;
      seen.add(n);
    }
    return true;
  };
  const num = (obj, ...keys) => {
    for (const k of keys) {
      const v = obj.get(k);
      if (v && v.isNumber()) return v.asNumber();
    }
    return 0;
  };
  const image = (img) => {
    let w = num(img, 'Width', 'W');
    let h = num(img, 'Height', 'H');
    const filter = img.get('Filter');
    const isJpx = filter && ((filter.isName() && filter.asName() === 'JPXDecode') || (filter.isArray() && filter.length && filter.get(filter.length - 1).isName() && filter.get(filter.length - 1).asName() === 'JPXDecode'));
    if (isJpx) {
      const size = jpxSize(bytesOf(img.readRawStream()));
      if (size) { w = Math.max(w, size[0]); h = Math.max(h, size[1]); }
    }
    note(w, h);
    for (const key of ['SMask', 'Mask']) {
      const m = img.get(key);
      if (m && m.isStream() && once(m)) image(m);
    }
  };
  const content = (stream) => {
    if (!stream || !stream.isStream()) return;
    let bytes;
    const filter = stream.get('Filter');
    const flate = filter && filter.isName() && filter.asName() === 'FlateDecode' && stream.get('DecodeParms').isNull();
    if (flate) {
      try {
        bytes = zlib.inflateSync(bytesOf(stream.readRawStream()), { maxOutputLength: MAX_CONTENT, finishFlush: zlib.constants.Z_SYNC_FLUSH });
      } catch (err) {
        if (err && err.code === 'ERR_BUFFER_TOO_LARGE') { found.oversized = true; return; }
        bytes = null;
      }
    }
    if (!bytes) bytes = bytesOf(stream.readStream());
    if (bytes.length > MAX_CONTENT) { found.oversized = true; return; }
    const text = bytes.toString('latin1');
    for (const m of text.matchAll(/(?:^|[\\s\\]>)}])BI\\s([\\s\\S]{0,4000}?)\\sID\\s/g)) {
      const w = /\\/(?:W|Width)\\s+(\\d+)/.exec(m[1]);
      const h = /\\/(?:H|Height)\\s+(\\d+)/.exec(m[1]);
      if (w && h) note(Number(w[1]), Number(h[1]));
    }
  };
  const contents = (obj) => {
    if (!obj || obj.isNull()) return;
    if (obj.isArray()) for (let i = 0; i < obj.length; i++) content(obj.get(i));
    else content(obj);
  };
  const resources = (res, depth) => {
    if (!res || !res.isDictionary() || depth > 12) return;
    const xobjects = res.get('XObject');
    if (xobjects.isDictionary()) xobjects.forEach((x) => {
      if (!x.isStream() || !once(x)) return;
      const sub = x.get('Subtype');
      if (sub.isName() && sub.asName() === 'Image') image(x);
      else if (sub.isName() && sub.asName() === 'Form') { resources(x.get('Resources'), depth + 1); content(x); }
    });
    const patterns = res.get('Pattern');
    if (patterns.isDictionary()) patterns.forEach((p) => {
      if (!p.isStream() || !once(p)) return;
      resources(p.get('Resources'), depth + 1);
      content(p);
    });
    const fonts = res.get('Font');
    if (fonts.isDictionary()) fonts.forEach((f) => {
      const sub = f.get('Subtype');
      if (!sub.isName() || sub.asName() !== 'Type3' || !once(f)) return;
      resources(f.get('Resources'), depth + 1);
      const procs = f.get('CharProcs');
      if (procs.isDictionary()) procs.forEach((c) => once(c) && content(c));
    });
  };
  const obj = page.getObject();
  resources(obj.getInheritable('Resources'), 0);
  contents(obj.get('Contents'));
  const annots = obj.get('Annots');
  if (annots.isArray()) for (let i = 0; i < annots.length; i++) {
    const annot = annots.get(i);
    if (!annot.isDictionary()) continue;
    const ap = annot.get('AP');
    if (!ap.isDictionary()) continue;
    const normal = ap.get('N');
    const forms = normal.isStream() ? [normal] : [];
    if (normal.isDictionary() && !normal.isStream()) normal.forEach((v) => v.isStream() && forms.push(v));
    for (const f of forms) if (once(f)) { resources(f.get('Resources'), 1); content(f); }
  }
  return found;
}

function open(mupdf, data) {
  return mupdf.Document.openDocument(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 'application/pdf');
}

function render(mupdf, doc, m) {
  const page = doc.loadPage(m.page);
  const b = page.getBounds();
  const area = (b[2] - b[0]) * (b[3] - b[1]);
  if (!(area > 0)) throw new Error('the page has no size');
  // Never more pixels than the limit, whatever scale was asked for (MuPDF rounds the page's edges outwards).
  const w = b[2] - b[0];
  const h = b[3] - b[1];
  let scale = Math.min(m.scale, Math.sqrt(m.maxPixels / area));
  while ((Math.ceil(w * scale) + 1) * (Math.ceil(h * scale) + 1) > m.maxPixels) scale *= 0.995;
  const pix = page.toPixmap([scale, 0, 0, scale, 0, 0], mupdf.ColorSpace.DeviceGray, false, true);
  try {
    const width = pix.getWidth();
    const height = pix.getHeight();
    const stride = pix.getStride();
    const samples = pix.getPixels();
    const out = new Uint8Array(width * height);
    if (stride === width) out.set(samples.subarray(0, width * height));
    else for (let y = 0; y < height; y++) out.set(samples.subarray(y * stride, y * stride + width), y * width);
    return { width, height, scale, pixels: out };
  } finally {
    pix.destroy();
    page.destroy();
  }
}

parentPort.on('message', async (m) => {
  let mupdf;
  try {
    mupdf = await loading;
  } catch (err) {
    parentPort.postMessage({ id: m.id, ok: false, error: 'MuPDF could not load: ' + String(err && err.message || err) });
    return;
  }
  try {
    if (m.op === 'info') {
      const doc = open(mupdf, m.data);
      try {
        const n = doc.countPages();
        const pages = [];
        for (let i = 0; i < Math.min(n, m.maxPages + 1); i++) {
          const page = doc.loadPage(i);
          const b = page.getBounds();
          const images = pageImages(mupdf, page);
          pages.push({ width: b[2] - b[0], height: b[3] - b[1], largestImage: images.largest, imagePixels: images.total, oversizedContent: images.oversized });
          page.destroy();
        }
        parentPort.postMessage({ id: m.id, ok: true, result: { pages, total: n } });
      } finally {
        doc.destroy();
      }
    } else if (m.op === 'text') {
      const doc = open(mupdf, m.data);
      const texts = [];
      for (let i = 0; i < doc.countPages(); i++) texts.push(doc.loadPage(i).toStructuredText().asText());
      doc.destroy();
      parentPort.postMessage({ id: m.id, ok: true, result: texts });
    } else if (m.op === 'open') {
      docs.set(m.doc, open(mupdf, m.data));
      parentPort.postMessage({ id: m.id, ok: true, result: null });
    } else if (m.op === 'close') {
      const doc = docs.get(m.doc);
      docs.delete(m.doc);
      if (doc) doc.destroy();
      parentPort.postMessage({ id: m.id, ok: true, result: null });
    } else if (m.op === 'render') {
      const own = m.doc === undefined;
      const doc = own ? open(mupdf, m.data) : docs.get(m.doc);
      if (!doc) throw new Error('the PDF is not open');
      try {
        const r = render(mupdf, doc, m);
        parentPort.postMessage({ id: m.id, ok: true, result: r }, [r.pixels.buffer]);
      } finally {
        if (own) doc.destroy();
      }
    }
  } catch (err) {
    // A WASM trap leaves MuPDF's memory in an unknown state: say so, and the thread is replaced.
    const fatal = err instanceof WebAssembly.RuntimeError || /abort|out of memory/i.test(String(err && err.message));
    parentPort.postMessage({ id: m.id, ok: false, fatal, error: String(err && err.message || err) });
  }
});
`;

/** Longest a single PDF request may take before its thread is replaced. */
const REQUEST_TIMEOUT_MS = 120_000;
/** The thread stops after this long without work. */
const IDLE_MS = 60_000;

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** The process's MuPDF thread: started on first use, replaced after a crash or a stuck request, stopped when idle. */
class PdfWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private idleTimer: NodeJS.Timeout | null = null;

  request<T>(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
    const worker = this.thread();
    const id = this.nextId++;
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    worker.ref();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(worker, new Error('The PDF took too long to read.')), REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      worker.postMessage({ ...message, id }, transfer);
    });
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_CODE, {
      eval: true,
      workerData: { mupdfPath: require.resolve('mupdf'), maxContentBytes: MAX_CONTENT_BYTES },
      resourceLimits: { maxOldGenerationSizeMb: 512 },
    });
    worker.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string; fatal?: boolean }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error ?? 'PDF worker failed'));
      if (m.fatal) this.fail(worker, new Error('The PDF reader stopped after a fatal error.'));
      else this.settle(worker);
    });
    worker.on('error', (err) => this.fail(worker, err));
    worker.on('exit', (code) => this.fail(worker, new Error(`PDF worker stopped (exit ${code})`)));
    this.worker = worker;
    return worker;
  }

  /** Ends a thread and fails what it was doing; the next request starts a new one. */
  private fail(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    void worker.terminate();
  }

  private settle(worker: Worker): void {
    if (this.pending.size) return;
    // Nothing asked of it: the thread must not keep a process alive, and stops after a while.
    worker.unref();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.worker === worker && !this.pending.size) {
        this.worker = null;
        void worker.terminate();
      }
    }, IDLE_MS);
    this.idleTimer.unref();
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (worker) this.fail(worker, new Error('The PDF reader was stopped.'));
  }
}

const shared = new PdfWorker();

/** Stops the PDF thread (tests, shutdown); the next request starts it again. */
export function closePdfWorker(): Promise<void> {
  return shared.close();
}

/** Copies a buffer's bytes into a fresh ArrayBuffer that can be handed to the thread without copying again. */
function transferable(data: Buffer): Uint8Array {
  const copy = new Uint8Array(data.byteLength);
  copy.set(data);
  return copy;
}

/**
 * Reads a PDF's page count, page sizes and the images each page embeds (from the objects, nothing decoded);
 * throws with MuPDF's reason when the file is not a readable PDF.
 */
export async function pdfInfo(data: Buffer, maxPages: number): Promise<PdfInfo & { total: number }> {
  const bytes = transferable(data);
  return shared.request<PdfInfo & { total: number }>({ op: 'info', data: bytes, maxPages }, [bytes.buffer as ArrayBuffer]);
}

/** The text layer of every page (a generated reply's check that its letters print and copy right). */
export async function pdfText(data: Buffer): Promise<string[]> {
  const bytes = transferable(data);
  return shared.request<string[]>({ op: 'text', data: bytes }, [bytes.buffer as ArrayBuffer]);
}

/** A rendered page: 8-bit grey pixels, one byte per pixel, rows without padding. */
export interface GreyRaster {
  pixels: Buffer;
  width: number;
  height: number;
}

type RenderAnswer = { width: number; height: number; scale: number; pixels: Uint8Array };
const toRaster = (r: RenderAnswer): GreyRaster => ({ pixels: Buffer.from(r.pixels.buffer, r.pixels.byteOffset, r.pixels.byteLength), width: r.width, height: r.height });

/** Renders one page (0-based) to grey pixels at `scale` pixels per point, never more than `maxPixels`. */
export async function renderPdfPage(data: Buffer, page: number, scale: number, maxPixels: number): Promise<GreyRaster> {
  const bytes = transferable(data);
  return toRaster(await shared.request<RenderAnswer>({ op: 'render', data: bytes, page, scale, maxPixels }, [bytes.buffer as ArrayBuffer]));
}

let nextDoc = 1;

/**
 * One PDF kept open in the PDF thread while a letter is read: parsed once, its pages rendered as the OCR lanes
 * ask for them.
 */
export class PdfSession {
  private doc = nextDoc++;
  private opened: Promise<unknown>;

  constructor(private readonly data: Buffer) {
    this.opened = this.open();
  }

  private open(): Promise<unknown> {
    const bytes = transferable(this.data);
    const opened = shared.request({ op: 'open', doc: this.doc, data: bytes }, [bytes.buffer as ArrayBuffer]);
    opened.catch(() => undefined);
    return opened;
  }

  /** Renders one page (0-based) to grey pixels at `scale` pixels per point, never more than `maxPixels`. */
  async render(page: number, scale: number, maxPixels: number): Promise<GreyRaster> {
    await this.opened;
    try {
      return toRaster(await shared.request<RenderAnswer>({ op: 'render', doc: this.doc, page, scale, maxPixels }));
    } catch (err) {
      if ((err as Error).message !== 'the PDF is not open') throw err;
      // The thread was replaced meanwhile (another file broke it): open this one again in the new thread.
      this.doc = nextDoc++;
      this.opened = this.open();
      await this.opened;
      return toRaster(await shared.request<RenderAnswer>({ op: 'render', doc: this.doc, page, scale, maxPixels }));
    }
  }

  async close(): Promise<void> {
    await this.opened.catch(() => undefined);
    await shared.request({ op: 'close', doc: this.doc }).catch(() => undefined);
  }
}
