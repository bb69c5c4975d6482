import { extractFields } from '../../server/letters/extractFields';

describe('fields read from a letter', () => {
  it('finds nothing in a text without them, rather than guessing', () => {
    expect(extractFields('Vă rog să curățați parcul. Mulțumesc.')).toEqual({
      senderName: null, postalAddress: null, email: null, phone: null, letterDate: null, referenceNumber: null, subject: null, wantsEmailReply: false,
    });
  });

  it('reads the usual petition layout: Subsemnatul…, domiciliat în…, CNP, telefon, Subiect, date', () => {
    const f = extractFields(
      [
        'Către Primăria Municipiului Arad',
        'Subsemnatul POPESCU Ion-Mihai, domiciliat în Arad, Str. Horia nr. 3, ap. 4, CNP 1630615123457, telefon +40 744 555 666,',
        'vă rog să aprobați eșalonarea impozitului.',
        'Subiect: Cerere de eșalonare',
        'Arad, 05.02.2026',
      ].join('\n'),
    );
    expect(f).toMatchObject({ senderName: 'POPESCU Ion-Mihai', postalAddress: 'Arad, Str. Horia nr. 3, ap. 4', phone: '+40744555666', subject: 'Cerere de eșalonare', letterDate: '2026-02-05' });
    expect(JSON.stringify(f)).not.toMatch(/1630615123457/);
  });

  it('takes labelled fields, a signature after the closing formula, and a date in words', () => {
    const f = extractFields(['Adresa: Bd. Revoluției nr. 5, Arad', 'Ref.: sesizarea nr. 77/2026', 'Timișoara, 3 martie 2026', 'Cu stimă,', 'Elena Mureșan'].join('\n'));
    expect(f).toMatchObject({ senderName: 'Elena Mureșan', postalAddress: 'Bd. Revoluției nr. 5, Arad', referenceNumber: '77/2026', letterDate: '2026-03-03' });
  });

  it('sees a request to answer by email, and an impossible date is not a date', () => {
    const f = extractFields('Vă rog să-mi transmiteți răspunsul prin e-mail la ana@exemplu.ro. Data: 31.02.2026');
    expect(f).toMatchObject({ wantsEmailReply: true, email: 'ana@exemplu.ro', letterDate: null });
  });
});
