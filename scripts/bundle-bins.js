// For each tool's bin: bundle its entry (src/bin*.ts and the TypeScript it
// imports, the core's included) into one dist/NAME.js — a tool then starts
// by compiling one file instead of resolving a dozen modules — and write
// bin/NAME, the entry script that starts it through the native launcher
// (from scripts/bin-shim.sh). The prebuilds are still found through the
// tscontainer-core package.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const packages = path.join(__dirname, '..', 'packages');
const shim = fs.readFileSync(path.join(__dirname, 'bin-shim.sh'), 'utf8');
/** the entry source of a bin that is not its package's main one */
const SOURCES = { tscgdelete: 'bin-delete.ts' };

for (const name of fs.readdirSync(packages)) {
  const pkg = JSON.parse(fs.readFileSync(path.join(packages, name, 'package.json'), 'utf8'));
  for (const bin of Object.keys(pkg.bin)) {
    const outfile = path.join(packages, name, 'dist', `${bin}.js`);
    esbuild.buildSync({
      entryPoints: [path.join(packages, name, 'src', SOURCES[bin] ?? 'bin.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      external: ['tscontainer-core/package.json'],
      logLevel: 'warning',
    });
    const script = path.join(packages, name, pkg.bin[bin]);
    fs.mkdirSync(path.dirname(script), { recursive: true });
    fs.writeFileSync(script, shim.replaceAll('@BIN@', bin).replaceAll('@PKG@', pkg.name), { mode: 0o755 });
    fs.chmodSync(script, 0o755);
  }
}
