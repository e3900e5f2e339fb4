// Draws lakekey's icons (a key; the attention variant adds a dot) and writes them as PNGs with
// no dependencies: `node build/make-icons.mjs`. The PNGs are committed; rerun after changes.
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { join } from 'node:path';

const here = import.meta.dirname;

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

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
  const dx = u - 0.3, dy = v - 0.5, d = Math.hypot(dx, dy);
  const ring = d <= 0.2 && d >= 0.09;
  const shaft = u >= 0.45 && u <= 0.9 && Math.abs(v - 0.5) <= 0.055;
  const tooth1 = u >= 0.72 && u <= 0.79 && v >= 0.5 && v <= 0.68;
  const tooth2 = u >= 0.83 && u <= 0.9 && v >= 0.5 && v <= 0.62;
  return ring || shaft || tooth1 || tooth2;
}
const dot = (u, v) => Math.hypot(u - 0.8, v - 0.22) <= 0.17;
const roundedSquare = (u, v) => {
  const r = 0.2, cx = Math.min(Math.max(u, r), 1 - r), cy = Math.min(Math.max(v, r), 1 - r);
  return Math.hypot(u - cx, v - cy) <= r && u >= 0 && u <= 1 && v >= 0 && v <= 1;
};

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
const blue = [31, 111, 235], white = [255, 255, 255], black = [0, 0, 0], red = [207, 34, 46], grey = [60, 64, 72];

writeFileSync(join(here, 'icon.png'), draw(512, [[inset(roundedSquare, 0.06), blue], [inset(key, 0.16), white]]));
for (const [suffix, scale] of [['', 1], ['@2x', 2]]) {
  const s = 22 * scale;
  writeFileSync(join(here, 'tray', `ok${suffix}.png`), draw(s, [[key, grey]]));
  writeFileSync(join(here, 'tray', `attention${suffix}.png`), draw(s, [[key, grey], [dot, red]]));
  // macOS template images: black and alpha only; the system tints them.
  writeFileSync(join(here, 'tray', `okTemplate${suffix}.png`), draw(s, [[key, black]]));
  writeFileSync(join(here, 'tray', `attentionTemplate${suffix}.png`), draw(s, [[(u, v) => key(u, v) && !(Math.hypot(u - 0.8, v - 0.22) <= 0.22), black], [dot, black]]));
}
