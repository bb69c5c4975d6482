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
  | { ok: true; info?: { pages: PdfInfo['pages']; total: number }; png?: Uint8Array; width?: number; height?: number }
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

/** Renders one page (0-based) to a grey PNG at `scale` pixels per point. */
export async function renderPdfPage(data: Buffer, page: number, scale: number): Promise<{ png: Buffer; width: number; height: number }> {
  const answer = await run({ op: 'render', data, page, scale });
  if (!answer.ok) throw new Error(answer.error);
  if (!answer.png) throw new Error('PDF worker gave no image');
  return { png: Buffer.from(answer.png), width: answer.width ?? 0, height: answer.height ?? 0 };
}
