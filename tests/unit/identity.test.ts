import { AppError } from '../../server/errors';
import { cnpHash, normaliseEmail, normalisePhone, senderIdentities } from '../../server/ingest/identity';

describe('sender identities', () => {
  test.each([
    ['0721 234 567', '+40721234567'],
    ['+40 721-234-567', '+40721234567'],
    ['0040721234567', '+40721234567'],
    ['0256 123 456', '+40256123456'],
    ['+33 6 12 34 56 78', '+33612345678'],
  ])('phone %s → %s', (raw, e164) => expect(normalisePhone(raw)).toBe(e164));

  test.each(['abc', '12', '+40 1'])('unparseable phone %s is refused naming the field', (raw) => {
    expect(() => normalisePhone(raw)).toThrow(AppError);
    expect(() => normalisePhone(raw)).toThrow(/from\.phone/);
  });

  test('emails are lower-cased and trimmed', () => expect(normaliseEmail('  Ion.Popescu@Example.RO ')).toBe('ion.popescu@example.ro'));

  test('a CNP is kept only as a keyed hash', () => {
    const ids = senderIdentities({ cnp: '1630615123457', email: 'A@B.ro' }, 'k'.repeat(40));
    expect(ids[0]).toEqual({ kind: 'cnp_hash', value: cnpHash('1630615123457', 'k'.repeat(40)) });
    expect(JSON.stringify(ids)).not.toContain('1630615123457');
    expect(cnpHash('1630615123457', 'other-secret'.repeat(4))).not.toBe(ids[0]!.value);
  });
});
