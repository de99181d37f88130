// Regenerates the extra tokenizer vectors in this directory with OpenAI's tiktoken itself (the npm
// package tiktoken@1.0.22, Rust compiled to WASM, so Rust regex semantics and Unicode 16):
//
//   npm install tiktoken@1.0.22 && node generate_vectors.cjs
//
// unicode16.jsonl: the first, middle and last code point of each range in
//   src/tokenizer/unicode16_delta.h, in contexts whose ids depend on the code point's class.
// fuzz.jsonl: random mixtures of contractions, whitespace of every kind, digits, scripts, emoji,
//   special-token strings and random scalar values from every plane (fixed seed).
// Each line: {"name", "text", "ids" (encode_ordinary), "ids_special" (all specials allowed)}.
const fs = require("fs");
const path = require("path");
const { Tiktoken } = require("tiktoken/lite");
const o200k = require("tiktoken/encoders/o200k_base.json");

const named = {199998: "<|startoftext|>", 199999: "<|endoftext|>", 200002: "<|return|>", 200003: "<|constrain|>",
               200005: "<|channel|>", 200006: "<|start|>", 200007: "<|end|>", 200008: "<|message|>", 200012: "<|call|>"};
// As tiktoken's o200k_harmony: o200k_base's specials (<|endoftext|>, <|endofprompt|> = 200018), then
// harmony's names and the reserved range (which names 200018 <|reserved_200018|> as well).
const specials = {...o200k.special_tokens};
for (let id = 199998; id < 201088; id++) specials[named[id] ?? `<|reserved_${id}|>`] = id;
const enc = new Tiktoken(o200k.bpe_ranks, specials, o200k.pat_str);

const line = (name, text) => JSON.stringify({name, text, ids: Array.from(enc.encode_ordinary(text)),
                                            ids_special: Array.from(enc.encode(text, "all"))});

// unicode16.jsonl, from the ranges of the generated header.
const header = fs.readFileSync(path.join(__dirname, "../../../src/tokenizer/unicode16_delta.h"), "utf8");
const ranges = [...header.matchAll(/\{0x([0-9A-F]+), 0x([0-9A-F]+), 0x[0-9A-F]+\}/g)].map(m => [parseInt(m[1], 16), parseInt(m[2], 16)]);
const probes = [];
for (const [first, last] of ranges) {
  for (const c of new Set([first, (first + last) >> 1, last])) {
    const x = String.fromCodePoint(c);
    probes.push(line(`U+${c.toString(16).toUpperCase()}`, `x${x}'s ${x}'S a${x}b 1${x}${x}${x}${x}2 '${x}x ${x}\n`));
  }
}
fs.writeFileSync(path.join(__dirname, "unicode16.jsonl"), probes.join("\n") + "\n");

// fuzz.jsonl
let seed = 20260;
const rnd = (n) => {  // mulberry32
  seed = (seed + 0x6D2B79F5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) % n;
};
const pieces = [" ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", "\r", "\u000B", "\u00A0", "\u3000", "\u0085", "\u2028", "\u2009",
  "\uFEFF", "\u200B", "\u180E", "\u001C", "\u001F", "'s", "'S", "'ll", "'LL", "'re", "'Ve", "'m", "'D", "'t", "'x", "'",
  "\u017F", "the", "The", "THE", "hello", "World", "HTTPServer", "iPhone", "na\u00EFve", "e\u0301", "\u01C5", "\u1E9E",
  "123", "4567", "\u0663\u0664", "\uFF11", "\u00B2", "\u2167", "!", "...", "//", "/", "#", "{", "});", "<|end|>",
  "<|start|>", "<|reserved_200018|>", "<|endofprompt|>", "<|bogus|>", "<|", "|>", "\u4E2D\u6587", "\u65E5\u672C\u8A9E",
  "\uD55C\uAD6D\uC5B4", "\u0420\u0443\u0441", "\u0627\u0644\u0639\u0631\u0628\u064A\u0629", "\uD83D\uDE00",
  "\uD83D\uDC4B\uD83C\uDFFD", "\uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67", "\uD807\uDF04", "\uD83C\uDDFA\uD83C\uDDF8"];
const randomScalar = () => { let c; do { c = rnd(0x110000); } while (c >= 0xD800 && c < 0xE000); return c; };
const fuzz = [];
for (let i = 0; i < 2000; i++) {
  let text = "";
  const n = 1 + rnd(16);
  for (let k = 0; k < n; k++) {
    const r = rnd(10);
    if (r < 6) text += pieces[rnd(pieces.length)];
    else if (r < 8) text += String.fromCodePoint(randomScalar());
    else text += String.fromCodePoint(32 + rnd(95));
  }
  fuzz.push(line(`fuzz_${i}`, text));
}
fs.writeFileSync(path.join(__dirname, "fuzz.jsonl"), fuzz.join("\n") + "\n");
console.log(`${probes.length} unicode16 probes, ${fuzz.length} fuzz cases`);
