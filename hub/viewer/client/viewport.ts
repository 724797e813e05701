/**
 * Where the image sits on the canvas, pure: canvas pixel = offset + image pixel × scale.
 * Fit (whole image, centred), zoom about a canvas point (that point stays put), pan, the
 * inverse mapping for pointer input, and distances in mm from PixelSpacing (row, column).
 */
export interface View {
  scale: number;
  offsetX: number;
  offsetY: number;
}

export interface Point {
  x: number;
  y: number;
}

export function fitView(imageW: number, imageH: number, canvasW: number, canvasH: number): View {
  const scale = Math.max(1e-3, Math.min(canvasW / imageW, canvasH / imageH));
  return { scale, offsetX: (canvasW - imageW * scale) / 2, offsetY: (canvasH - imageH * scale) / 2 };
}

export function zoomAt(v: View, factor: number, at: Point, min = 0.05, max = 40): View {
  const scale = Math.min(max, Math.max(min, v.scale * factor));
  const k = scale / v.scale;
  return { scale, offsetX: at.x - (at.x - v.offsetX) * k, offsetY: at.y - (at.y - v.offsetY) * k };
}

export function panBy(v: View, dx: number, dy: number): View {
  return { scale: v.scale, offsetX: v.offsetX + dx, offsetY: v.offsetY + dy };
}

export function toImage(v: View, p: Point): Point {
  return { x: (p.x - v.offsetX) / v.scale, y: (p.y - v.offsetY) / v.scale };
}

export function toCanvas(v: View, p: Point): Point {
  return { x: v.offsetX + p.x * v.scale, y: v.offsetY + p.y * v.scale };
}

/** Length of a segment in image pixels: in mm when the spacing is known, else in pixels. */
export function distance(a: Point, b: Point, spacing?: [number, number]): { value: number; unit: 'mm' | 'px' } {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  if (!spacing) return { value: Math.hypot(dx, dy), unit: 'px' };
  return { value: Math.hypot(dx * spacing[1], dy * spacing[0]), unit: 'mm' };
}
