import { Worker } from 'node:worker_threads';

/**
 * PDF work (page count and sizes, rendering a page to a grey PNG) in a worker thread with MuPDF's WASM build.
 * MuPDF is an ES module with top-level await, so it runs in its own thread (also keeping its memory and CPU
 * off the web process's event loop); one short-lived worker per call keeps a bad PDF from poisoning others.
 */

/** A PDF's pages as MuPDF reads them, sizes in points (1/72 inch). */
export interface PdfInfo {
  pages: { width: number; height: number }[];
}

const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
(async () => {
  try {
    const mupdf = await import(pathToFileURL(workerData.mupdfPath).href);
    const doc = mupdf.Document.openDocument(new Uint8Array(workerData.data), 'application/pdf');
    if (workerData.op === 'info') {
      const n = doc.countPages();
      const pages = [];
      for (let i = 0; i < Math.min(n, workerData.maxPages + 1); i++) {
        const b = doc.loadPage(i).getBounds();
        pages.push({ width: b[2] - b[0], height: b[3] - b[1] });
      }
      parentPort.postMessage({ ok: true, info: { pages, total: n } });
    } else if (workerData.op === 'text') {
      const texts = [];
      for (let i = 0; i < doc.countPages(); i++) texts.push(doc.loadPage(i).toStructuredText().asText());
      parentPort.postMessage({ ok: true, texts });
    } else {
      const page = doc.loadPage(workerData.page);
      const s = workerData.scale;
      const pix = page.toPixmap([s, 0, 0, s, 0, 0], mupdf.ColorSpace.DeviceGray, false, true);
      const png = pix.asPNG();
      parentPort.postMessage({ ok: true, png: Buffer.from(png), width: pix.getWidth(), height: pix.getHeight() });
    }
  } catch (err) {
    parentPort.postMessage({ ok: false, error: String(err && err.message || err) });
  }
})();
`;

type WorkerAnswer =
  | { ok: true; info?: { pages: PdfInfo['pages']; total: number }; png?: Uint8Array; width?: number; height?: number; texts?: string[] }
  | { ok: false; error: string };

function run(workerData: Record<string, unknown>): Promise<WorkerAnswer> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_CODE, {
      eval: true,
      workerData: { ...workerData, mupdfPath: require.resolve('mupdf') },
      resourceLimits: { maxOldGenerationSizeMb: 512 },
    });
    let done = false;
    worker.once('message', (m: WorkerAnswer) => {
      done = true;
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', (err) => (done ? undefined : reject(err)));
    worker.once('exit', (code) => (done ? undefined : reject(new Error(`PDF worker stopped (exit ${code})`))));
  });
}

/** Reads a PDF's page count and page sizes; throws with MuPDF's reason when the file is not a readable PDF. */
export async function pdfInfo(data: Buffer, maxPages: number): Promise<PdfInfo & { total: number }> {
  const answer = await run({ op: 'info', data, maxPages });
  if (!answer.ok) throw new Error(answer.error);
  if (!answer.info) throw new Error('PDF worker gave no page information');
  return { pages: answer.info.pages, total: answer.info.total };
}

/** The text layer of every page (a generated reply's check that its letters print and copy right). */
export async function pdfText(data: Buffer): Promise<string[]> {
  const answer = await run({ op: 'text', data });
  if (!answer.ok) throw new Error(answer.error);
  return answer.texts ?? [];
}

/** Renders one page (0-based) to a grey PNG at `scale` pixels per point. */
export async function renderPdfPage(data: Buffer, page: number, scale: number): Promise<{ png: Buffer; width: number; height: number }> {
  const answer = await run({ op: 'render', data, page, scale });
  if (!answer.ok) throw new Error(answer.error);
  if (!answer.png) throw new Error('PDF worker gave no image');
  return { png: Buffer.from(answer.png), width: answer.width ?? 0, height: answer.height ?? 0 };
}

const SESSION_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
(async () => {
  let doc;
  try {
    const mupdf = await import(pathToFileURL(workerData.mupdfPath).href);
    doc = mupdf.Document.openDocument(new Uint8Array(workerData.data), 'application/pdf');
    parentPort.on('message', (m) => {
      try {
        const page = doc.loadPage(m.page);
        const pix = page.toPixmap([m.scale, 0, 0, m.scale, 0, 0], mupdf.ColorSpace.DeviceGray, false, true);
        parentPort.postMessage({ id: m.id, ok: true, png: Buffer.from(pix.asPNG()), width: pix.getWidth(), height: pix.getHeight() });
      } catch (err) {
        parentPort.postMessage({ id: m.id, ok: false, error: String(err && err.message || err) });
      }
    });
    parentPort.postMessage({ id: 0, ok: true });
  } catch (err) {
    parentPort.postMessage({ id: 0, ok: false, error: String(err && err.message || err) });
  }
})();
`;

/**
 * One open PDF in one worker thread, rendering pages on request: MuPDF's WASM loads and the file parses once
 * per letter instead of once per page (the difference is most of the channel's overhead over bare OCR).
 */
export class PdfSession {
  private worker: Worker;
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: { png: Buffer; width: number; height: number }) => void; reject: (e: Error) => void }>();
  private ready: Promise<void>;

  constructor(data: Buffer) {
    this.worker = new Worker(SESSION_CODE, { eval: true, workerData: { data, mupdfPath: require.resolve('mupdf') }, resourceLimits: { maxOldGenerationSizeMb: 512 } });
    this.ready = new Promise((resolve, reject) => {
      const onFirst = (m: { id: number; ok: boolean; error?: string }) => {
        if (m.id !== 0) return;
        this.worker.off('message', onFirst);
        if (m.ok) resolve();
        else reject(new Error(m.error));
      };
      this.worker.on('message', onFirst);
    });
    this.worker.on('message', (m: { id: number; ok: boolean; png?: Uint8Array; width?: number; height?: number; error?: string }) => {
      const p = m.id ? this.pending.get(m.id) : undefined;
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok && m.png) p.resolve({ png: Buffer.from(m.png), width: m.width ?? 0, height: m.height ?? 0 });
      else p.reject(new Error(m.error ?? 'render failed'));
    });
    const fail = (err: Error) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`PDF worker stopped (exit ${code})`)));
  }

  /** Renders one page (0-based) to a grey PNG at `scale` pixels per point. */
  async render(page: number, scale: number): Promise<{ png: Buffer; width: number; height: number }> {
    await this.ready;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, page, scale });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
