// Bundle the cgroup test files for the v2 guest lane: one JS file each, with
// `tap` aliased to test/lib/mini-tap.ts (tap itself takes ~30 s to load per
// process under the guest's software emulation). Same tests, lighter harness.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const top = path.resolve(__dirname, '..', '..');
const out = process.argv[2];
const files = fs.readdirSync(path.join(top, 'test', 'cgroups')).filter((f) => f.endsWith('.test.ts'));
fs.rmSync(out, { recursive: true, force: true });
esbuild.buildSync({
  entryPoints: files.map((f) => path.join(top, 'test', 'cgroups', f)),
  outdir: out,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  alias: { tap: path.join(top, 'test', 'lib', 'mini-tap.ts') },
  define: { 'process.env.TSNS_ROOT': JSON.stringify(top) },
  logLevel: 'warning',
});
console.log(files.length);
