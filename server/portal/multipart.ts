import busboy from 'busboy';
import type { Request } from 'express';
import { MAX_PHOTO_BYTES, MAX_PHOTOS } from './photos';

/** An uploaded file as received; `truncated` means it went over the per-file cap and its bytes were dropped. */
export interface UploadedFile {
  field: string;
  filename: string;
  data: Buffer;
  truncated: boolean;
}

export interface ParsedForm {
  fields: Record<string, string>;
  files: UploadedFile[];
  /** More files than allowed were sent (the extra ones were not read). */
  tooManyFiles: boolean;
}

/** The whole body may not be larger than this (all photos at their cap plus the text fields). */
export const MAX_BODY_BYTES = MAX_PHOTOS * MAX_PHOTO_BYTES + 1024 * 1024;

/** Thrown when the body cannot be read as a form (wrong type, broken multipart, over the total cap). */
export class FormParseError extends Error {
  constructor(readonly reason: 'type' | 'malformed' | 'too_large') {
    super(`form could not be parsed: ${reason}`);
  }
}

/**
 * Reads a multipart (or url-encoded) form with busboy, streaming, in memory, with caps: at most
 * MAX_PHOTOS files of MAX_PHOTO_BYTES each (an over-size file is drained and marked, not kept), 30 text
 * fields of 10 kB, and MAX_BODY_BYTES in all. Nothing touches the disk here.
 */
export function parseForm(req: Request): Promise<ParsedForm> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      req.resume();
      reject(new FormParseError('too_large'));
      return;
    }
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        limits: { files: MAX_PHOTOS, fileSize: MAX_PHOTO_BYTES, fields: 30, fieldSize: 10 * 1024, parts: 40 },
        defParamCharset: 'utf8',
      });
    } catch {
      req.resume();
      reject(new FormParseError('type'));
      return;
    }
    const fields: Record<string, string> = {};
    const files: UploadedFile[] = [];
    const pending: Promise<void>[] = [];
    let tooManyFiles = false;
    let received = 0;
    let failed = false;
    const fail = (reason: FormParseError['reason']) => {
      if (failed) return;
      failed = true;
      req.unpipe(bb);
      req.resume();
      reject(new FormParseError(reason));
    };
    // A client that goes away mid-upload must not leave this promise (and its buffers) waiting forever.
    req.on('close', () => {
      if (!req.complete) fail('malformed');
    });
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_BODY_BYTES) fail('too_large');
    });
    bb.on('field', (name, value) => {
      if (!(name in fields)) fields[name] = value;
    });
    bb.on('file', (field, stream, info) => {
      pending.push(
        new Promise<void>((done) => {
          const chunks: Buffer[] = [];
          let truncated = false;
          stream.on('data', (c: Buffer) => {
            if (!truncated) chunks.push(c);
          });
          stream.on('limit', () => {
            truncated = true;
            chunks.length = 0;
          });
          stream.on('close', () => {
            // An empty file input still sends a part with no name and no bytes: not an upload.
            if (info.filename || chunks.length) files.push({ field, filename: info.filename || 'foto', data: Buffer.concat(chunks), truncated });
            done();
          });
          stream.on('error', () => done());
        }),
      );
    });
    bb.on('filesLimit', () => {
      tooManyFiles = true;
    });
    bb.on('error', () => fail('malformed'));
    bb.on('close', () => {
      if (failed) return;
      void Promise.all(pending).then(() => resolve({ fields, files: files.filter((f) => f.filename || f.data.length), tooManyFiles }));
    });
    req.pipe(bb);
  });
}
