/**
 * The printable report (PDF), rendered with pdf-lib: a plain A4 layout with the title, the
 * radiologist and signing time, the critical-finding banner, the findings and the conclusion.
 * A minimal renderer so the loop works end to end; the report editor (next issue) owns the final
 * layout (letterhead, templates, signature block). Patient identity is printed (it is the
 * patient's report) but never logged.
 * Contract: returns the PDF bytes; text outside WinAnsi (the standard fonts' encoding) is
 * replaced by '?', never thrown on.
 */
import { PDFDocument, StandardFonts, rgb, type PDFFont } from 'pdf-lib';

export interface ReportPdfInput {
  title: string;
  text: string;
  conclusion?: string | undefined;
  critical: boolean;
  radiologist: { name: string; rpps: string };
  signedAt: string;
  patientLine?: string | undefined;
  lang?: 'fr' | 'en';
}

const WORDS = {
  fr: { by: 'Compte rendu signé par', rpps: 'RPPS', at: 'le', critical: 'RÉSULTAT CRITIQUE — le prescripteur doit être appelé', conclusion: 'Conclusion', patient: 'Patient' },
  en: { by: 'Report signed by', rpps: 'RPPS', at: 'on', critical: 'CRITICAL FINDING — the requesting clinician must be called', conclusion: 'Conclusion', patient: 'Patient' },
} as const;

function winAnsi(s: string): string {
  // Characters WinAnsi cannot encode would make pdf-lib throw.
  return s.replace(/[^\x20-\x7e\xa0-\xff\n]/g, (c) => ({ '\u2019': "'", '\u2014': '-', '\u2013': '-', '\u20ac': 'EUR', '\u0153': 'oe', '\u0152': 'OE' })[c] ?? '?');
}

function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const lines: string[] = [];
  for (const para of winAnsi(text).split('\n')) {
    let line = '';
    for (const word of para.split(/\s+/)) {
      const candidate = line ? `${line} ${word}` : word;
      if (font.widthOfTextAtSize(candidate, size) > width && line) {
        lines.push(line);
        line = word;
      } else line = candidate;
    }
    lines.push(line);
  }
  return lines;
}

export async function renderReportPdf(input: ReportPdfInput): Promise<Uint8Array> {
  const w = WORDS[input.lang ?? 'fr'];
  const doc = await PDFDocument.create();
  doc.setTitle(winAnsi(input.title));
  doc.setAuthor(winAnsi(input.radiologist.name));
  doc.setProducer('Relais');
  doc.setCreationDate(new Date(input.signedAt));
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const margin = 56;
  let page = doc.addPage([595.28, 841.89]);
  let y = page.getHeight() - margin;
  const width = page.getWidth() - 2 * margin;
  const put = (line: string, f: PDFFont, size: number, color = rgb(0, 0, 0)) => {
    if (y < margin + size) {
      page = doc.addPage([595.28, 841.89]);
      y = page.getHeight() - margin;
    }
    page.drawText(line, { x: margin, y, size, font: f, color });
    y -= size * 1.4;
  };
  for (const l of wrap(input.title, bold, 16, width)) put(l, bold, 16);
  if (input.patientLine) put(`${w.patient} : ${winAnsi(input.patientLine)}`, font, 10);
  put(`${w.by} ${winAnsi(input.radiologist.name)} (${w.rpps} ${input.radiologist.rpps}) ${w.at} ${input.signedAt}`, font, 10);
  y -= 8;
  if (input.critical) put(w.critical, bold, 12, rgb(0.75, 0, 0));
  for (const l of wrap(input.text, font, 11, width)) put(l, font, 11);
  if (input.conclusion) {
    y -= 8;
    put(w.conclusion, bold, 12);
    for (const l of wrap(input.conclusion, font, 11, width)) put(l, font, 11);
  }
  return doc.save();
}
