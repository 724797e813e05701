/** What the demo prints, in French (default) and English. */
const mb = (n: number) => (n / 1e6).toFixed(1);

export const texts = {
  fr: {
    noStudy: (d: string) => `Étude introuvable : ${d} (indiquez --study DOSSIER).`,
    emptyStudy: (d: string) => `Aucun fichier DICOM dans ${d}.`,
    started: (hub: string, dicom: number, dir: string) => `Hub démarré sur ${hub}, agent DICOM sur le port ${dicom} (AE RELAIS), données dans ${dir}`,
    operatorPage: (url: string) => `Page opérateur : ${url}`,
    logs: (hub: string, agent: string) => `Journaux : ${hub}, ${agent}`,
    dispatchPages: (cases: string, rota: string, mine: string) => `Dossiers (opérateur) : ${cases}\nTableau de garde (administrateur) : ${rota}\nMes dossiers (radiologue) : ${mine}`,
    assigned: (text: string) => `Examen attribué : ${text}`,
    notAssigned: (why: string) => `Examen non attribué : ${why}`,
    takenInCharge: (text: string) => `Le radiologue simulé prend l'examen en charge : ${text}`,
    sending: (n: number, d: string, bytes: number) => `Le simulateur de modalité envoie ${n} images (${mb(bytes)} Mo) depuis ${d} en C-STORE…`,
    progress: (n: number, total: number) => `Au hub : ${n}/${total} images`,
    arrivedKeepRunning: (url: string) => `Étude arrivée. Ouvrez ${url} — Ctrl-C pour arrêter.`,
    identical: (n: number) => `Les ${n} images sont au hub, identiques à ce que la modalité a envoyé (chaque élément, et les pixels au bit près une fois décompressés).`,
    notIdentical: `Des images manquent au hub ou diffèrent de ce que la modalité a envoyé.`,
    failed: (m: string) => `Échec de la démo : ${m}`,
  },
  en: {
    noStudy: (d: string) => `Study not found: ${d} (pass --study DIR).`,
    emptyStudy: (d: string) => `No DICOM file in ${d}.`,
    started: (hub: string, dicom: number, dir: string) => `Hub started at ${hub}, agent DICOM on port ${dicom} (AE RELAIS), data in ${dir}`,
    operatorPage: (url: string) => `Operator page: ${url}`,
    logs: (hub: string, agent: string) => `Logs: ${hub}, ${agent}`,
    dispatchPages: (cases: string, rota: string, mine: string) => `Cases (operator): ${cases}\nRota (administrator): ${rota}\nMy cases (radiologist): ${mine}`,
    assigned: (text: string) => `Study assigned: ${text}`,
    notAssigned: (why: string) => `Study not assigned: ${why}`,
    takenInCharge: (text: string) => `The simulated radiologist takes the study in charge: ${text}`,
    sending: (n: number, d: string, bytes: number) => `The modality simulator sends ${n} images (${mb(bytes)} MB) from ${d} over C-STORE…`,
    progress: (n: number, total: number) => `At the hub: ${n}/${total} images`,
    arrivedKeepRunning: (url: string) => `Study arrived. Open ${url} — Ctrl-C to stop.`,
    identical: (n: number) => `All ${n} images are at the hub, identical to what the modality sent (every element, and the pixels bit for bit once decompressed).`,
    notIdentical: `Some images are missing at the hub or differ from what the modality sent.`,
    failed: (m: string) => `Demo failed: ${m}`,
  },
};

export type DemoLang = keyof typeof texts;
