import PDFDocument from 'pdfkit';

/** Debian's fonts-dejavu-core: a TTF with every Romanian letter (ș ț with comma below, ă â î). */
export const LETTER_FONTS = {
  regular: '/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf',
  bold: '/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf',
};

/** What goes on a printed reply. */
export interface LetterPdfInput {
  /** Letterhead lines, the institution's name first. */
  letterhead: string[];
  registrationNumber: string;
  /** The date printed beside the number, already formatted (dd.mm.yyyy). */
  date: string;
  addressee: { name?: string; postalAddress?: string };
  subject?: string;
  body: string;
  /** Signature block lines (function, then name). */
  signature: string[];
}

/** Replaces cedilla forms (ş ţ) with the comma-below letters Romanian uses, so the print is right. */
function romanian(s: string): string {
  return s.replace(/ş/g, 'ș').replace(/Ş/g, 'Ș').replace(/ţ/g, 'ț').replace(/Ţ/g, 'Ț');
}

/**
 * Renders an answer as an A4 letter for print: letterhead, "Nr. … / data", the addressee block, the subject,
 * the text and the signature block, in an embedded DejaVu Serif so every diacritic prints (and copies) right.
 */
export function renderLetterPdf(input: LetterPdfInput): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margins: { top: 56, bottom: 56, left: 70, right: 62 }, info: { Title: `Răspuns nr. ${input.registrationNumber}`, Producer: 'Ghișeu' } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.registerFont('regular', LETTER_FONTS.regular);
    doc.registerFont('bold', LETTER_FONTS.bold);

    const [institution, ...rest] = input.letterhead.map(romanian);
    doc.font('bold').fontSize(14).text(institution ?? '', { align: 'left' });
    doc.font('regular').fontSize(9);
    for (const line of rest) doc.text(line);
    const y = doc.y + 6;
    doc.moveTo(doc.page.margins.left, y).lineTo(doc.page.width - doc.page.margins.right, y).lineWidth(0.8).stroke();
    doc.moveDown(1.2);

    doc.font('regular').fontSize(10).text(`Nr. ${input.registrationNumber} / ${input.date}`);
    doc.moveDown(1.2);

    // Addressee block on the right, where a window envelope shows it.
    const blockX = doc.page.width / 2 + 20;
    const blockWidth = doc.page.width - doc.page.margins.right - blockX;
    const addressLines = [input.addressee.name, ...(input.addressee.postalAddress ?? '').split(/\n|,\s*(?=(?:str|bd|bulevardul|calea|aleea|jud|loc|cod)\b)/i)].filter((l): l is string => !!l && !!l.trim());
    doc.font('bold').fontSize(11).text('Către', blockX, doc.y, { width: blockWidth });
    doc.font('regular');
    for (const line of addressLines) doc.text(romanian(line.trim()), blockX, doc.y, { width: blockWidth });
    doc.x = doc.page.margins.left;
    doc.moveDown(2);

    const width = doc.page.width - doc.page.margins.left - doc.page.margins.right;
    if (input.subject) {
      doc.font('bold').fontSize(11).text(`Ref.: ${romanian(input.subject)}`, doc.page.margins.left, doc.y, { width });
      doc.moveDown(1);
    }
    doc.font('regular').fontSize(11);
    for (const para of romanian(input.body).split(/\n{2,}/)) {
      doc.text(para.trim(), doc.page.margins.left, doc.y, { width, align: 'justify', lineGap: 2 });
      doc.moveDown(0.8);
    }
    doc.moveDown(2);
    for (const [i, line] of input.signature.map(romanian).entries()) doc.font(i === 0 ? 'bold' : 'regular').text(line, blockX, doc.y, { width: blockWidth, align: 'center' });
    doc.end();
  });
}
