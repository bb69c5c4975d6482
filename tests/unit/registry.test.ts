import { findRegistrationNumbers, formatRegistrationNumber } from '../../server/ingest/registry';

describe('registration numbers quoted in text', () => {
  test.each([
    ['Re: [#1234/2026] Groapă pe strada Mărășești', ['1234/2026']],
    ['Referitor la #77/2026', ['77/2026']],
    ['Revin la petiția nr. 1234/2026 din 3 martie', ['1234/2026']],
    ['nr. înreg. 15 / 2026', ['15/2026']],
    ['numărul de înregistrare 9/2025', ['9/2025']],
    ['Your registration number: 42/2026', ['42/2026']],
    ['Both [#1/2026] and nr. 2/2026', ['1/2026', '2/2026']],
  ])('%s', (text, expected) => {
    expect(findRegistrationNumbers(text)).toEqual(expected);
  });

  test.each([
    'Ne vedem pe 12/2026 la ședință',
    'Strada Victoriei 12/2026-bis',
    'telefon 0721 234 567',
    '[#12/1850] an implausible year',
  ])('no number in: %s', (text) => {
    expect(findRegistrationNumbers(text)).toEqual([]);
  });

  test('format', () => expect(formatRegistrationNumber(5, 2026)).toBe('5/2026'));
});
