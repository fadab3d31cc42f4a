// What every published package promises (issue 13): the fields a registry
// and a user read, one version for the suite (the root package.json's, which
// the build stamps into each package), no install script, a README of its
// own, and a tarball that holds what runs and nothing of the sources. And a
// machine without a prebuild is told so in one line.
import t from 'tap';
import { spawnSync } from 'child_process';
import fs = require('fs');
import os = require('os');
import path = require('path');
import { ROOT, clean } from '../lib/run';

const read = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const root = read(path.join(ROOT, 'package.json'));
const DIRS = ['native-core', ...fs.readdirSync(path.join(ROOT, 'packages')).map((d) => `packages/${d}`)]
  .filter((d) => fs.existsSync(path.join(ROOT, d, 'package.json')) && !read(path.join(ROOT, d, 'package.json')).private);
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare', 'prepublish'];
const core = read(path.join(ROOT, 'native-core', 'package.json'));

t.test('the root holds the one version', async (t) => {
  t.match(root.version, /^\d+\.\d+\.\d+/, 'a version in the root package.json');
  t.match(root.repository?.url, /^git\+https:\/\//, 'and the repository');
});

for (const dir of DIRS) {
  const pkg = read(path.join(ROOT, dir, 'package.json'));
  const isCore = dir === 'native-core';

  t.test(`${pkg.name}: package.json`, async (t) => {
    t.equal(pkg.version, root.version, 'the root version (the build stamps it)');
    t.equal(pkg.license, root.license, 'license');
    t.same(pkg.repository, { ...root.repository, directory: dir }, 'repository, with its directory');
    t.same(pkg.engines, { node: '>=20' }, 'engines: node >= 20');
    t.same(pkg.os, ['linux'], 'os: linux');
    t.ok(Array.isArray(pkg.cpu) && pkg.cpu.length > 0, 'cpu: a list');
    t.ok(pkg.cpu.every((c: string) => core.cpu.includes(c)), 'cpu: of those the core has prebuilds for');
    for (const s of INSTALL_SCRIPTS) t.notOk(pkg.scripts?.[s], `no ${s} script`);
    t.ok(pkg.files.includes('README.md'), 'README.md in "files"');
    if (isCore) {
      t.equal(pkg.gypfile, false, 'gypfile: false (npm never runs node-gyp)');
      t.same(Object.keys(pkg.dependencies), ['node-gyp-build'], 'depends on node-gyp-build only');
      for (const cpu of pkg.cpu) t.ok(fs.existsSync(path.join(ROOT, dir, 'prebuilds', `linux-${cpu}`, 'tscore-exec')), `a linux-${cpu} prebuild`);
    } else {
      t.same(pkg.dependencies, { 'tscontainer-core': 'workspace:*' }, 'depends on the core only');
      t.ok(Object.keys(pkg.bin).length > 0, 'bin');
      t.same(pkg.man, Object.keys(pkg.bin).map((b) => `${b}.1`), 'man: a page per bin');
    }
  });

  t.test(`${pkg.name}: README.md`, async (t) => {
    const text = fs.readFileSync(path.join(ROOT, dir, 'README.md'), 'utf8');
    t.match(text, new RegExp(`^# ${pkg.name}\\b`), 'titled with its name');
    t.ok(text.split('\n\n').length >= 3, 'says what it does');
    t.match(text, /```(sh|js)\n[^`]+```/, 'one example');
    const names = isCore ? ['tsunshare'] : Object.keys(pkg.bin);
    for (const n of names) t.match(text, new RegExp(`npm install .*${isCore ? 'tsunshare' : pkg.name}|${n} `), `the example runs ${n}`);
    t.match(text, /\]\((\.\.\/)+README\.md\)/, 'points to the top-level README');
  });

  t.test(`${pkg.name}: the tarball`, async (t) => {
    const packed = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: path.join(ROOT, dir), encoding: 'utf8', timeout: 60_000 });
    t.equal(packed.status, 0, packed.stderr);
    const files = (JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    t.ok(files.includes('README.md') && files.includes('package.json'), 'README.md, package.json');
    t.same(files.filter((f) => /^src\/|\.ts$/.test(f) && !f.endsWith('.d.ts')), [], 'no sources');
    t.same(files.filter((f) => /binding\.gyp|\.(c|cc|h)$/.test(f)), [], 'no binding.gyp, no C (nothing to compile)');
    if (isCore) {
      for (const cpu of pkg.cpu) {
        t.ok(files.includes(`prebuilds/linux-${cpu}/tscontainer-core.node`), `the linux-${cpu} addon`);
        t.ok(files.includes(`prebuilds/linux-${cpu}/tscore-exec`), `the linux-${cpu} executor`);
      }
      t.ok(files.includes(pkg.main), 'its main');
    } else {
      for (const b of Object.keys(pkg.bin)) {
        t.ok(files.includes(`bin/${b}`), `bin/${b}`);
        t.ok(files.includes(`dist/${b}.cjs`), `dist/${b}.cjs`);
        t.ok(files.includes(`${b}.1`), `${b}.1`);
      }
    }
  });
}

t.test('a machine without a prebuild: one line, status 1', async (t) => {
  // a user's layout (npm's), the core without its prebuilds
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnoprebuild-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const nm = path.join(dir, 'node_modules');
  fs.mkdirSync(path.join(nm, 'tscontainer-core'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'native-core', 'package.json'), path.join(nm, 'tscontainer-core', 'package.json'));
  fs.cpSync(path.join(ROOT, 'native-core', 'dist'), path.join(nm, 'tscontainer-core', 'dist'), { recursive: true });
  fs.symlinkSync(path.dirname(require.resolve('node-gyp-build/package.json', { paths: [path.join(ROOT, 'native-core')] })), path.join(nm, 'node-gyp-build'));
  fs.mkdirSync(path.join(nm, 'tsunshare'));
  fs.cpSync(path.join(ROOT, 'packages', 'tsunshare', 'package.json'), path.join(nm, 'tsunshare', 'package.json'));
  fs.cpSync(path.join(ROOT, 'packages', 'tsunshare', 'dist'), path.join(nm, 'tsunshare', 'dist'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'packages', 'tsunshare', 'bin'), path.join(nm, 'tsunshare', 'bin'), { recursive: true });
  fs.mkdirSync(path.join(nm, '.bin'));
  fs.symlinkSync('../tsunshare/bin/tsunshare', path.join(nm, '.bin', 'tsunshare'));

  const [cmd, ...args] = clean([path.join(nm, '.bin', 'tsunshare'), '-r', 'id']);
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: dir });
  t.equal(r.status, 1, 'status 1');
  t.equal(r.stdout, '');
  t.match(r.stderr, /^tsunshare: no prebuilt native core for linux-x64 in \S+ \(it has none\); this machine is not supported yet\n$/, 'one line that says so');
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');

  const version = spawnSync(cmd, [...args.slice(0, -2), '--version'], { encoding: 'utf8', cwd: dir });
  t.equal(version.status, 0, '--version still works');
});
