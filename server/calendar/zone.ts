import { TIME_ZONE, type IsoDate } from './dates';

const partsFormat = new Intl.DateTimeFormat('en-US', {
  timeZone: TIME_ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** Minutes Europe/Bucharest is ahead of UTC at an instant (120 in winter, 180 in summer). */
export function bucharestOffsetMinutes(at: Date): number {
  const p: Record<string, number> = {};
  for (const part of partsFormat.formatToParts(at)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour! % 24, p.minute!, p.second!);
  return Math.round((asUtc - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
}

/**
 * The instant of a Bucharest wall-clock time (`minuteOfDay` minutes after local midnight of `date`). Two passes
 * settle the offset across a DST change; office hours never sit in the skipped 03:00–04:00 hour.
 */
export function bucharestInstant(date: IsoDate, minuteOfDay: number): Date {
  const wall = Date.parse(`${date}T00:00:00Z`) + minuteOfDay * 60_000;
  let guess = wall - bucharestOffsetMinutes(new Date(wall)) * 60_000;
  guess = wall - bucharestOffsetMinutes(new Date(guess)) * 60_000;
  return new Date(guess);
}

/** Minutes after local midnight of an instant in Bucharest. */
export function bucharestMinuteOfDay(at: Date): number {
  const local = at.getTime() + bucharestOffsetMinutes(at) * 60_000;
  return Math.floor((local % 86_400_000) / 60_000);
}
