/**
 * Structured logging (pino) with patient-data redaction (house rule 6).
 * Contract: fields that can identify a patient are replaced by "[redacted]" wherever they
 * appear in a log object (top level or one/two levels deep). Log level never changes behaviour.
 * Log identifiers that are not personal (study key hashes, SOP instance UID hashes) instead.
 */
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/** Keys that must never reach a log line, in any casing used in this code base. */
export const PHI_KEYS = [
  'patientName', 'PatientName', 'patientId', 'PatientID', 'patientBirthDate', 'PatientBirthDate',
  'patientSex', 'PatientSex', 'birthName', 'birthNames', 'firstNames', 'birthDate', 'birthPlace',
  'ins', 'insMatricule', 'matricule', 'otherPatientIds', 'OtherPatientIDs', 'patientAddress',
  'phone', 'email', 'accessionNumber', 'AccessionNumber', 'studyDescription', 'StudyDescription',
  'reportText', 'clinicalContext', 'clinicalQuestion', 'token', 'credential', 'password',
  'authorization', 'Authorization', 'privateKey', 'cookie',
];

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const k of PHI_KEYS) paths.push(k, `*.${k}`, `*.*.${k}`);
  paths.push('req.headers.authorization', 'req.headers.cookie');
  return paths;
}

export interface LoggerOptions {
  name: string;
  level?: string;
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      name: opts.name,
      level: opts.level ?? 'info',
      redact: { paths: redactPaths(), censor: '[redacted]' },
      base: { name: opts.name },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination,
  );
}

/** A logger that drops everything (tests that do not look at logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
