/**
 * Texts of the viewer page, French by default and English (same keys, checked by the type).
 * Plain data: used by the server for the page shell and bundled into the browser code.
 */
export type ViewerLang = 'fr' | 'en';

const fr = {
  title: 'Visionneuse',
  back: 'Mes examens',
  signOut: 'Se déconnecter',
  series: 'Séries',
  images: 'images',
  noSeries: 'Aucune série reçue pour cet examen.',
  toolWindow: 'Fenêtrage',
  toolPan: 'Déplacer',
  toolZoom: 'Zoom',
  toolMeasure: 'Mesure',
  presetDefault: 'Fenêtre de l’examen',
  preset_brain: 'Cerveau',
  preset_subdural: 'Sous-dural',
  preset_bone: 'Os',
  preset_lung: 'Poumon',
  reset: 'Réinitialiser',
  slice: 'Coupe',
  loading: 'Chargement',
  loaded: 'images chargées',
  loadedOne: 'image chargée',
  failed: 'échec(s)',
  unsupported: 'Image non affichable :',
  networkError: 'Le hub ne répond pas ; réessayez.',
  notFound: 'Examen inconnu.',
  help: 'Molette ou flèches : coupes · glisser : outil choisi · clic droit glissé : zoom · clic milieu : déplacer · 1–4 : fenêtres CT · R : réinitialiser',
  studyLabel: 'Examen',
  location: 'Pos.',
  thickness: 'Ép.',
} as const;

const en: Record<keyof typeof fr, string> = {
  title: 'Viewer',
  back: 'My cases',
  signOut: 'Sign out',
  series: 'Series',
  images: 'images',
  noSeries: 'No series received for this study.',
  toolWindow: 'Window',
  toolPan: 'Pan',
  toolZoom: 'Zoom',
  toolMeasure: 'Measure',
  presetDefault: 'Study window',
  preset_brain: 'Brain',
  preset_subdural: 'Subdural',
  preset_bone: 'Bone',
  preset_lung: 'Lung',
  reset: 'Reset',
  slice: 'Slice',
  loading: 'Loading',
  loaded: 'images loaded',
  loadedOne: 'image loaded',
  failed: 'failed',
  unsupported: 'Image cannot be shown:',
  networkError: 'The hub does not answer; try again.',
  notFound: 'Unknown study.',
  help: 'Wheel or arrows: slices · drag: chosen tool · right-drag: zoom · middle-drag: pan · 1–4: CT windows · R: reset',
  studyLabel: 'Study',
  location: 'Loc.',
  thickness: 'Thk.',
};

export type ViewerTextKey = keyof typeof fr;
export const VIEWER_TEXTS: Record<ViewerLang, Record<ViewerTextKey, string>> = { fr, en };
