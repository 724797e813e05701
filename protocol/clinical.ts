/**
 * The exam request (demande d'examen) and what answers it: patient identity with the INS
 * fields and the local identifier, clinical context, urgency, requested exam, requesting
 * clinician; the radiologist's protocol answer; the signed report sent back to the site; and
 * the reasons a study is held for reconciliation. Shapes only (TypeBox); the business rules
 * beyond shape (INS key, traits, exam catalogue) are in ins.ts / exams.ts and applied by
 * `requestProblems` callers at both ends.
 *
 * Contract: identity traits are the strict INS traits — upper-case letters without accents,
 * space, hyphen, apostrophe — so that they compare exactly with what the modality sends back
 * from the worklist. Dates are `YYYY-MM-DD`, instants ISO 8601 UTC.
 */
import { Type, type Static } from '@sinclair/typebox';
import { AeTitle, IsoDateTime, Uid, Urgency } from './common.ts';
import { INS_MATRICULE_PATTERN, INS_OIDS } from './ins.ts';

/** Request ids: made by the agent, unique across sites (time + 80 random bits). */
export const RequestId = Type.String({ pattern: '^rq-[0-9a-z]{8,12}-[0-9a-z]{16}$' });
export const ReportId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{5,63}$' });
/** DICOM SH: at most 16 characters, no backslash or control characters. */
export const AccessionNumber = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,15}$' });
export const BirthDate = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$' });
/** Strict INS trait text. */
export const TraitText = Type.String({ minLength: 1, maxLength: 100, pattern: "^[A-Z](?:[A-Z' -]*[A-Z])?$" });
export const InsOidSchema = Type.Union(Object.values(INS_OIDS).map((o) => Type.Literal(o)));
export const Sex = Type.Union([Type.Literal('M'), Type.Literal('F'), Type.Literal('O')]);
export type Sex = Static<typeof Sex>;
/** INSEE code of the birth commune (5 characters, Corsica 2A/2B, abroad 99xxx). */
export const BirthPlaceCode = Type.String({ pattern: '^(?:[0-9]{2}|2[AB])[0-9]{3}$' });
export const PhoneNumber = Type.String({ minLength: 4, maxLength: 20, pattern: '^\\+?[0-9 .()-]{4,20}$' });
export const EmailAddress = Type.String({ maxLength: 254, pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$' });
const FreeText = (max: number) => Type.String({ maxLength: max });

export const Ins = Type.Object({ matricule: Type.String({ pattern: INS_MATRICULE_PATTERN }), oid: InsOidSchema }, { additionalProperties: false });
export type Ins = Static<typeof Ins>;

export const PatientIdentity = Type.Object(
  {
    /** Absent for a patient whose INS could not be obtained (unidentified emergency). */
    ins: Type.Optional(Ins),
    birthNames: TraitText,
    /** First names of birth, separated by spaces; the first one is the first first name. */
    firstNames: TraitText,
    sex: Sex,
    birthDate: BirthDate,
    birthPlaceCode: Type.Optional(BirthPlaceCode),
    usedLastName: Type.Optional(TraitText),
    usedFirstName: Type.Optional(TraitText),
    /** The site's own patient identifier (IPP) and who issued it. */
    localId: Type.Object({ value: Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\\\\\x00-\\x1f]+$' }), issuer: Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\\\\\x00-\\x1f]+$' }) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
export type PatientIdentity = Static<typeof PatientIdentity>;

export const Requester = Type.Object(
  {
    name: Type.String({ minLength: 2, maxLength: 120 }),
    rpps: Type.Optional(Type.String({ pattern: '^[0-9]{11}$' })),
    service: Type.Optional(FreeText(120)),
    phone: PhoneNumber,
    email: Type.Optional(EmailAddress),
  },
  { additionalProperties: false },
);
export type Requester = Static<typeof Requester>;

export const RequestedExam = Type.Object(
  {
    examType: Type.String({ pattern: '^[a-z0-9-]{2,40}$' }),
    modality: Type.String({ pattern: '^[A-Z]{2}$' }),
    bodyPart: Type.String({ pattern: '^[A-Z]{2,16}$' }),
    /** When the exam should start (worklist Scheduled Procedure Step Start). */
    scheduledAt: IsoDateTime,
    /** The scanner that performs it (worklist Scheduled Station AE Title), when the site has several. */
    stationAeTitle: Type.Optional(AeTitle),
  },
  { additionalProperties: false },
);
export type RequestedExam = Static<typeof RequestedExam>;

export const ExamRequest = Type.Object(
  {
    requestId: RequestId,
    /** 1 at creation, +1 at each update (more information, corrections). */
    revision: Type.Integer({ minimum: 1, maximum: 1000 }),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
    accessionNumber: AccessionNumber,
    studyInstanceUid: Uid,
    urgency: Urgency,
    patient: PatientIdentity,
    clinical: Type.Object(
      {
        context: Type.String({ minLength: 3, maxLength: 4000 }),
        question: Type.String({ minLength: 3, maxLength: 2000 }),
        /** Contrast allergy, renal failure, pregnancy… */
        precautions: Type.Optional(FreeText(1000)),
        /** Answer to a "more information needed" question. */
        additionalInformation: Type.Optional(FreeText(4000)),
      },
      { additionalProperties: false },
    ),
    exam: RequestedExam,
    requester: Requester,
  },
  { additionalProperties: false },
);
export type ExamRequest = Static<typeof ExamRequest>;

export const RadiologistRef = Type.Object({ name: Type.String({ minLength: 1, maxLength: 120 }), rpps: Type.Optional(Type.String({ pattern: '^[0-9]{11}$' })) }, { additionalProperties: false });
export type RadiologistRef = Static<typeof RadiologistRef>;

export const AnswerDecision = Type.Union([Type.Literal('accepted'), Type.Literal('needs-information'), Type.Literal('declined')]);
export type AnswerDecision = Static<typeof AnswerDecision>;

export const ProtocolAnswer = Type.Object(
  {
    requestId: RequestId,
    answerId: Type.String({ pattern: '^[A-Za-z0-9._-]{6,64}$' }),
    /** The request revision this answers. */
    revision: Type.Integer({ minimum: 1 }),
    decision: AnswerDecision,
    protocol: Type.Optional(
      Type.Object({ templateId: Type.String({ maxLength: 64 }), templateLabel: Type.Object({ fr: Type.String(), en: Type.String() }), text: Type.String({ minLength: 1, maxLength: 4000 }) }, { additionalProperties: false }),
    ),
    /** needs-information: what the radiologist asks. */
    question: Type.Optional(Type.String({ minLength: 3, maxLength: 2000 })),
    /** declined: why. */
    reason: Type.Optional(Type.String({ minLength: 3, maxLength: 2000 })),
    radiologist: RadiologistRef,
    answeredAt: IsoDateTime,
  },
  { additionalProperties: false },
);
export type ProtocolAnswer = Static<typeof ProtocolAnswer>;

/** Patient attributes as the study carries them (DICOM values, decoded), for the report's check. */
export const PatientInStudy = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 200 })),
  id: Type.Optional(Type.String({ maxLength: 200 })),
  issuer: Type.Optional(Type.String({ maxLength: 200 })),
  birthDate: Type.Optional(Type.String({ maxLength: 16 })),
  sex: Type.Optional(Type.String({ maxLength: 16 })),
});
export type PatientInStudy = Static<typeof PatientInStudy>;

