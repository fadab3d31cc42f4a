// Bundle each tool's bin (src/bin.ts and the TypeScript it imports, the
// core's included) into one dist/bin.js: a tool then starts by compiling one
// file instead of resolving and loading a dozen modules. The native core's
// prebuilds are still found through the tscontainer-core package.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const packages = path.join(__dirname, '..', 'packages');
for (const name of fs.readdirSync(packages)) {
  const src = path.join(packages, name, 'src');
  for (const entry of fs.readdirSync(src).filter((f) => /^bin(-\w+)?\.ts$/.test(f))) {
    const outfile = path.join(packages, name, 'dist', entry.replace(/\.ts$/, '.js'));
    esbuild.buildSync({
      entryPoints: [path.join(src, entry)],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      external: ['tscontainer-core/package.json'],
      logLevel: 'warning',
    });
    fs.chmodSync(outfile, 0o755);
  }
}
