/**
 * The DICOM objects a signed report becomes in the site PACS, built with dcmjs (Explicit VR
 * Little Endian Part 10 files, character set ISO_IR 192 — dcmjs writes text as UTF-8):
 * - Encapsulated PDF (1.2.840.10008.5.1.4.1.1.104.1) carrying the printable report;
 * - Basic Text SR (1.2.840.10008.5.1.4.1.1.88.11): a "Diagnostic Imaging Report" container
 *   (LOINC 18748-4) with the findings and conclusion as TEXT items, verified by the radiologist
 *   (name, RPPS, signing time), and the critical-finding flag.
 * Both sit in the patient's study: the patient and general study modules are copied from the
 * study's own first instance (the values the agent kept at intake), each object gets a new
 * series and SOP Instance UID (derived deterministically from the report id, so a retry after a
 * crash sends the same objects and the PACS sees duplicates, not new reports).
 */
import { createHash } from 'node:crypto';
import dcmjs from 'dcmjs';
import { parseFileMeta } from '../../lib/dicom/part10.ts';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../../lib/dicom/part10.ts';
import { TS } from '../../lib/dicom/transfer-syntax.ts';
import type { SignedReport } from '../../protocol/clinical.ts';
import type { ReportObjectKind } from '../../protocol/messages.ts';
import type { StudyIdentity } from '../matching/study-registry.ts';

export const ENCAPSULATED_PDF_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.104.1';
export const BASIC_TEXT_SR_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.88.11';

export interface ReportObject {
  kind: ReportObjectKind;
  sopClassUid: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  /** The whole Part 10 file. */
  bytes: Buffer;
  /** Offset of the dataset in `bytes` (after the file meta). */
  datasetOffset: number;
}

/** A UID under 2.25 derived from a name (stable across retries). */
export function derivedUid(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex').slice(0, 32);
  return `2.25.${BigInt(`0x${hex}`).toString(10)}`;
}

function dicomDateTime(iso: string): { date: string; time: string } {
  const d = new Date(iso);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return { date: `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`, time: `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}` };
}

function patientStudyModules(studyUid: string, id: StudyIdentity): Record<string, unknown> {
  return {
    SpecificCharacterSet: 'ISO_IR 192',
    PatientName: id.patientName ?? '',
    PatientID: id.patientId ?? '',
    ...(id.issuerOfPatientId ? { IssuerOfPatientID: id.issuerOfPatientId } : {}),
    PatientBirthDate: id.patientBirthDate ?? '',
    PatientSex: id.patientSex ?? '',
    StudyInstanceUID: studyUid,
    StudyDate: id.studyDate ?? '',
    StudyTime: id.studyTime ?? '',
    ReferringPhysicianName: id.referringPhysicianName ?? '',
    StudyID: id.studyId ?? '',
    AccessionNumber: id.accessionNumber ?? '',
    ...(id.studyDescription ? { StudyDescription: id.studyDescription } : {}),
  };
}

function part10(dataset: Record<string, unknown>, sopClassUid: string, sopInstanceUid: string): { bytes: Buffer; datasetOffset: number } {
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClassUid,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: TS.explicitLE,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  const bytes = Buffer.from(dict.write({ fragmentMultiframe: false }));
  return { bytes, datasetOffset: parseFileMeta(bytes).datasetOffset };
}

