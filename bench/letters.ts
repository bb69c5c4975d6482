/**
 * bench/letters — scanned letters through the whole channel (intake, registration, the OCR job with page
 * rendering and CNP redaction, extraction, release) in pages per minute with the OCR pool at
 * LETTERS_OCR_CONCURRENCY threads (2 cores: 2), beside the raw OCR time of the same page images with the same
 * number of bare tesseract.js workers. The ratio is the figure; the character error rate is measured on every page.
 *
 *   npx tsx bench/letters.ts            (embedded SQLite; BENCH_LETTERS=8 letters of 2 pages, half of them noisy)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createWorker } from 'tesseract.js';
import { Letter, LetterPage } from '../db/models';
import { closeContext, createContext } from '../server/boot';
import { loadConfig } from '../server/config';
import { intakeLetter } from '../server/letters/intakeLetter';
import { closeLetterOcr, letterOcrPool, ocrLetter, pageRaster } from '../server/letters/ocrLetter';
import { normaliseRomanian, prepareTessdata } from '../server/letters/ocrPool';
import { pgm } from '../server/letters/orientation';
import { closePdfWorker } from '../server/letters/pdfRender';
import { configureLogger } from '../server/log';
import { characterErrorRate, degrade, pdfOfImages, renderTextPage } from '../tests/fixtures/letters/makeScans';

configureLogger('silent');
const LETTERS = Number(process.env.BENCH_LETTERS ?? 8);
const THREADS = Number(process.env.LETTERS_OCR_CONCURRENCY ?? 2);

const PAGE_TEXT = (i: number) => [
  `Către Primăria Municipiului Arad — scrisoarea ${i}`,
  'Subsemnata Ioana Țărănescu, domiciliată în Arad, strada Mărășești nr. 12,',
  'telefon 0722 123 456, vă rog să reparați iluminatul public din cartierul',
  'Grădiște, unde becurile stradale sunt stinse de două săptămâni.',
  'Subiect: Iluminat public stins în cartierul Grădiște',
  'Cu stimă, Ioana Țărănescu. Data: 12.03.2026',
];

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ghiseu-bench-letters-'));
  const letters: { pdf: Buffer; texts: string[]; noisy: boolean }[] = [];
  for (let i = 0; i < LETTERS; i++) {
    const texts = [PAGE_TEXT(i).join('\n'), PAGE_TEXT(i + 1000).join('\n')];
    const noisy = i % 2 === 1;
    const images = await Promise.all(
      texts.map(async (t) => {
        const clean = await renderTextPage(t.split('\n'));
        return noisy ? degrade(clean, { angle: 1, noise: 0.03, seed: i }) : clean;
      }),
    );
    letters.push({ pdf: await pdfOfImages(images), texts, noisy });
  }
  const pages = letters.length * 2;

  // Raw: the same prepared page images (in the format the channel hands tesseract), bare workers, no database,
  // no rendering, no extraction.
  const rendered: { png: Buffer; text: string }[] = [];
  for (const l of letters) for (const p of [0, 1]) rendered.push({ png: pgm(await pageRaster(l.pdf, 'application/pdf', p)), text: l.texts[p]! });
  const langPath = await prepareTessdata(dir);
  const workers = await Promise.all(Array.from({ length: THREADS }, () => createWorker(['ron'], 1, { langPath, gzip: true, cacheMethod: 'none' })));
  let next = 0;
  const rawCer: number[] = [];
  const rawStart = Date.now();
  await Promise.all(
    workers.map(async (w) => {
      while (next < rendered.length) {
        const page = rendered[next++]!;
        const { data } = await w.recognize(page.png);
        rawCer.push(characterErrorRate(page.text, normaliseRomanian(data.text)));
      }
    }),
  );
  const rawMs = Date.now() - rawStart;
  await Promise.all(workers.map((w) => w.terminate()));

  // The channel: intake + registration + OCR jobs (render, read, redact, store, extract, release).
  const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', LETTERS_OCR_CONCURRENCY: String(THREADS) });
  const ctx = await createContext(config);
  // Warm the pool (threads and language data load once per process, not per page).
  const warm = await renderTextPage(['Încălzire']);
  await letterOcrPool(ctx).recognize(warm);
  const start = Date.now();
  const ids: number[] = [];
  for (const [i, l] of letters.entries()) ids.push((await intakeLetter(ctx, { data: l.pdf, filename: `scrisoare-${i}.pdf`, source: 'folder' })).letter.id);
  // Two letters in flight share the pool of THREADS threads, as the job worker would run them.
  let nextLetter = 0;
  await Promise.all([0, 1].map(async () => {
    while (nextLetter < ids.length) await ocrLetter(ctx, ids[nextLetter++]!);
  }));
  const channelMs = Date.now() - start;
  const cer = { clean: [] as number[], noisy: [] as number[] };
  for (const [i, id] of ids.entries()) {
    const rows = await LetterPage.findAll({ where: { letterId: id }, order: [['pageNo', 'ASC']] });
    rows.forEach((r, p) => (letters[i]!.noisy ? cer.noisy : cer.clean).push(characterErrorRate(letters[i]!.texts[p]!, r.text)));
  }
  const statuses = (await Letter.findAll({ where: { id: ids } })).map((l) => l.status);
  await closeLetterOcr(ctx);
  await closePdfWorker();
  await closeContext(ctx);
  rmSync(dir, { recursive: true, force: true });

  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
  const ppm = (ms: number) => (pages / ms) * 60_000;
  console.log(`bench/letters: ${LETTERS} letters, ${pages} pages (A4 PDF, 300 dpi render; half noisy + 1° skew), ${THREADS} OCR threads, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`  raw tesseract (same page images):  ${(rawMs / 1000).toFixed(1)} s   ${ppm(rawMs).toFixed(1)} pages/min   CER ${(mean(rawCer) * 100).toFixed(2)} %`);
  console.log(`  letter channel (intake → release): ${(channelMs / 1000).toFixed(1)} s   ${ppm(channelMs).toFixed(1)} pages/min`);
  console.log(`  ratio channel / raw time: ${(channelMs / rawMs).toFixed(2)}`);
  console.log(`  CER clean ${(mean(cer.clean) * 100).toFixed(2)} %, noisy ${(mean(cer.noisy) * 100).toFixed(2)} %; letters released ${statuses.filter((s) => s === 'released').length}/${ids.length}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
