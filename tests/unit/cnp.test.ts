import { cnpCheckDigit, CNP_MASK, findCnps, isValidCnp, redactCnp, redactCnpDeep } from '../../server/text/cnp';

/** A valid CNP built from its first 12 digits. */
const withCheck = (d12: string) => d12 + String(cnpCheckDigit(d12));

describe('CNP validation', () => {
  it('refuses a wrong check digit, an impossible date, a leading zero and the wrong length first', () => {
    expect(isValidCnp('1630615123458')).toBe(false);
    expect(isValidCnp('1632215123457')).toBe(false);
    expect(isValidCnp('0630615123457')).toBe(false);
    expect(isValidCnp('163061512345')).toBe(false);
    expect(isValidCnp('16306151234570')).toBe(false);
    expect(isValidCnp('1630230123456')).toBe(false); // 30 February
    expect(isValidCnp('0000000000000')).toBe(false);
  });

  it('accepts the reference CNP and computes check digits, 10 becoming 1', () => {
    expect(isValidCnp('1630615123457')).toBe(true);
    expect(cnpCheckDigit('163061512345')).toBe(7);
    // Find a prefix whose remainder is 10: its check digit must be 1.
    let found = false;
    for (let serial = 1; serial < 999 && !found; serial++) {
      const d12 = `29001014${String(serial).padStart(3, '0')}`.slice(0, 12).padEnd(12, '0');
      let s = 0;
      for (let i = 0; i < 12; i++) s += Number(d12[i]) * Number('279146358279'[i]);
      if (s % 11 === 10) {
        expect(cnpCheckDigit(d12)).toBe(1);
        expect(isValidCnp(d12 + '1')).toBe(true);
        found = true;
      }
    }
    expect(found).toBe(true);
  });

  it('knows the centuries: 5/6 born 2000–2099, 3/4 in the 1800s, 29 February only in leap years', () => {
    expect(isValidCnp(withCheck('500022912345'))).toBe(true); // 2000-02-29
    expect(isValidCnp(withCheck('300022912345'))).toBe(false); // 1800-02-29 did not exist
    expect(isValidCnp(withCheck('600022912345'))).toBe(true);
  });
});

describe('CNP detection and redaction', () => {
  const valid = '1630615123457';
  const badChecksum = '1630615123458';

  it('leaves text without a CNP alone: phones, registration numbers, dates, 12 and 14 digit runs, implausible dates', () => {
    const text = 'Tel. 0722 123 456, nr. 1234/2026 din 12.03.2026, IBAN RO49AAAA1B31007593840000, cont 163061512345, 16306151234570, 1631315123457';
    expect(findCnps(text)).toEqual([]);
    expect(redactCnp(text)).toEqual({ text, count: 0 });
  });

  it('finds and redacts a valid CNP', () => {
    const r = redactCnp(`Subsemnatul Ion Pop, CNP ${valid}, domiciliat în Arad.`);
    expect(r.count).toBe(1);
    expect(r.text).toBe(`Subsemnatul Ion Pop, CNP ${CNP_MASK}, domiciliat în Arad.`);
    expect(findCnps(valid)[0]).toMatchObject({ digits: valid, valid: true, start: 0, end: 13 });
  });

  it('redacts a date-plausible run with a bad checksum, marked not valid', () => {
    const found = findCnps(`cnp: ${badChecksum}`);
    expect(found).toHaveLength(1);
    expect(found[0]!.valid).toBe(false);
    expect(redactCnp(`cnp: ${badChecksum}`).text).toBe(`cnp: ${CNP_MASK}`);
  });

  it('redacts CNPs written with spaces, dashes, dots and OCR double spaces', () => {
    for (const written of ['1 630615 123457', '1-630615-123457', '1.63.06.15.12.34.57', '163 0615  123 457', '1‐630615–123457', '1 6 3 0 6 1 5 1 2 3 4 5 7']) {
      const r = redactCnp(`CNP ${written}.`);
      expect({ written, text: r.text, count: r.count }).toEqual({ written, text: `CNP ${CNP_MASK}.`, count: 1 });
      expect(findCnps(written)[0]!.digits).toBe(valid);
    }
  });

  it('does not take a CNP-like run out of a longer number, nor swallow the separator after it', () => {
    expect(findCnps(`9${valid}`)).toEqual([]);
    expect(redactCnp(`${valid}- ok`).text).toBe(`${CNP_MASK}- ok`);
    expect(redactCnp(`(${valid})`).text).toBe(`(${CNP_MASK})`);
  });

  it('redacts several CNPs in one text and inside nested values', () => {
    const r = redactCnp(`${valid} și ${badChecksum}\nal treilea: 2-900101-123456`);
    expect(r.count).toBe(3);
    expect(r.text).not.toMatch(/\d{4}/);
    const deep = redactCnpDeep({ a: [`x ${valid}`], b: { c: `CNP ${badChecksum}`, n: 5, d: null as null | string } });
    expect(deep).toEqual({ a: [`x ${CNP_MASK}`], b: { c: `CNP ${CNP_MASK}`, n: 5, d: null } });
  });

  it('keeps foreigners’ codes (7, 8, 9) in scope', () => {
    expect(findCnps(withCheck('790101400012'))).toHaveLength(1);
    expect(isValidCnp(withCheck('790101400012'))).toBe(true);
  });
});
