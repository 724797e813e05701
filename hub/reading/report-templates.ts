/**
 * Report templates per exam: the structure a radiologist starts from (title, findings,
 * conclusion), in French and English, edited freely afterwards. Pure data; `templatesFor`
 * lists those that fit a study's modality and body part first, the generic one always.
 */
import type { Text2Data } from '../../protocol/exams.ts';

export interface ReportTemplate {
  id: string;
  label: Text2Data;
  modalities: string[];
  bodyParts: string[];
  title: Text2Data;
  text: Text2Data;
  conclusion: Text2Data;
}

const t = (fr: string, en: string): Text2Data => ({ fr, en });

export const REPORT_TEMPLATES: readonly ReportTemplate[] = [
  {
    id: 'ct-stroke',
    label: t('Scanner cérébral — suspicion d’AVC', 'Head CT — suspected stroke'),
    modalities: ['CT'],
    bodyParts: ['HEAD', 'BRAIN'],
    title: t('Scanner cérébral et angio-TDM des TSA — alerte AVC', 'Head CT and CT angiography — stroke alert'),
    text: t(
      'Indication : déficit neurologique aigu, suspicion d’AVC.\nTechnique : hélice cérébrale sans injection, angio-TDM des troncs supra-aortiques et du polygone de Willis.\n\nParenchyme : pas d’hémorragie intracrânienne. Pas d’hypodensité systématisée récente. ASPECTS : 10.\nArtères : pas d’occlusion proximale (ICA, M1, M2, basilaire). Pas de sténose significative des TSA.\nPas d’effet de masse. Structures médianes en place.',
      'Indication: acute neurological deficit, suspected stroke.\nTechnique: non-contrast helical head CT, CT angiography of the neck and circle of Willis.\n\nParenchyma: no intracranial haemorrhage. No recent territorial hypodensity. ASPECTS: 10.\nArteries: no proximal occlusion (ICA, M1, M2, basilar). No significant stenosis of the neck arteries.\nNo mass effect. Midline structures in place.',
    ),
    conclusion: t('Pas d’hémorragie. Pas d’occlusion artérielle proximale.', 'No haemorrhage. No proximal arterial occlusion.'),
  },
  {
    id: 'ct-thorax',
    label: t('Scanner thoracique', 'Chest CT'),
    modalities: ['CT'],
    bodyParts: ['CHEST', 'THORAX', 'LUNG'],
    title: t('Scanner thoracique', 'Chest CT'),
    text: t(
      'Indication : \nTechnique : hélice thoracique avec injection au temps artériel pulmonaire.\n\nArtères pulmonaires : pas de défect endoluminal.\nParenchyme : pas de condensation, pas de nodule suspect.\nPlèvre : pas d’épanchement. Pas de pneumothorax.\nMédiastin : pas d’adénomégalie.',
      'Indication: \nTechnique: helical chest CT with contrast at the pulmonary arterial phase.\n\nPulmonary arteries: no filling defect.\nParenchyma: no consolidation, no suspicious nodule.\nPleura: no effusion. No pneumothorax.\nMediastinum: no enlarged lymph node.',
    ),
    conclusion: t('Pas d’embolie pulmonaire. Pas d’anomalie parenchymateuse aiguë.', 'No pulmonary embolism. No acute parenchymal abnormality.'),
  },
  {
    id: 'generic',
    label: t('Compte rendu libre', 'Free report'),
    modalities: [],
    bodyParts: [],
    title: t('Compte rendu de téléradiologie', 'Teleradiology report'),
    text: t('Indication : \nTechnique : \n\nRésultats : ', 'Indication: \nTechnique: \n\nFindings: '),
    conclusion: t('', ''),
  },
];

export function reportTemplate(id: string | undefined): ReportTemplate | undefined {
  return REPORT_TEMPLATES.find((x) => x.id === id);
}

/** Templates fitting the study first (modality and body part), then the generic. */
export function templatesFor(modality: string | undefined, bodyPart: string | undefined): ReportTemplate[] {
  const fits = (x: ReportTemplate) => x.modalities.length > 0 && (!modality || x.modalities.includes(modality)) && (!bodyPart || x.bodyParts.includes(bodyPart.toUpperCase()));
  return [...REPORT_TEMPLATES.filter(fits), ...REPORT_TEMPLATES.filter((x) => !fits(x))];
}
