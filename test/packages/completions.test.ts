// The bash completion of every tool, driven as bash drives it (COMP_WORDS,
// COMP_CWORD, the function `complete -F` names), against the option table the
// tool's parser uses; and every option of that table in its --help and man page.
// An option added to a table but not to the completion (a build not run) or
// to the page (the usage text, whence the page's OPTIONS come) fails here.
import t from 'tap';
import { spawnSync } from 'child_process';
import fs = require('fs');
import os = require('os');
import path = require('path');
import type { Option } from 'tscontainer-core';
import { ROOT } from '../lib/run';

const PACKAGES = path.join(ROOT, 'packages');
/** the file that exports a bin's option table, if not src/cli.ts (as scripts/bundle-bins.js has it) */
const TABLES: Record<string, string> = { tscgcreate: 'src/create.ts', tscgdelete: 'src/delete.ts' };

/** COMPREPLY for a command line whose last word is being completed */
function complete(script: string, words: string[], cwd = ROOT): string[] {
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `
    source "$0" || exit 9
    fn=$(complete -p "$1" | sed -n 's/.*-F \\([^ ]*\\) .*/\\1/p')
    [ -n "$fn" ] || exit 8
    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=\${#COMP_LINE}
    "$fn" "$1" "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
    printf '%s\\n' "\${COMPREPLY[@]}"`, script, ...words], { encoding: 'utf8', cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  if (r.status !== 0) throw new Error(`bash exited ${r.status}: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
}

const spellings = (options: readonly Option[]) =>
  [...new Set(options.flatMap((o) => [o.long && `--${o.long}`, o.short && `-${o.short}`].filter((w): w is string => !!w)))];

/** the page has this spelling, roff-escaped, as a word of its own */
const inPage = (page: string, name: string) =>
  new RegExp(name.replace(/-/g, '\\\\-') + '(?![A-Za-z0-9]|\\\\-[A-Za-z0-9])').test(page);

for (const dir of fs.readdirSync(PACKAGES)) {
  const pkgFile = path.join(PACKAGES, dir, 'package.json');
  if (!fs.existsSync(pkgFile)) continue;
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
  for (const bin of Object.keys(pkg.bin ?? {})) {
    t.test(`${bin}: completion and man page from its option table`, async (t) => {
      const table = require(path.join(PACKAGES, dir, TABLES[bin] ?? 'src/cli.ts'));
      const options: Option[] = table.OPTIONS;
      const commands: string[] | undefined = table.SUBCOMMANDS;
      t.ok(Array.isArray(options) && options.length > 0, 'the parser\'s table is exported (OPTIONS)');
      const script = path.join(PACKAGES, dir, 'completions', `${bin}.bash`);
      t.ok(fs.existsSync(script), `completions/${bin}.bash`);
      t.ok(pkg.files.includes('completions'), 'completions/ in "files"');
      const names = spellings(options);

      t.same(complete(script, [bin, '-']).sort(), [...names].sort(), 'every option of the table, and no other, completes after -');
      const long = options.filter((o) => o.long);
      for (const o of long) {
        const prefix = `--${o.long!.slice(0, 3)}`;
        t.ok(complete(script, [bin, prefix]).includes(`--${o.long}`), `${prefix} offers --${o.long}`);
      }

      // the value of an option that takes one: a file; then the program: a command
      const valued = options.find((o) => o.arg === 'required');
      if (valued) {
        const opt = valued.long ? `--${valued.long}` : `-${valued.short}`;
        t.same(complete(script, [bin, opt, 'package.j']), ['package.json'], `after ${opt}, a file`);
        if (!commands) t.ok(complete(script, [bin, opt, 'x', 'ech']).includes('echo'), `after ${opt} and its value, the program`);
        if (valued.long) t.same(complete(script, [bin, `--${valued.long}`, '=', 'package.j']), ['package.json'], `--${valued.long}=, a file`);
      }
      if (commands) {
        // a tool of commands: its commands, its options after them, then the containers of its state root
        t.same(complete(script, [bin, '']).sort(), [...commands].sort(), 'its commands, and no program');
        t.same(complete(script, [bin, '--debug', 'sta']).sort(), ['start', 'state'], 'after an option too');
        t.ok(complete(script, [bin, commands[0], '--']).length > 0, 'options after the command');
        const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsns-compl-'));
        fs.mkdirSync(path.join(root, 'box1'));
        t.same(complete(script, [bin, '--root', root, 'state', 'bo']), ['box1'], 'a container of --root');
        t.same(complete(script, [bin, '--root', '=', root, 'kill', '']), ['box1'], 'of --root=');
        fs.rmSync(root, { recursive: true });
      } else {
        t.ok(complete(script, [bin, 'ech']).includes('echo'), 'the program: a command');
        t.same(complete(script, [bin, '--', '-']), [], 'after --, no option');
        t.same(complete(script, [bin, 'echo', '--he']), [], 'the program\'s arguments are not ours');
      }

      const help = spawnSync(process.execPath, [path.join(PACKAGES, dir, 'dist', `${bin}.cjs`), '--help'], { encoding: 'utf8', env: { PATH: process.env.PATH } }).stdout;
      t.same(names.filter((n) => !new RegExp(`(^|[\\s,])${n}(?![\\w-])`, 'm').test(help)), [], 'every option of the table is in --help');

      const page = fs.readFileSync(path.join(PACKAGES, dir, `${bin}.1`), 'utf8');
      const missing = names.filter((n) => !inPage(page, n));
      t.same(missing, [], `every option of the table is in ${bin}.1`);
    });
  }
}

t.test('the check itself: a table with one more option is caught', async (t) => {
  const script = path.join(PACKAGES, 'tsunshare', 'completions', 'tsunshare.bash');
  const options: Option[] = [...require(path.join(PACKAGES, 'tsunshare', 'src', 'cli.ts')).OPTIONS,
    { key: 'new', long: 'no-such-option', arg: 'none' }];
  const offered = complete(script, ['tsunshare', '-']);
  t.notOk(spellings(options).every((n) => offered.includes(n)), 'the completion lacks --no-such-option');
  t.notOk(inPage(fs.readFileSync(path.join(PACKAGES, 'tsunshare', 'tsunshare.1'), 'utf8'), '--no-such-option'), 'so does the page');
  t.ok(inPage('\\fB\\-\\-fork\\fR', '--fork') && !inPage('\\-\\-fork\\-x', '--fork'), 'a spelling matches as a whole word');
});
