/**
 * The study page with its previews (server-rendered, no script): each series' key slices in
 * their windows as soon as the agent sent them, beside the transfer progress of the full study
 * (instances at the hub / announced by the manifest). While the study is incomplete the page
 * reloads itself every 3 s (meta refresh: allowed by the hub's CSP, needs no script).
 * French by default, English with ?lang=en. Shows no patient identity (UIDs, modality, counts).
 */
import type { SeriesPreviewUpload } from '../../protocol/preview.ts';
import type { StudyRecord } from '../catalog/study-record.ts';

const T = {
  fr: {
    title: 'Étude',
    progress: (got: number, expected: number | null) => (expected === null ? `${got} images reçues (total encore inconnu)` : `${got} / ${expected} images reçues`),
    complete: 'Étude complète au hub.',
    waiting: 'Aucun aperçu encore : ils arrivent avant les images.',
    series: (m: string | undefined, n: number) => `Série ${m ?? ''} — ${n} coupes`,
  },
  en: {
    title: 'Study',
    progress: (got: number, expected: number | null) => (expected === null ? `${got} images received (total not known yet)` : `${got} / ${expected} images received`),
    complete: 'Study complete at the hub.',
    waiting: 'No preview yet: they arrive ahead of the images.',
    series: (m: string | undefined, n: number) => `Series ${m ?? ''} — ${n} slices`,
  },
} as const;

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function studyPreviewPage(lang: 'fr' | 'en', study: string, record: StudyRecord | undefined, previews: readonly SeriesPreviewUpload[]): string {
  const t = T[lang];
  const got = record?.instancesReceived ?? 0;
  const expected = record?.instancesExpected ?? null;
  const complete = record?.completedAt != null;
  const pct = expected ? Math.min(100, Math.round((100 * Math.min(got, expected)) / expected)) : 0;
  const series = previews
    .map((p) => {
      const imgs = p.images
        .map((im, i) => `<figure><img src="/studies/${esc(study)}/previews/${esc(p.seriesInstanceUid)}-${i}.webp" width="${im.width}" height="${im.height}" alt="${esc(im.window)} ${im.sliceIndex + 1}"><figcaption>${esc(im.window)} · ${im.sliceIndex + 1}</figcaption></figure>`)
        .join('');
      return `<section class="preview-series" data-series="${esc(p.seriesInstanceUid)}"><h2>${esc(t.series(p.modality, p.sliceCount))}</h2><div class="preview-images">${imgs}</div></section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8">${complete ? '' : '<meta http-equiv="refresh" content="3">'}
<title>${t.title} — Relais</title><link rel="stylesheet" href="/assets/style.css"></head>
<body><main>
<h1>${t.title}</h1>
<p class="study-progress" data-received="${got}" data-expected="${expected ?? ''}">${esc(complete ? t.complete : t.progress(got, expected))} <progress max="100" value="${complete ? 100 : pct}"></progress></p>
${series || `<p class="preview-waiting">${t.waiting}</p>`}
<p><a href="/studies/${esc(study)}${lang === 'fr' ? '?lang=en' : ''}">${lang === 'fr' ? 'English' : 'Français'}</a></p>
</main></body></html>
`;
}
