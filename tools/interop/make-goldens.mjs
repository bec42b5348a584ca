// Reference encodings of real Hugging Face tokenizer.json files, for PluginMoE's interop tests
// (tests/PluginMoE.Core.Tests/Fixtures/tokenizers/*.golden.json).
// For a fixed set of texts, each file is encoded and decoded by two implementations of the format:
//   - the Hugging Face `tokenizers` library itself (Rust 0.22, through the npm binding @anush008/tokenizers),
//     whose results are the goldens, and
//   - transformers.js (@huggingface/transformers, an independent JavaScript implementation), recorded beside them
//     wherever it disagrees (`ids_transformers_js`, ...), so a disagreement between the two references is visible.
// Usage (node >= 20; see tools/interop/README.md):  node make-goldens.mjs OUT_DIR NAME=path/to/tokenizer.json ...
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const rust = require('@anush008/tokenizers');
const { PreTrainedTokenizer } = await import('@huggingface/transformers');

// The texts: one per kind of input the brief names. Added tokens of each file are appended per file below.
const TEXTS = [
  ['empty', ''],
  ['ascii', 'Hello world! The quick brown fox jumps over the lazy dog.'],
  ['accents', 'Café naïve résumé, Ångström, Straße, façade, ÉCOLE, Œuvre, Ñandú'],
  ['decomposed', 'Cafe\u0301 re\u0301sume\u0301 A\u030angstro\u0308m'],
  ['cjk', '你好，世界！日本語のテキストとカタカナ。한국어 텍스트입니다.'],
  ['emoji', 'I \u2764\ufe0f emoji 😀😃👍🏽 family 👨‍👩‍👧‍👦 flags 🇫🇷🇯🇵 😀abc x😀y'],
  ['astral', '𝒜𝒷𝒸 math 𝐁𝐨𝐥𝐝 digits 𝟘𝟙𝟚𝟛 rare CJK 𠀋𠀍𠀎 Gothic 𐌰𐌱'],
  ['code', 'def f(x):\n    return x**2  # square\n\tif (a && b) { c[i] += 0x1F; }\n// <b>tag</b> a->b a::b @decorator $var'],
  ['whitespace', 'a  b   c    d\t\t e \u00a0f\u3000g  \u2003h   '],
  ['newlines', 'line1\nline2\r\nline3\n\n\nend\n \n\t\n'],
  ['leading', '   leading and trailing   '],
  ['digits', '1234567890 3.14159 1,000,000 2026-12-01 007 ١٢٣٤ ２３４ ⅷ ½'],
  ['contractions', "I'm you're he's we've they'll I'd can't DON'T It'S o'clock rock'n'roll"],
  ['invalid', '\u0000\u0001\u007f control \ufffd replacement \u200b zero\u200dwidth \u00ad soft \u2028sep'],
  ['long', 'antidisestablishmentarianism supercalifragilisticexpialidocious pneumonoultramicroscopicsilicovolcanoconiosis'],
  ['punct', '...!!! ??? --- *** ((( ))) """ \'\'\' «guillemets» „quotes“ — – … ¿¡'],
  ['mixed', 'Hello, 世界! 42 émojis 🎉 and tabs\tand\nnewlines — done.'],
];

function specialTexts(tj) {
  const added = tj.added_tokens ?? [];
  const special = added.filter(t => t.special).map(t => t.content);
  const plain = added.filter(t => !t.special).map(t => t.content);
  const out = [];
  if (special.length > 0) {
    const a = special[0], b = special[Math.min(1, special.length - 1)];
    out.push(['special', `${a}Hello ${b} world${a}`]);
    out.push(['special_adjacent', `x${a}${b}y ${a} z`]);
    out.push(['special_partial', `${a.slice(0, a.length - 1)} and ${a}`]);
  }
  if (plain.length > 0) out.push(['added_nonspecial', `say ${plain[0]} then${plain[Math.min(1, plain.length - 1)]}end`]);
  return out;
}

async function main() {
  const [outDir, ...specs] = process.argv.slice(2);
  if (!outDir || specs.length === 0) {
    console.error('usage: node make-goldens.mjs OUT_DIR NAME=path/to/tokenizer.json [NAME=...]');
    process.exit(2);
  }
  fs.mkdirSync(outDir, { recursive: true });
  for (const spec of specs) {
    const [name, file] = spec.split('=');
    const raw = fs.readFileSync(file);
    const tj = JSON.parse(raw.toString('utf8'));
    const rt = rust.Tokenizer.fromString(raw.toString('utf8'));
    const configPath = path.join(path.dirname(file), 'tokenizer_config.json');
    const config = fs.existsSync(configPath) ? JSON.parse(fs.readFileSync(configPath, 'utf8')) : {};
    let js = null;
    try { js = new PreTrainedTokenizer(tj, config); } catch (e) { console.error(`${name}: transformers.js cannot load it: ${e.message}`); }
    const cases = [];
    let jsDisagree = 0;
    for (const [id, text] of [...TEXTS, ...specialTexts(tj)]) {
      const plain = await rt.encode(text, null, { addSpecialTokens: false });
      const withSpecial = await rt.encode(text, null, { addSpecialTokens: true });
      const ids = Array.from(plain.getIds());
      const c = {
        id, text, ids,
        ids_with_special: Array.from(withSpecial.getIds()),
        decoded: await rt.decode(ids, false),
      };
      // Decoding a prefix that ends inside a multi-byte character (the lossy U+FFFD path), where there is one.
      if (ids.length > 1) {
        const cut = ids.slice(0, ids.length - 1);
        c.decoded_prefix = await rt.decode(cut, false);
      }
      if (js) {
        const jIds = js.encode(text, { add_special_tokens: false });
        const jWith = js.encode(text, { add_special_tokens: true });
        const jDec = ids.length === 0 ? '' : js.decode(ids, { skip_special_tokens: false });
        if (JSON.stringify(jIds) !== JSON.stringify(c.ids)) { c.ids_transformers_js = jIds; jsDisagree++; }
        if (JSON.stringify(jWith) !== JSON.stringify(c.ids_with_special)) c.ids_with_special_transformers_js = jWith;
        if (jDec !== c.decoded) c.decoded_transformers_js = jDec;
      }
      cases.push(c);
    }
    const golden = {
      tokenizer: name,
      source_sha256: crypto.createHash('sha256').update(raw).digest('hex'),
      reference: 'Hugging Face tokenizers 0.22 (Rust, via @anush008/tokenizers 0.6.0); *_transformers_js: @huggingface/transformers 4.3.2 where it differs',
      cases,
    };
    const out = path.join(outDir, `${name}.golden.json`);
    fs.writeFileSync(out, JSON.stringify(golden, null, 1) + '\n');
    console.log(`${name}: ${cases.length} texts, transformers.js disagrees on ${jsDisagree} -> ${out}`);
  }
}

await main();
