// Bundle the core's TypeScript into one file (native-core/dist/core.js, the
// package's main, for programs that use the core as a library), and for each
// tool's bin its entry (src/bin*.ts, the TypeScript it imports and the part
// of the core it uses) into dist/NAME.bundle.js: a tool then starts by
// compiling one file holding only its own code, not resolving a few dozen
// modules nor the whole core (1.5 ms of every start). dist/NAME.cjs, the
// tool's entry, runs it with V8's code cache of it (dist/NAME.cache, ~2 ms
// less again). A folded chain (fold.ts) loads each further tool's dist/NAME.cjs
// the same way. Write bin/NAME too, the entry
// script that starts the tool through the native launcher (from
// scripts/bin-shim.sh).
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const packages = path.join(__dirname, '..', 'packages');
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true, logLevel: 'warning' };

esbuild.buildSync({
  ...common,
  entryPoints: [path.join(__dirname, '..', 'native-core', 'lib', 'index.ts')],
  outfile: path.join(__dirname, '..', 'native-core', 'dist', 'core.js'),
  external: ['tscontainer-core/package.json'],
});
/** the core's own TypeScript, tree-shaken into each tool's bundle (a
 * path without a wildcard: tscontainer-core/package.json still resolves as
 * a package, where the prebuilds are) */
const coreFromSource = {
  compilerOptions: { baseUrl: path.join(__dirname, '..'), paths: { 'tscontainer-core': ['native-core/lib/index.ts'] } },
};
const shim = fs.readFileSync(path.join(__dirname, 'bin-shim.sh'), 'utf8');
/** the entry source of a bin that is not its package's main one */
const SOURCES = { tscgdelete: 'bin-delete.ts' };
/** the source that exports a bin's option table (OPTIONS), if not src/cli.ts */
const TABLES = { tscgcreate: 'src/create.ts', tscgdelete: 'src/delete.ts' };
/** dist/NAME.cjs (CommonJS by its name: Node reads no package.json to
 * tell): runs NAME.bundle.js (a function of Node's module wrapper's
 * parameters) compiled with V8's code cache of it */
const loader = `// @BIN@: runs @BIN@.bundle.js (the tool, bundled) compiled with V8's code
// cache of it, made at build time (scripts/code-cache.js): ~2 ms less of every
// start. A cache V8 rejects (another Node, other flags) or none: just compiled.
const fs = require('fs');
const file = __dirname + '/@BIN@.bundle.js';
let cachedData;
try {
  cachedData = fs.readFileSync(__dirname + '/@BIN@.cache');
} catch {}
new (require('vm').Script)(fs.readFileSync(file, 'utf8'), { filename: file, cachedData })
  .runInThisContext()(exports, require, module, __filename, __dirname);
`;
/** a command line each tool plans when its cache is made, with --dry-run
 * (which changes nothing), and for those in HANDOVER (which plan no file work
 * in Node) up to the executor's exec, which is refused */
const WARM = {
  tsunshare: ['-r', 'true'],
  tsnsenter: ['-t', '1', '-u', 'true'],
  tscgcreate: ['-g', 'memory:tscore-cache', '--memory', '64M'],
  tscgexec: ['-g', 'memory:/', 'true'],
  tscgdelete: ['memory:tscore-cache'],
  tsveth: ['-t', '1', 'h0', 'p0'],
  tsmaproot: ['tsunshare', '-U', 'true'],
  tsreexec: ['--hostname', 'x', 'true'],
};
const HANDOVER = new Set(['tsunshare', 'tsnsenter', 'tsreexec']);
/** the clone, and the launcher (tscore-exec) it built for this machine */
const ROOT = fs.realpathSync(path.join(__dirname, '..'));
const LAUNCHER = path.join(ROOT, 'native-core', 'prebuilds', `linux-${process.arch}`, 'tscore-exec');
/** the cache, made in a Node without the caller's settings for Node (V8
 * rejects a cache made under other flags) and with a launcher's record (the
 * path a start through the bin takes); without one the tool just compiles */
