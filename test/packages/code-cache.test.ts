// Each tool's dist/NAME.cjs runs its bundle with V8's code cache made at build
// time (scripts/bundle-bins.js, scripts/code-cache.js): this Node accepts the
// cache; one it rejects, or none, costs only the compile, silently; the bundle
// still runs as `node dist/NAME.cjs` and exports its tool for a folded chain.
import t from 'tap';
import { spawnSync } from 'child_process';
import fs = require('fs');
import path = require('path');
import vm = require('vm');
import { ROOT, scratch } from '../lib/run';

const PACKAGES = path.join(ROOT, 'packages');
const bins = fs.readdirSync(PACKAGES).flatMap((dir) => {
  const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGES, dir, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  return Object.keys(pkg.bin).map((bin) => ({ bin, dist: path.join(PACKAGES, dir, 'dist') }));
});
const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
const node = (args: string[]) => spawnSync(process.execPath, args, { encoding: 'utf8', env: { PATH: process.env.PATH } });

t.test('this Node accepts every bundle\'s cache, compiled as its loader compiles it', async (t) => {
  for (const { bin, dist } of bins) {
    const source = fs.readFileSync(path.join(dist, `${bin}.bundle.js`), 'utf8');
    const script = new vm.Script(source, { filename: path.join(dist, `${bin}.bundle.js`), cachedData: fs.readFileSync(path.join(dist, `${bin}.cache`)) });
    t.equal(script.cachedDataRejected, false, bin);
  }
});

t.test('a cache V8 rejects, or none, falls back silently', async (t) => {
  const dist = path.join(scratch(t), 'dist');
  fs.cpSync(path.join(PACKAGES, 'tsunshare', 'dist'), dist, { recursive: true });
  fs.copyFileSync(path.join(PACKAGES, 'tsunshare', 'package.json'), path.join(dist, '..', 'package.json'));
  const cache = path.join(dist, 'tsunshare.cache');
  const data = fs.readFileSync(cache);
  const other = Buffer.from(data);
  other.writeUInt32LE(other.readUInt32LE(4) ^ 1, 4); // the V8 version's hash: another Node's cache
  const script = new vm.Script(fs.readFileSync(path.join(dist, 'tsunshare.bundle.js'), 'utf8'), { cachedData: other });
  t.equal(script.cachedDataRejected, true, 'rejected by V8');
  for (const [what, bytes] of [['another Node\'s', other], ['garbage', Buffer.from('not a cache')], ['none', null]] as const) {
    if (bytes) fs.writeFileSync(cache, bytes);
    else fs.rmSync(cache);
    const r = node([path.join(dist, 'tsunshare.cjs'), '--version']);
    t.same([r.status, r.stdout, r.stderr], [0, `tsunshare from ts-container-tools ${version}\n`, ''], what);
  }
});

t.test('node dist/NAME.cjs runs the tool; required, it exports the tool and runs nothing', async (t) => {
  for (const { bin, dist } of bins) {
    const run = node([path.join(dist, `${bin}.cjs`), '--version']);
    t.match(run.stdout, version, `${bin} --version`);
    const req = node(['-e', `const m = require(${JSON.stringify(path.join(dist, `${bin}.cjs`))}); process.stdout.write(String(m.tool?.name))`, '--', '--version']);
    // tsoci is no link of a chain: it exports no tool
    t.same([req.stdout, req.stderr], [bin === 'tsoci' ? 'undefined' : bin, ''], `${bin} required`);
  }
});
