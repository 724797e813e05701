/**
 * Series previews sent by the agent ahead of the pixel data (issue 4):
 *   PUT /api/v1/studies/:study/series/:series/preview   SeriesPreviewUpload → SeriesPreviewAck
 * Agent-authenticated, idempotent (the same series sent again replaces its preview). Images are
 * small WebP files (≤ 256 px, a few KB) in base64; no patient data beyond the pixels.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Uid } from './common.ts';

export const PREVIEW_ROUTE = (study: string, series: string) => `/api/v1/studies/${encodeURIComponent(study)}/series/${encodeURIComponent(series)}/preview`;

export const PreviewImage = Type.Object({
  /** CT preset name (brain, subdural, bone, lung), 'own', 'voi-lut', 'percentile' or 'rgb'. */
  window: Type.String({ maxLength: 32, pattern: '^[a-z0-9-]+$' }),
  sliceIndex: Type.Integer({ minimum: 0 }),
  width: Type.Integer({ minimum: 1, maximum: 1024 }),
  height: Type.Integer({ minimum: 1, maximum: 1024 }),
  /** The WebP file, base64. */
  webp: Type.String({ maxLength: 400_000, pattern: '^[A-Za-z0-9+/]+={0,2}$' }),
});
export type PreviewImage = Static<typeof PreviewImage>;

export const SeriesPreviewUpload = Type.Object({
  v: Type.Literal(1),
  studyInstanceUid: Uid,
  seriesInstanceUid: Uid,
  modality: Type.Optional(Type.String({ maxLength: 16 })),
  /** Slices of the series when the preview was made (the series may still grow). */
  sliceCount: Type.Integer({ minimum: 0 }),
  images: Type.Array(PreviewImage, { minItems: 1, maxItems: 48 }),
});
export type SeriesPreviewUpload = Static<typeof SeriesPreviewUpload>;

export const SeriesPreviewAck = Type.Object({
  studyInstanceUid: Uid,
  seriesInstanceUid: Uid,
  images: Type.Integer({ minimum: 0 }),
});
export type SeriesPreviewAck = Static<typeof SeriesPreviewAck>;