function codeCache(bin, bundle, cache) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NODE_') && k !== 'TSCORE_ENTRY'));
  env.TSCORE_ENTRY = `ign=0:blk=0:nofile=1024,1024:fl=2,1,1:fds=0,1,2,:held=:exe=${LAUNCHER}`; // last, as the launcher puts it
  // tsoci: no --dry-run but for create and run; state reads only
  const argv = bin === 'tsoci' ? ['print', '--root', '/nonexistent/tscore-cache', 'state', 'x']
    : [HANDOVER.has(bin) ? 'handover' : 'print', '--dry-run', ...(WARM[bin] ?? [])];
  fs.rmSync(cache, { force: true });
  const r = require('child_process').spawnSync(process.execPath, [path.join(__dirname, 'code-cache.js'), bundle, cache, ...argv], { env, stdio: 'ignore' });
  if (!fs.existsSync(cache)) console.error(`bundle-bins: ${path.basename(bundle)}: no code cache (status ${r.status})`);
}
/** The clone's own bin/NAME (on PATH after ./setup): a #! line that runs
 * the launcher on the tool's JavaScript directly, without the ~0.6 ms of a
 * shell's start that the portable script in the package (which finds the
 * core wherever npm put it) costs. The kernel takes one #! line of up to 255
 * bytes and an interpreter path without blanks; past that, or with no
 * launcher for this machine, bin/NAME is a link to the package's script. */
function cloneBin(bin, js, script) {
  const launch = `--launch=${fs.realpathSync(js)}`;
  const line = `#!${LAUNCHER} ${launch}\n`;
  const file = path.join(ROOT, 'bin', bin);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.rmSync(file, { force: true });
  if (Buffer.byteLength(line) <= 256 && !/\s/.test(LAUNCHER) && fs.existsSync(LAUNCHER)) {
    const q = (s) => `'${s.replaceAll("'", "'\\''")}'`;
    fs.writeFileSync(file, `${line}# ${bin}, as this clone builds it (scripts/bundle-bins.js): the kernel runs the line above; a shell, the one below\n` +
      `exec ${q(LAUNCHER)} ${q(launch)} "$0" "$@"\n`, { mode: 0o755 });
  } else {
    fs.symlinkSync(path.relative(path.dirname(file), script), file);
  }
}
const { writeCompletions } = require('./completions');
const { updateManPage } = require('./man-options');

for (const name of fs.readdirSync(packages)) {
  const pkg = JSON.parse(fs.readFileSync(path.join(packages, name, 'package.json'), 'utf8'));
  for (const bin of Object.keys(pkg.bin)) {
    const outfile = path.join(packages, name, 'dist', `${bin}.cjs`);
    const bundle = path.join(packages, name, 'dist', `${bin}.bundle.js`);
    esbuild.buildSync({
      ...common,
      entryPoints: [path.join(packages, name, 'src', SOURCES[bin] ?? 'bin.ts')],
      outfile: bundle,
      external: ['tscontainer-core/package.json'],
      tsconfigRaw: coreFromSource,
    });
    // stored as the function its loader compiles (as Node's module wrapper): no #! line
    const body = fs.readFileSync(bundle, 'utf8').replace(/^#!.*\n/, '');
    fs.writeFileSync(bundle, `(function (exports, require, module, __filename, __dirname) {${body}\n})`);
    fs.writeFileSync(outfile, loader.replaceAll('@BIN@', bin));
    codeCache(bin, bundle, path.join(packages, name, 'dist', `${bin}.cache`));
    const script = path.join(packages, name, pkg.bin[bin]);
    fs.mkdirSync(path.dirname(script), { recursive: true });
    fs.writeFileSync(script, shim.replaceAll('@BIN@', bin).replaceAll('@PKG@', pkg.name), { mode: 0o755 });
    fs.chmodSync(script, 0o755);
    cloneBin(bin, outfile, script);
    // from the option table and the usage text: completions/BIN.bash, the page's OPTIONS
    try {
      writeCompletions(path.join(packages, name), bin, TABLES[bin] ?? 'src/cli.ts');
      const page = path.join(packages, name, `${bin}.1`);
      const help = require('child_process').execFileSync(process.execPath, [outfile, '--help'], { encoding: 'utf8' });
      if (fs.existsSync(page)) updateManPage(page, help);
    } catch (e) {
      console.error(`bundle-bins: ${bin}: no completion or man OPTIONS: ${e.message.split('\n')[0]}`);
    }
  }
}

// One version for the suite: the root package.json's, stamped into every
// workspace package (a folded chain and the published tarballs need them to
// agree; test/packages/hygiene.test.ts checks it).
const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
for (const dir of ['native-core', ...fs.readdirSync(packages).map((name) => path.join('packages', name))]) {
  const file = path.join(ROOT, dir, 'package.json');
  if (!fs.existsSync(file)) continue;
  const text = fs.readFileSync(file, 'utf8');
  const stamped = text.replace(/^(  "version": )"[^"]*"/m, `$1"${version}"`);
  if (stamped !== text) fs.writeFileSync(file, stamped);
}
