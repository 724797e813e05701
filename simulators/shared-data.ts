/**
 * Where the simulators find the shared, de-identified DICOM data: $RELAIS_TEST_DATA, else
 * `../shared/data/dicom` beside the repository (the layout of the developers' machines and CI).
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function sharedDicomDir(): string {
  return process.env.RELAIS_TEST_DATA ?? resolve(fileURLToPath(new URL('../..', import.meta.url)), 'shared', 'data', 'dicom');
}

/** The shared CT series the demo and the modality simulator send by default. */
export function sharedCtDir(): string {
  return join(sharedDicomDir(), 'ct-philips-ingenuity-phantom');
}
