import { smsSegments, transliterateForSms } from '../../channels/phone/smsSegments';
import { smsKeyword } from '../../channels/phone/inbound';

describe('SMS segments', () => {
  it('counts GSM-7 up to 160 in one part and 153 per concatenated part', () => {
    expect(smsSegments('')).toMatchObject({ segments: 0, encoding: 'GSM-7' });
    expect(smsSegments('a'.repeat(160))).toMatchObject({ encoding: 'GSM-7', segments: 1, remaining: 0 });
    expect(smsSegments('a'.repeat(161))).toMatchObject({ segments: 2, perSegment: 153 });
    expect(smsSegments('a'.repeat(306))).toMatchObject({ segments: 2, remaining: 0 });
    expect(smsSegments('a'.repeat(307))).toMatchObject({ segments: 3 });
  });

  it('counts extension characters twice and never splits their escape pair', () => {
    expect(smsSegments('€'.repeat(80))).toMatchObject({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(smsSegments('a'.repeat(152) + '€')).toMatchObject({ units: 154, segments: 1 });
    expect(smsSegments('a'.repeat(159) + '€')).toMatchObject({ units: 161, segments: 2 });
    // 152 septets + an escape pair: the pair moves whole to the second part.
    expect(smsSegments('a'.repeat(152) + '€' + 'a'.repeat(152))).toMatchObject({ segments: 3 });
  });

  it('switches to UCS-2 for Romanian diacritics: 70 alone, 67 per part', () => {
    expect(smsSegments('ș')).toMatchObject({ encoding: 'UCS-2', segments: 1, nonGsmCharacters: ['ș'] });
    expect(smsSegments('ă'.repeat(70))).toMatchObject({ segments: 1 });
    expect(smsSegments('ă'.repeat(71))).toMatchObject({ segments: 2, perSegment: 67 });
    expect(smsSegments('ă'.repeat(134))).toMatchObject({ segments: 2 });
    expect(smsSegments('ă'.repeat(135))).toMatchObject({ segments: 3 });
    // An emoji is two UTF-16 units and is not split between parts.
    expect(smsSegments('a'.repeat(66) + '😀')).toMatchObject({ units: 68, segments: 1 });
    expect(smsSegments('ă'.repeat(66) + '😀' + 'ă'.repeat(10))).toMatchObject({ units: 78, segments: 2, remaining: 67 - 12 });
  });

  it('transliterates comma-below and cedilla forms and typographic quotes to GSM-7', () => {
    const t = transliterateForSms('Șoseaua Ștefan cel Mare, țară, Ţară, şcoală, „Înregistrată” – până mâine…');
    expect(t).toBe('Soseaua Stefan cel Mare, tara, Tara, scoala, "Inregistrata" - pana maine...');
    expect(smsSegments(t).encoding).toBe('GSM-7');
  });
});

describe('SMS keywords', () => {
  it('recognises opt-out and opt-in words in English and Romanian, only as the whole message', () => {
    expect(smsKeyword('STOP')).toBe('stop');
    expect(smsKeyword(' stop. ')).toBe('stop');
    expect(smsKeyword('Dezabonare')).toBe('stop');
    expect(smsKeyword('start')).toBe('start');
    expect(smsKeyword('Vă rog STOP lucrările')).toBeNull();
  });
});
