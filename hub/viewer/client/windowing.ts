/**
 * Grey-level display of one decoded frame, pure (runs in the browser and in unit tests):
 * modality values (stored × slope + intercept, computed by pixels.ts) through a linear VOI
 * window (PS3.3 C.11.2.1.2.1, rounded to the nearest 8-bit level), MONOCHROME1 inverted after
 * the window, into RGBA for a canvas. CT presets in HU (center/width): brain 40/80, subdural
 * 75/215, bone 600/2800, lung −600/1500 (the agent's previews use the same values).
 * Contract: same inputs, same bytes; a table over the frame's stored range keeps a 512×512
 * render to one lookup per pixel, so free window/level can redraw on every mouse move.
 */
import type { DecodedFrame, GreyFrame, Window } from './pixels.ts';

export type { Window };

export type PresetName = 'brain' | 'subdural' | 'bone' | 'lung';

export const CT_PRESETS: Readonly<Record<PresetName, Window>> = {
  brain: { center: 40, width: 80 },
  subdural: { center: 75, width: 215 },
  bone: { center: 600, width: 2800 },
  lung: { center: -600, width: 1500 },
};

export const PRESET_NAMES = Object.keys(CT_PRESETS) as PresetName[];

/** 8-bit display level of one modality value through a linear window (PS3.3 C.11.2.1.2.1). */
export function greyLevel(value: number, w: Window): number {
  const c = w.center - 0.5;
  const width = w.width - 1;
  if (width <= 0) return value <= c ? 0 : 255;
  if (value <= c - width / 2) return 0;
  if (value > c + width / 2) return 255;
  return Math.round(((value - c) / width + 0.5) * 255);
}

/** The window a frame is shown with before anyone touches it: its own first VOI, else its full range. */
export function defaultWindow(f: GreyFrame): Window {
  const own = f.windows[0];
  if (own && own.width > 0) return own;
  const lo = Math.min(f.minStored * f.slope + f.intercept, f.maxStored * f.slope + f.intercept);
  const hi = Math.max(f.minStored * f.slope + f.intercept, f.maxStored * f.slope + f.intercept);
  return { center: (lo + hi) / 2, width: Math.max(1, hi - lo + 1) };
}

/** Display level per stored value, over [minStored, maxStored] (index = stored − minStored). */
export function windowTable(f: GreyFrame, w: Window): Uint8Array {
  const table = new Uint8Array(f.maxStored - f.minStored + 1);
  for (let s = f.minStored; s <= f.maxStored; s++) {
    const y = greyLevel(s * f.slope + f.intercept, w);
    table[s - f.minStored] = f.monochrome1 ? 255 - y : y;
  }
  return table;
}

/** Paints a frame into RGBA (length = 4 × pixels); grey frames through `w`, colour ones as they are. */
export function renderRgba(f: DecodedFrame, w: Window | undefined, out: Uint8ClampedArray): void {
  const n = f.width * f.height;
  if (f.kind === 'rgb') {
    const rgb = f.rgb;
    for (let i = 0, j = 0; i < n; i++, j += 4) {
      out[j] = rgb[i * 3]!;
      out[j + 1] = rgb[i * 3 + 1]!;
      out[j + 2] = rgb[i * 3 + 2]!;
      out[j + 3] = 255;
    }
    return;
  }
  const table = windowTable(f, w ?? defaultWindow(f));
  const s = f.samples;
  const min = f.minStored;
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    const y = table[s[i]! - min]!;
    out[j] = y;
    out[j + 1] = y;
    out[j + 2] = y;
    out[j + 3] = 255;
  }
}

/**
 * Free window/level by mouse drag from where the drag started: right widens, left narrows;
 * down raises the center (brighter tissue goes darker), up lowers it. `perPixel` is how many
 * modality units one screen pixel moves (callers scale it to the frame's range).
 */
export function dragWindow(start: Window, dx: number, dy: number, perPixel: number): Window {
  return { center: start.center + dy * perPixel, width: Math.max(1, start.width + dx * perPixel) };
}
