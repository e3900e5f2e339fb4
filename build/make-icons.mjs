// Draws lakekey's icons and writes them as PNGs with no dependencies: `node build/make-icons.mjs`.
// The PNGs are committed; rerun after changes.
//
// Tray icons (build/tray/<state>.png, @2x): one per tray state — ok, expiring, renewing, login,
// error. The key is light with a dark rim, so it reads on light and on dark panels alike (a grey
// key vanished on dark ones); each state other than ok adds a badge at the top right that differs
// in colour AND shape (clock, ring, keyhole, exclamation mark), so the states stay apart for
// colour-blind users too. macOS gets <state>Template.png: black and alpha only, tinted by the system.
// test/unit/app/tray-icons.test.ts decodes them and checks contrast and distinctness.
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import { join } from 'node:path';

const here = import.meta.dirname;

export const TRAY_STATES = ['ok', 'expiring', 'renewing', 'login', 'error'];

function png(size, pixel) {
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x, y);
      raw.set([r, g, b, a], y * (size * 4 + 1) + 1 + x * 4);
    }
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// Shapes in a unit square (0..1). The key: a ring at the left, a shaft to the right, two teeth.
function key(u, v) {
  const dx = u - 0.3,
    dy = v - 0.5,
    d = Math.hypot(dx, dy);
  const ring = d <= 0.2 && d >= 0.09;
  const shaft = u >= 0.45 && u <= 0.9 && Math.abs(v - 0.5) <= 0.06;
  const tooth1 = u >= 0.72 && u <= 0.79 && v >= 0.5 && v <= 0.7;
  const tooth2 = u >= 0.83 && u <= 0.9 && v >= 0.5 && v <= 0.64;
  return ring || shaft || tooth1 || tooth2;
}
const roundedSquare = (u, v) => {
  const r = 0.2,
    cx = Math.min(Math.max(u, r), 1 - r),
    cy = Math.min(Math.max(v, r), 1 - r);
  return Math.hypot(u - cx, v - cy) <= r && u >= 0 && u <= 1 && v >= 0 && v <= 1;
};
/** The shape grown by `r` (a rim around it). */
const grow = (shape, r) => (u, v) => {
  if (shape(u, v)) return true;
  for (let k = 0; k < 16; k++) {
    const a = (k / 16) * 2 * Math.PI;
    if (shape(u + r * Math.cos(a), v + r * Math.sin(a)) || shape(u + (r / 2) * Math.cos(a), v + (r / 2) * Math.sin(a))) return true;
  }
  return false;
};
const and = (a, b) => (u, v) => a(u, v) && b(u, v);
const not = (a) => (u, v) => !a(u, v);

// The badge: a disc at the top right, and a glyph on it per state.
const BX = 0.76,
  BY = 0.25,
  BR = 0.24;
const disc = (u, v) => Math.hypot(u - BX, v - BY) <= BR;
const segment = (x1, y1, x2, y2, w) => (u, v) => {
  const dx = x2 - x1,
    dy = y2 - y1;
  const t = Math.max(0, Math.min(1, ((u - x1) * dx + (v - y1) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(u - (x1 + t * dx), v - (y1 + t * dy)) <= w;
};
const GLYPHS = {
  // Clock hands: twelve o'clock and three o'clock.
  expiring: (u, v) => segment(BX, BY, BX, BY - 0.15, 0.04)(u, v) || segment(BX, BY, BX + 0.11, BY, 0.04)(u, v),
  // A ring with a gap (a circular arrow, in spirit).
  renewing: (u, v) => {
    const d = Math.hypot(u - BX, v - BY);
    return d <= 0.15 && d >= 0.08 && !(u > BX && v < BY);
  },
  // A keyhole: a round head and a foot.
  login: (u, v) => Math.hypot(u - BX, v - (BY - 0.05)) <= 0.07 || (Math.abs(u - BX) <= 0.035 && v >= BY - 0.05 && v <= BY + 0.14),
  // An exclamation mark.
  error: (u, v) => segment(BX, BY - 0.15, BX, BY + 0.03, 0.04)(u, v) || Math.hypot(u - BX, v - (BY + 0.13)) <= 0.045,
};
const BADGE = { expiring: [255, 196, 0], renewing: [56, 139, 253], login: [163, 113, 247], error: [248, 81, 73] };
const GLYPH = { expiring: [32, 32, 32], renewing: [255, 255, 255], login: [255, 255, 255], error: [255, 255, 255] };

/** Supersampled coverage of `shape` at pixel (x, y). */
function cover(size, x, y, shape) {
  let n = 0;
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) if (shape((x + (i + 0.5) / 4) / size, (y + (j + 0.5) / 4) / size)) n++;
  return n / 16;
}

function draw(size, layers) {
  return png(size, (x, y) => {
    let out = [0, 0, 0, 0];
    for (const [shape, [r, g, b]] of layers) {
      const a = cover(size, x, y, shape);
      if (!a) continue;
      const oa = out[3] / 255;
      const na = a + oa * (1 - a);
      out = [(r * a + out[0] * oa * (1 - a)) / na, (g * a + out[1] * oa * (1 - a)) / na, (b * a + out[2] * oa * (1 - a)) / na, na * 255].map(Math.round);
    }
    return out;
  });
}

const inset = (shape, m) => (u, v) => shape((u - m) / (1 - 2 * m), (v - m) / (1 - 2 * m));
const blue = [31, 111, 235],
  white = [255, 255, 255],
  black = [0, 0, 0],
  rim = [28, 28, 32],
  light = [246, 246, 248];

/** The layers of one tray state, for panels of either colour. */
function trayLayers(state, rimWidth) {
  const layers = [
    [grow(key, rimWidth), rim],
    [key, light],
  ];
  if (state === 'ok') return layers;
  // The badge's rim also cuts the key beneath it, so the two never merge.
  return [...layers, [grow(disc, rimWidth), rim], [disc, BADGE[state]], [GLYPHS[state], GLYPH[state]]];
}

/** The template image of one state: black key; the badge as a black disc with its glyph cut out. */
function templateLayers(state) {
  if (state === 'ok') return [[key, black]];
  const gap = grow(disc, 0.07);
  return [
    [and(key, not(gap)), black],
    [and(disc, not(GLYPHS[state])), black],
  ];
}

if (process.argv[1] === import.meta.filename) {
  writeFileSync(
    join(here, 'icon.png'),
    draw(512, [
      [inset(roundedSquare, 0.06), blue],
      [inset(key, 0.16), white],
    ]),
  );
  for (const [suffix, scale] of [
    ['', 1],
    ['@2x', 2],
  ]) {
    const s = 22 * scale;
    // A rim of about 1.5 px at either size.
    const rimWidth = 1.5 / s + 0.02;
    for (const state of TRAY_STATES) {
      writeFileSync(join(here, 'tray', `${state}${suffix}.png`), draw(s, trayLayers(state, rimWidth)));
      writeFileSync(join(here, 'tray', `${state}Template${suffix}.png`), draw(s, templateLayers(state)));
    }
  }
}
