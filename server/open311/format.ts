import type { Response } from 'express';
import { escapeHtml } from '../portal/html';

export type Open311Format = 'json' | 'xml';

/** A value in an Open311 document: scalars, lists of same-named children, or nested elements. */
export type XmlValue = string | number | boolean | null | undefined | XmlNode | XmlList;
export interface XmlNode {
  [name: string]: XmlValue;
}
/** A list serialised in XML as repeated `<item>` elements inside the parent (e.g. formats → format). */
export class XmlList {
  constructor(readonly item: string, readonly values: XmlValue[]) {}
  toJSON(): XmlValue[] {
    return this.values;
  }
}

function toXml(name: string, value: XmlValue): string {
  if (value === null || value === undefined || value === '') return `<${name}/>`;
  if (value instanceof XmlList && !value.values.length) return `<${name}/>`;
  if (value instanceof XmlList) return `<${name}>${value.values.map((v) => toXml(value.item, v)).join('')}</${name}>`;
  if (typeof value === 'object') return `<${name}>${Object.entries(value).map(([k, v]) => toXml(k, v)).join('')}</${name}>`;
  return `<${name}>${escapeHtml(String(value))}</${name}>`;
}

/** Serialises a document: `root` wraps repeated `item` elements in XML; JSON is the array (or object) itself. */
export function sendOpen311(res: Response, format: Open311Format, status: number, root: string, item: string | null, body: XmlNode | XmlNode[]): void {
  res.status(status);
  if (format === 'json') {
    res.type('application/json; charset=utf-8').send(JSON.stringify(body));
    return;
  }
  const inner = Array.isArray(body) ? body.map((b) => toXml(item!, b)).join('') : Object.entries(body).map(([k, v]) => toXml(k, v)).join('');
  res.type('text/xml; charset=utf-8').send(`<?xml version="1.0" encoding="utf-8"?>\n<${root}>${inner}</${root}>`);
}

/** An Open311 error: the body is `errors[]` of `{code, description}` (XML: errors/error). */
export class Open311Error extends Error {
  constructor(readonly status: 400 | 403 | 404 | 413 | 429 | 500, readonly description: string) {
    super(description);
  }
}

/** Sends an Open311 error document. */
export function sendOpen311Error(res: Response, format: Open311Format, err: Open311Error): void {
  sendOpen311(res, format, err.status, 'errors', 'error', [{ code: err.status, description: err.description }]);
}

/** A moment as ISO 8601 with Bucharest's offset (Open311 wants a timezone on every date). */
export function isoBucharest(date: Date): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Europe/Bucharest', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'longOffset',
    })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  const offset = parts.timeZoneName === 'GMT' ? '+00:00' : String(parts.timeZoneName).replace('GMT', '');
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

/** The end of a Bucharest calendar day (the legal deadline runs to 24:00 of its last day), with its offset. */
export function endOfBucharestDay(isoDate: string): string {
  // Noon of that day gives the right offset for the day (DST switches happen at night).
  const noon = isoBucharest(new Date(`${isoDate}T10:00:00Z`));
  return `${isoDate}T23:59:59${noon.slice(19)}`;
}
