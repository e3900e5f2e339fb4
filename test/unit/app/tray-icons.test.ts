// The tray icons as a person sees them: for every state the file exists, reads on a light
// (#f0f0f0) and on a dark (#202020) panel, and differs from every other state. The PNGs are
// decoded here with zlib alone (build/make-icons.mjs writes them without dependencies too).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { inflateSync } from 'node:zlib';
import { TRAY_STATES, type TrayState } from '../../../main/app/menu-model.js';
import { trayIconFile } from '../../../main/app/tray.js';
import { REPO } from '../../helpers/cli.js';

interface Image {
  width: number;
  height: number;
  /** RGBA, row by row. */
  rgba: Uint8Array;
}

/** Decodes an 8-bit RGBA, non-interlaced PNG (what make-icons writes), undoing every filter type. */
function decodePng(file: string): Image {
  const buf = readFileSync(file);
  assert.deepEqual([...buf.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], `${file} is not a PNG`);
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  for (let o = 8; o < buf.length;) {
    const len = buf.readUInt32BE(o);
    const type = buf.toString('latin1', o + 4, o + 8);
    const data = buf.subarray(o + 8, o + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.deepEqual([data[8], data[9], data[12]], [8, 6, 0], `${file}: expected 8-bit RGBA, not interlaced`);
    }
    if (type === 'IDAT') idat.push(data);
    o += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const rgba = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const left = i >= 4 ? rgba[y * stride + i - 4] : 0;
      const up = y ? rgba[(y - 1) * stride + i] : 0;
      const upLeft = y && i >= 4 ? rgba[(y - 1) * stride + i - 4] : 0;
      const paeth = () => {
        const p = left + up - upLeft;
        const [a, b, c] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
        return a <= b && a <= c ? left : b <= c ? up : upLeft;
      };
      const predictor = [0, left, up, (left + up) >> 1, filter === 4 ? paeth() : 0][filter];
      rgba[y * stride + i] = (raw[y * (stride + 1) + 1 + i] + predictor) & 255;
    }
  }
  return { width, height, rgba };
}

const luminance = ([r, g, b]: number[]) => {
  const lin = (c: number) => (c / 255 <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
};
/** WCAG contrast ratio of two colours. */
const contrast = (a: number[], b: number[]) => {
  const [l1, l2] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (l1 + 0.05) / (l2 + 0.05);
};

const LIGHT = [0xf0, 0xf0, 0xf0];
const DARK = [0x20, 0x20, 0x20];

/** Of the icon's drawn pixels (alpha ≥ 50 %), the share that stands out from the panel (contrast ≥ 3:1, WCAG's bar for graphics). */
function visibleShare(img: Image, panel: number[]): number {
  let drawn = 0;
  let visible = 0;
  for (let i = 0; i < img.rgba.length; i += 4) {
    const a = img.rgba[i + 3] / 255;
    if (a < 0.5) continue;
    drawn++;
    const seen = [0, 1, 2].map((c) => img.rgba[i + c] * a + panel[c] * (1 - a));
    if (contrast(seen, panel) >= 3) visible++;
  }
  return drawn ? visible / drawn : 0;
}

const file = (state: TrayState, platform: NodeJS.Platform, suffix = '') =>
  join(REPO, 'build', 'tray', trayIconFile(state, platform).replace(/\.png$/, `${suffix}.png`));

test('every tray state has an icon that reads on light and on dark panels (Linux, Windows)', () => {
  for (const state of TRAY_STATES) {
    for (const suffix of ['', '@2x']) {
      const img = decodePng(file(state, 'linux', suffix));
      assert.equal(img.width, suffix ? 44 : 22);
      for (const [name, panel] of [
        ['light', LIGHT],
        ['dark', DARK],
      ] as const) {
        const share = visibleShare(img, panel);
        // A third of the drawn pixels standing out is a clear outline; the old grey key had 0 % on dark panels.
        assert.ok(share >= 0.35, `${state}${suffix} on a ${name} panel: only ${Math.round(share * 100)} % of its pixels stand out`);
      }
    }
  }
});

test('the tray states look different from each other', () => {
  const images = TRAY_STATES.map((s) => [s, decodePng(file(s, 'linux', '@2x'))] as const);
  for (const [i, [a, ia]] of images.entries()) {
    for (const [b, ib] of images.slice(i + 1)) {
      let differing = 0;
      for (let p = 0; p < ia.rgba.length; p += 4) {
        if ([0, 1, 2, 3].some((c) => Math.abs(ia.rgba[p + c] - ib.rgba[p + c]) > 60)) differing++;
      }
      assert.ok(differing >= 40, `${a} and ${b} differ in only ${differing} pixels`);
    }
  }
});

test('macOS template images: black and alpha only, one per state, shapes differ', () => {
  const masks = TRAY_STATES.map((s) => {
    assert.match(trayIconFile(s, 'darwin'), /Template\.png$/);
    const img = decodePng(file(s, 'darwin'));
    for (let i = 0; i < img.rgba.length; i += 4)
      assert.deepEqual([img.rgba[i], img.rgba[i + 1], img.rgba[i + 2]], [0, 0, 0], `${s}: a template image must be black`);
    return img.rgba.filter((_, i) => i % 4 === 3);
  });
  for (const [i, a] of masks.entries()) {
    for (const b of masks.slice(i + 1))
      assert.ok(
        a.some((v, k) => Math.abs(v - b[k]) > 100),
        'two template states share one shape',
      );
  }
});
