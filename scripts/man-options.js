// The OPTIONS section of a man page, generated from the tool's --help (the
// usage text beside the option table in src/, which the table must match:
// test/packages/completions.test.ts checks that every option of the table is
// in the page and in the completion). The rest of each page is written by
// hand; the section sits between two marker comments and is rewritten by
// every build.
const fs = require('fs');

const BEGIN = '.\\" OPTIONS: generated from --help by scripts/man-options.js (edit the usage text in src/)';
const END = '.\\" end of the generated OPTIONS';

/** roff for plain text: backslashes and dashes escaped, <word> in italics */
function roff(text) {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/<([^<>]+)>/g, '\\fI$1\\fR')
    .replace(/^([.'])/, '\\&$1');
}

/** the spelling of an option, its names in bold */
function spec(text) {
  return roff(text).replace(/(^|[\s,[|])((?:\\-){1,2}[A-Za-z0-9](?:[A-Za-z0-9]|\\-)*)/g, '$1\\fB$2\\fR');
}

/** "Options:" of a --help text → [{ spec, text }] */
function parse(help) {
  const lines = help.split('\n');
  const start = lines.findIndex((l) => /^Options:$/.test(l));
  if (start < 0) throw new Error('no "Options:" in the --help text');
  const items = [];
  let current = null;
  // every option line after "Options:", through the blocks that follow
  // ("Limits:" and the like); a continuation is indented deeper
  for (const line of lines.slice(start + 1)) {
    const m = /^ {1,8}(-\S.*?)(?: {2,}(\S.*))?$/.exec(line);
    if (m) items.push(current = { spec: m[1], text: m[2] ? [m[2]] : [] });
    else if (current && /^ {9,}\S/.test(line)) current.text.push(line.trim());
    else current = null;
  }
  return items;
}

/** does the page describe this option spelling (-x or --long), roff-escaped? */
function mentions(page, name) {
  const escaped = name.replace(/-/g, '\\-');
  return new RegExp(escaped.replace(/\\/g, '\\\\') + '(?![A-Za-z0-9]|\\\\-[A-Za-z0-9])').test(page);
}

function items(list) {
  return list.flatMap((item) => ['.TP', spec(item.spec), ...item.text.map(roff)]);
}

/** Put the options into the page FILE. A page with an OPTIONS section of its
 * own, written by hand, gets at its end the options --help lists that it does
 * not describe; another gets an OPTIONS section after DESCRIPTION. */
function updateManPage(file, help) {
  const original = fs.readFileSync(file, 'utf8');
  let page = original;
  const b = page.indexOf(BEGIN);
  const e = page.indexOf(END);
  if (b >= 0 && e > b) page = page.slice(0, b) + page.slice(e + END.length + 1);
  const options = parse(help);
  let at;
  let lines;
  const own = page.search(/^\.SH OPTIONS$/m);
  if (own >= 0) {
    const missing = options.filter((o) => (o.spec.match(/(?<![\w-])--?[A-Za-z0-9][\w-]*/g) ?? []).some((n) => !mentions(page, n)));
    lines = missing.length ? [BEGIN, ...items(missing), END] : [];
    at = page.indexOf('\n.SH ', own + 1) + 1;
  } else {
    lines = [BEGIN, '.SH OPTIONS', ...items(options), END];
    const description = page.indexOf('\n.SH DESCRIPTION\n');
    at = description < 0 ? 0 : page.indexOf('\n.SH ', description + 1) + 1;
  }
  if (at <= 0) throw new Error(`${file}: no place for the OPTIONS`);
  const next = page.slice(0, at) + lines.map((l) => l + '\n').join('') + page.slice(at);
  if (next !== original) fs.writeFileSync(file, next);
}

module.exports = { updateManPage, parse, mentions };
