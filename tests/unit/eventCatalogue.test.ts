import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { en } from '../../agent-console/src/i18n/en';
import { ro } from '../../agent-console/src/i18n/ro';

/** Every `.ts` file under a folder. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The timeline event types the server writes (`type: 'noun.verb'` in a ConversationEvent draft or row). */
function serverEventTypes(): string[] {
  const found = new Set<string>();
  for (const file of sources(path.resolve(__dirname, '../../server'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\btype: '([a-z_]+\.[a-z_.]+)'/g)) found.add(m[1]!);
  }
  return [...found].sort();
}

describe('the case timeline says every event in words', () => {
  const types = serverEventTypes();
  const renderers = readFileSync(path.resolve(__dirname, '../../agent-console/src/case/renderers.tsx'), 'utf8');

  test('the server writes events (the scan finds them)', () => {
    expect(types).toEqual(expect.arrayContaining(['conversation.status_changed', 'sla.breached', 'letter.released']));
  });

  test.each(types)('%s has a Romanian and an English line, and the timeline uses it', (type) => {
    const key = `event.${type}`;
    expect((ro as Record<string, string>)[key]).toBeTruthy();
    expect((en as Record<string, string>)[key]).toBeTruthy();
    // Not left to the "Eveniment: <type>" fallback.
    expect(renderers).toContain(`case '${type}':`);
  });
});
