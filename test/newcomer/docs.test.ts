// The man pages a newcomer reads (issue 15): one for every command, listed
// in "man" (so `npm i -g` installs them) and packed; each renders without
// warnings and has EXAMPLES; the pages of the tools issue 15 names also
// have the classic mistakes.
import t from 'tap';
import { spawnSync } from 'child_process';
import fs = require('fs');
import path = require('path');
import { ROOT, tool } from '../lib/run';

const PACKAGES = path.join(ROOT, 'packages');
/** the pages that must say the classic mistakes (tsveth's is its author's, in progress) */
const WITH_MISTAKES = ['tsunshare', 'tsnsenter', 'tscgcreate', 'tscgdelete', 'tscgexec', 'tsmaproot', 'tsreexec'];

for (const dir of fs.readdirSync(PACKAGES)) {
  const pkgFile = path.join(PACKAGES, dir, 'package.json');
  if (!fs.existsSync(pkgFile)) continue;
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));

  t.test(`${pkg.name}: a page for each command, in "man" and in the package`, async (t) => {
    t.ok(Array.isArray(pkg.man), '"man" is a list');
    const man: string[] = Array.isArray(pkg.man) ? pkg.man : [pkg.man];
    t.same([...man].sort(), Object.keys(pkg.bin).map((b) => `${b}.1`).sort(), 'one page per bin');
    for (const page of man) {
      t.ok(fs.existsSync(path.join(PACKAGES, dir, page)), `${page} exists`);
      t.ok(pkg.files.includes(page), `${page} is in "files"`);
    }
    const packed = spawnSync('npm', ['pack', '--dry-run', '--json'], { cwd: path.join(PACKAGES, dir), encoding: 'utf8', timeout: 60_000 });
    t.equal(packed.status, 0, packed.stderr);
    const files = (JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    for (const page of man) t.ok(files.includes(page), `npm pack takes ${page}`);
  });

  for (const page of Array.isArray(pkg.man) ? pkg.man as string[] : []) {
    t.test(`${page}: renders cleanly, with EXAMPLES${WITH_MISTAKES.includes(path.basename(page, '.1')) ? ' and COMMON MISTAKES' : ''}`, async (t) => {
      const file = path.join(PACKAGES, dir, page);
      const text = fs.readFileSync(file, 'utf8');
      const groff = spawnSync('groff', ['-man', '-ww', '-z', file], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
      t.equal(groff.status, 0);
      t.equal(groff.stderr, '', 'no groff warnings');
      t.match(text, /^\.TH /, 'a man page');
      t.match(text, /^\.SH EXAMPLES$/m);
      const examples = text.split(/^\.SH /m).find((s) => s.startsWith('EXAMPLES'))!;
      t.match(examples, new RegExp(`(^|\\s)${path.basename(page, '.1')} `, 'm'), 'the examples run the command');
      if (WITH_MISTAKES.includes(path.basename(page, '.1'))) t.match(text, /^\.SH COMMON MISTAKES\n\.TP$/m);
      t.match(text, /^\.SH EXIT STATUS$/m);
      t.match(text, /^\.SH SEE ALSO$/m);
    });
  }
}

t.test('the classic mistakes the pages name', async (t) => {
  const read = (name: string, dir = name) => fs.readFileSync(path.join(PACKAGES, dir, `${name}.1`), 'utf8');
  t.match(read('tsunshare'), /^\\fB\\-p\\fR without \\fB\\-\\-fork\\fR$/m, '-p without --fork');
  t.match(read('tsunshare'), /^\\fB\\-\\-mount\\-proc\\fR without \\fB\\-\\-fork\\fR$/m, '--mount-proc needs --fork');
  t.match(read('tsunshare'), /umount \\fIfile\\fB && rm \\fIfile/, 'how to remove a kept namespace file');
  t.match(read('tscgdelete', 'tscgcreate'), /^Parents that \\fBtscgcreate\\fR made$/m, 'the parents tscgcreate made');
  t.match(read('tscgexec'), /killed by the memory limit of/, 'the OOM line');
});

t.test('--help says how to undo what a tool makes', async (t) => {
  t.match(tool('tsunshare', ['--help']).stdout, 'umount <file> && rm <file> lets it go');
  t.match(tool('tscgcreate', ['--help']).stdout, 'tscgdelete -r of the topmost one removes all it made');
});