export const SignedReport = Type.Object(
  {
    reportId: ReportId,
    requestId: Type.Optional(RequestId),
    studyInstanceUid: Uid,
    accessionNumber: Type.Optional(Type.String({ maxLength: 64 })),
    patient: PatientInStudy,
    title: Type.String({ minLength: 1, maxLength: 200 }),
    /** The report body (findings), plain text. */
    text: Type.String({ minLength: 1, maxLength: 60_000 }),
    conclusion: Type.Optional(Type.String({ maxLength: 10_000 })),
    /** Critical finding: the clinician was (or must be) phoned. */
    critical: Type.Boolean(),
    radiologist: Type.Object({ name: Type.String({ minLength: 1, maxLength: 120 }), rpps: Type.String({ pattern: '^[0-9]{11}$' }) }, { additionalProperties: false }),
    signedAt: IsoDateTime,
    /** The printable report (application/pdf), base64; at most 16 MiB of PDF. */
    pdfBase64: Type.String({ minLength: 8, maxLength: 22_369_624, pattern: '^[A-Za-z0-9+/=]+$' }),
  },
  { additionalProperties: false },
);
export type SignedReport = Static<typeof SignedReport>;

/**
 * Why a study is held for reconciliation instead of being merged with a request:
 * no request matches its accession number or Study Instance UID; its accession and its Study
 * UID point at two different requests; or one of the identity attributes the modality sent
 * differs from (or lacks) the request's.
 */
export const HoldReason = Type.Union([
  Type.Literal('no-request'),
  Type.Literal('request-conflict'),
  Type.Literal('patient-id-differs'),
  Type.Literal('patient-name-differs'),
  Type.Literal('birth-date-differs'),
  Type.Literal('sex-differs'),
]);
export type HoldReason = Static<typeof HoldReason>;
export const HOLD_REASONS: readonly HoldReason[] = ['no-request', 'request-conflict', 'patient-id-differs', 'patient-name-differs', 'birth-date-differs', 'sex-differs'];

export const StudyMatch = Type.Object(
  {
    status: Type.Union([Type.Literal('matched'), Type.Literal('held')]),
    /** The request the study was compared with (matched, or held for an identity difference). */
    requestId: Type.Optional(RequestId),
    reasons: Type.Array(HoldReason, { maxItems: 10 }),
  },
  { additionalProperties: false },
);
export type StudyMatch = Static<typeof StudyMatch>;
