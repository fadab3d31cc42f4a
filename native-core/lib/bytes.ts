// Bytes the caller gave (argv, environment, /proc files) as JavaScript
// strings and back, losslessly: valid UTF-8 decodes as usual, and each byte
// that is not part of valid UTF-8 becomes the lone surrogate U+DC80+byte
// (Python's "surrogateescape"), which no valid UTF-8 decodes to. Messages
// and options then work on ordinary strings, and a non-UTF-8 path or
// argument reaches the kernel as the very bytes it came as.

/** How many bytes the UTF-8 sequence at b[i] takes, or 0 if it is not valid. */
function sequence(b: Buffer, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < b.length && b[i + k] >= lo && b[i + k] <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0; // not a UTF-16 surrogate
  if (c >= 0xe1 && c <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

export function decodeBytes(b: Buffer): string {
  const text = b.toString('utf8');
  if (!text.includes('\ufffd')) return text;
  let out = '';
  let from = 0;
  for (let i = 0; i < b.length; ) {
    const n = sequence(b, i);
    if (n) {
      i += n;
      continue;
    }
    out += b.toString('utf8', from, i) + String.fromCharCode(0xdc00 + b[i]);
    from = ++i;
  }
  return out + b.toString('utf8', from);
}

const ESCAPED = /[\udc80-\udcff]/;

export function encodeBytes(s: string): Buffer {
  if (!ESCAPED.test(s)) return Buffer.from(s, 'utf8');
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // an escape is a low surrogate with no high surrogate before it
    const lone = c >= 0xdc80 && c <= 0xdcff && !(i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff);
    if (!lone) continue;
    parts.push(Buffer.from(s.slice(from, i), 'utf8'), Buffer.of(c - 0xdc00));
    from = i + 1;
  }
  parts.push(Buffer.from(s.slice(from), 'utf8'));
  return Buffer.concat(parts);
}

/** NUL-separated words (/proc/PID/cmdline, /proc/PID/environ), decoded. */
export function nulWords(b: Buffer): string[] {
  // valid UTF-8 throughout (the usual case): one decode, no call per word
  const text = b.toString('utf8');
  if (!text.includes('\ufffd')) {
    const all = text.split('\0');
    if (all[all.length - 1] === '') all.pop();
    return all;
  }
  const words: string[] = [];
  let from = 0;
  for (let i = b.indexOf(0); i >= 0; i = b.indexOf(0, from)) {
    words.push(decodeBytes(b.subarray(from, i)));
    from = i + 1;
  }
  if (from < b.length) words.push(decodeBytes(b.subarray(from)));
  return words;
}
