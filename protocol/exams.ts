/**
 * The exam catalogue both ends agree on: the exam types a site may request (modality, body part,
 * labels in French and English) and, per exam type, the protocol templates the radiologist picks
 * from when accepting a request. Codes are stable (they travel in messages and are stored);
 * labels may change. Pure data.
 */
export interface Text2Data {
  fr: string;
  en: string;
}

export interface ProtocolTemplate {
  id: string;
  label: Text2Data;
  /** Default acquisition protocol text, edited by the radiologist. */
  text: Text2Data;
}

export interface ExamType {
  code: string;
  modality: string;
  /** DICOM Body Part Examined (0018,0015) defined term. */
  bodyPart: string;
  label: Text2Data;
  templates: ProtocolTemplate[];
}

const t = (fr: string, en: string): Text2Data => ({ fr, en });

export const EXAM_TYPES: readonly ExamType[] = [
  {
    code: 'ct-head',
    modality: 'CT',
    bodyPart: 'HEAD',
    label: t('Scanner cérébral', 'Head CT'),
    templates: [
      { id: 'ct-head-plain', label: t('Sans injection', 'Non-contrast'), text: t('Hélice cérébrale sans injection, coupes de 1 mm, reconstructions parenchyme et os.', 'Non-contrast helical head, 1 mm slices, brain and bone reconstructions.') },
      { id: 'ct-head-stroke', label: t('Protocole AVC (angio-TDM des TSA et du polygone)', 'Stroke protocol (CT angiography of neck and circle of Willis)'), text: t('Hélice sans injection puis angio-TDM des troncs supra-aortiques au vertex, bolus tracking sur la crosse.', 'Non-contrast helical, then CT angiography from the aortic arch to the vertex, bolus tracking on the arch.') },
      { id: 'ct-head-contrast', label: t('Avec injection', 'With contrast'), text: t('Hélice sans puis avec injection à 90 s.', 'Helical before and 90 s after contrast.') },
    ],
  },
  {
    code: 'ct-chest',
    modality: 'CT',
    bodyPart: 'CHEST',
    label: t('Scanner thoracique', 'Chest CT'),
    templates: [
      { id: 'ct-chest-plain', label: t('Sans injection', 'Non-contrast'), text: t('Hélice thoracique sans injection, inspiration profonde.', 'Non-contrast chest helical, deep inspiration.') },
      { id: 'ct-chest-pe', label: t('Angio-TDM pulmonaire (embolie)', 'CT pulmonary angiography'), text: t('Angio-TDM des artères pulmonaires, bolus tracking sur le tronc pulmonaire.', 'CT pulmonary angiography, bolus tracking on the pulmonary trunk.') },
    ],
  },
  {
    code: 'ct-abdomen-pelvis',
    modality: 'CT',
    bodyPart: 'ABDOMEN',
    label: t('Scanner abdomino-pelvien', 'Abdomen and pelvis CT'),
    templates: [
      { id: 'ct-ap-portal', label: t('Temps portal', 'Portal venous phase'), text: t('Hélice abdomino-pelvienne au temps portal (70 s).', 'Abdomen and pelvis at the portal venous phase (70 s).') },
      { id: 'ct-ap-plain', label: t('Sans injection', 'Non-contrast'), text: t('Hélice abdomino-pelvienne sans injection.', 'Non-contrast abdomen and pelvis.') },
    ],
  },
  {
    code: 'ct-cervical-spine',
    modality: 'CT',
    bodyPart: 'CSPINE',
    label: t('Scanner du rachis cervical', 'Cervical spine CT'),
    templates: [{ id: 'ct-cspine-trauma', label: t('Traumatisme', 'Trauma'), text: t('Hélice du rachis cervical, reconstructions sagittales et coronales.', 'Cervical spine helical, sagittal and coronal reformats.') }],
  },
  {
    code: 'ct-whole-body',
    modality: 'CT',
    bodyPart: 'WHOLEBODY',
    label: t('Scanner corps entier (polytraumatisé)', 'Whole-body CT (major trauma)'),
    templates: [{ id: 'ct-trauma', label: t('Polytraumatisé', 'Major trauma'), text: t('Crâne et rachis cervical sans injection, puis thorax-abdomen-pelvis avec injection biphasique.', 'Non-contrast head and cervical spine, then split-bolus chest, abdomen and pelvis.') }],
  },
  {
    code: 'mr-brain',
    modality: 'MR',
    bodyPart: 'HEAD',
    label: t('IRM cérébrale', 'Brain MRI'),
    templates: [
      { id: 'mr-brain-stroke', label: t('Protocole AVC', 'Stroke protocol'), text: t('Diffusion, FLAIR, T2*, TOF du polygone.', 'Diffusion, FLAIR, T2*, TOF of the circle of Willis.') },
      { id: 'mr-brain-standard', label: t('Standard', 'Standard'), text: t('T1, T2, FLAIR, diffusion, T1 gadolinium 3D.', 'T1, T2, FLAIR, diffusion, post-gadolinium 3D T1.') },
    ],
  },
  {
    code: 'xr-chest',
    modality: 'DX',
    bodyPart: 'CHEST',
    label: t('Radiographie thoracique', 'Chest radiograph'),
    templates: [{ id: 'xr-chest-pa', label: t('Face (et profil)', 'PA (and lateral)'), text: t('Thorax de face debout, profil si possible.', 'Standing PA chest, lateral if possible.') }],
  },
];

export const EXAM_CODES: readonly string[] = EXAM_TYPES.map((e) => e.code);

export function examType(code: string): ExamType | undefined {
  return EXAM_TYPES.find((e) => e.code === code);
}

export function protocolTemplate(examCode: string, templateId: string): ProtocolTemplate | undefined {
  return examType(examCode)?.templates.find((p) => p.id === templateId);
}
