import { smsSegments } from '../../agent-console/src/ui/sms';
import { formatDate, renderTemplate, unknownVariables } from '../../server/commands/renderTemplate';

describe('SMS segment counter of the reply composer', () => {
  test('plain ASCII is GSM-7: 160 in one part, 153 per part beyond', () => {
    expect(smsSegments('')).toEqual({ encoding: 'GSM-7', units: 0, segments: 0 });
    expect(smsSegments('a'.repeat(160))).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    expect(smsSegments('a'.repeat(161))).toMatchObject({ encoding: 'GSM-7', segments: 2 });
    expect(smsSegments('a'.repeat(306))).toMatchObject({ segments: 2 });
    expect(smsSegments('a'.repeat(307))).toMatchObject({ segments: 3 });
  });
  test('extension characters count twice', () => {
    expect(smsSegments('€'.repeat(80))).toMatchObject({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(smsSegments('€'.repeat(81))).toMatchObject({ segments: 2 });
  });
  test('Romanian diacritics (ș, ț with comma below, ă, î, â) switch to UCS-2: 70 in one part, 67 per part', () => {
    expect(smsSegments('Vă mulțumim')).toMatchObject({ encoding: 'UCS-2', segments: 1 });
    expect(smsSegments('ș'.repeat(70))).toMatchObject({ segments: 1 });
    expect(smsSegments('ș'.repeat(71))).toMatchObject({ segments: 2 });
    expect(smsSegments('ț'.repeat(135))).toMatchObject({ segments: 3 });
  });
});

describe('canned response templates', () => {
  test('unknown variables are named; known ones are filled; empty values get a readable fallback', () => {
    expect(unknownVariables('Bună {{name}}, {{ nume }} și {{registrationNumber}}')).toEqual(['nume']);
    const values = { name: null, registrationNumber: '12/2026', registeredDate: null, legalDueDate: formatDate('2026-04-14', 'ro'), category: null, department: null, agentName: 'Ana' };
    expect(renderTemplate('Stimate {{name}}, nr. {{ registrationNumber }} până la {{legalDueDate}}. {{agentName}}', values, 'ro')).toBe(
      'Stimate doamnă/domnule, nr. 12/2026 până la 14.04.2026. Ana',
    );
    expect(formatDate('2026-04-14', 'en')).toBe('14 April 2026');
  });
});