export function buildReportObjects(report: SignedReport, identity: StudyIdentity, kinds: readonly ReportObjectKind[]): ReportObject[] {
  const out: ReportObject[] = [];
  const signed = dicomDateTime(report.signedAt);
  const common = patientStudyModules(report.studyInstanceUid, identity);
  const equipment = { Manufacturer: 'Relais', SoftwareVersions: 'relais', InstanceCreationDate: signed.date, InstanceCreationTime: signed.time };
  if (kinds.includes('pdf')) {
    const sopInstanceUid = derivedUid(`relais:report:${report.reportId}:pdf`);
    const seriesInstanceUid = derivedUid(`relais:report:${report.reportId}:pdf-series`);
    let pdf = Buffer.from(report.pdfBase64, 'base64');
    const length = pdf.length;
    if (pdf.length % 2 === 1) pdf = Buffer.concat([pdf, Buffer.from([0])]);
    const ds = {
      ...common,
      ...equipment,
      SOPClassUID: ENCAPSULATED_PDF_SOP_CLASS,
      SOPInstanceUID: sopInstanceUid,
      Modality: 'DOC',
      SeriesInstanceUID: seriesInstanceUid,
      SeriesNumber: '9001',
      SeriesDescription: 'Compte rendu (PDF)',
      InstanceNumber: '1',
      ContentDate: signed.date,
      ContentTime: signed.time,
      AcquisitionDateTime: `${signed.date}${signed.time}`,
      ConversionType: 'WSD',
      BurnedInAnnotation: 'YES',
      DocumentTitle: report.title.slice(0, 64),
      ConceptNameCodeSequence: [{ CodeValue: '18748-4', CodingSchemeDesignator: 'LN', CodeMeaning: 'Diagnostic Imaging Report' }],
      MIMETypeOfEncapsulatedDocument: 'application/pdf',
      EncapsulatedDocumentLength: length,
      EncapsulatedDocument: [pdf.buffer.slice(pdf.byteOffset, pdf.byteOffset + pdf.length)],
      _vrMap: { EncapsulatedDocument: 'OB' },
    };
    out.push({ kind: 'pdf', sopClassUid: ENCAPSULATED_PDF_SOP_CLASS, sopInstanceUid, seriesInstanceUid, ...part10(ds, ENCAPSULATED_PDF_SOP_CLASS, sopInstanceUid) });
  }
  if (kinds.includes('sr')) {
    const sopInstanceUid = derivedUid(`relais:report:${report.reportId}:sr`);
    const seriesInstanceUid = derivedUid(`relais:report:${report.reportId}:sr-series`);
    const text = (code: string, meaning: string, value: string) => ({
      RelationshipType: 'CONTAINS',
      ValueType: 'TEXT',
      ConceptNameCodeSequence: [{ CodeValue: code, CodingSchemeDesignator: 'DCM', CodeMeaning: meaning }],
      TextValue: value,
    });
    const content = [text('121071', 'Finding', report.text)];
    if (report.conclusion) content.push(text('121076', 'Conclusion', report.conclusion));
    if (report.critical) content.push(text('121071', 'Finding', 'RÉSULTAT CRITIQUE : le prescripteur doit être appelé. / CRITICAL FINDING: the requesting clinician must be called.'));
    const ds = {
      ...common,
      ...equipment,
      SOPClassUID: BASIC_TEXT_SR_SOP_CLASS,
      SOPInstanceUID: sopInstanceUid,
      Modality: 'SR',
      SeriesInstanceUID: seriesInstanceUid,
      SeriesNumber: '9002',
      SeriesDescription: 'Compte rendu (SR)',
      InstanceNumber: '1',
      ContentDate: signed.date,
      ContentTime: signed.time,
      ReferencedPerformedProcedureStepSequence: [],
      ValueType: 'CONTAINER',
      ConceptNameCodeSequence: [{ CodeValue: '18748-4', CodingSchemeDesignator: 'LN', CodeMeaning: 'Diagnostic Imaging Report' }],
      ContinuityOfContent: 'SEPARATE',
      CompletionFlag: 'COMPLETE',
      VerificationFlag: 'VERIFIED',
      VerifyingObserverSequence: [
        {
          VerifyingObserverName: report.radiologist.name.replace(/[\\^=]/g, ' ').slice(0, 64),
          VerifyingObserverIdentificationCodeSequence: [{ CodeValue: report.radiologist.rpps, CodingSchemeDesignator: 'RPPS', CodeMeaning: 'Répertoire partagé des professionnels de santé' }],
          VerifyingOrganization: 'Relais',
          VerificationDateTime: `${signed.date}${signed.time}`,
        },
      ],
      PerformedProcedureCodeSequence: [],
      ContentSequence: content,
    };
    out.push({ kind: 'sr', sopClassUid: BASIC_TEXT_SR_SOP_CLASS, sopInstanceUid, seriesInstanceUid, ...part10(ds, BASIC_TEXT_SR_SOP_CLASS, sopInstanceUid) });
  }
  return out;
}
