// ./setup as a newcomer meets it (issue 15): it installs only what the tools
// need unless the tests are asked for (--test: QEMU, hyperfine, strace,
// podman, containerd, runc), and its last line says where the tools are and
// what to try. Run with --dry-run, on a PATH where the test-only programs are
// missing, so nothing is installed here.
import t, { type Test } from 'tap';
import { spawnSync } from 'child_process';
import fs = require('fs');
import path = require('path');
import { ROOT, scratch } from '../lib/run';

/** A PATH of the programs setup looks for, but for those left `missing`. */
function fakePath(dir: string, missing: string[]): string {
  const wanted = ['dirname', 'sed', 'node', 'pnpm', 'npm', 'busybox', 'newuidmap', 'ip', 'setpriv', 'hyperfine', 'strace', 'qemu-system-x86_64',
    'aarch64-linux-gnu-gcc', 'aarch64-linux-gnu-g++', 'musl-gcc', 'qemu-aarch64-static', 'podman', 'conmon', 'containerd', 'runc', 'script'];
  for (const name of wanted.filter((w) => !missing.includes(w))) {
    const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
    if (found) fs.symlinkSync(found, path.join(dir, name));
  }
  return dir;
}

function setup(args: string[], missing: string[], t: Test) {
  const bin = fakePath(scratch(t), missing);
  return spawnSync('/bin/sh', [path.join(ROOT, 'setup'), ...args], { encoding: 'utf8', env: { PATH: bin, HOME: '/root' } });
}

const APT = /^would run: env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends (.*)$/m;

t.test('without --test, the test-only packages are not installed, even when missing', async (t) => {
  const r = setup(['--dry-run'], ['hyperfine', 'strace', 'qemu-system-x86_64', 'newuidmap'], t);
  t.equal(r.status, 0, r.stderr);
  t.same(APT.exec(r.stdout)?.[1].trim().split(' '), ['uidmap'], 'only what the tools need');
  t.match(r.stdout, /^would run: pnpm install --frozen-lockfile$/m);
  t.match(r.stdout, /^would run: pnpm build$/m);
});

t.test('with --test, they are', async (t) => {
  const r = setup(['--dry-run', '--test'], ['hyperfine', 'strace', 'qemu-system-x86_64', 'podman', 'containerd'], t);
  t.equal(r.status, 0, r.stderr);
  t.same(APT.exec(r.stdout)?.[1].trim().split(' ').sort(), ['containerd', 'hyperfine', 'podman', 'qemu-system-x86', 'strace']);
  t.match(r.stdout.trimEnd().split('\n').at(-1), /; the tests: pnpm test$/);
});

t.test('nothing missing: nothing to install', async (t) => {
  const r = setup(['--dry-run', '--test'], [], t);
  t.equal(r.status, 0, r.stderr);
  t.notMatch(r.stdout, /apt-get/);
});

t.test('it ends with one line: where the tools are and what to try', async (t) => {
  const r = setup(['--dry-run'], [], t);
  const last = r.stdout.trimEnd().split('\n').at(-1)!;
  t.equal(last, `setup: the tools are in ${ROOT}/bin (export PATH="${ROOT}/bin:$PATH"); try ./demo/container.sh, or tsunshare --dry-run -r --fork -p --mount-proc sh`);
  t.ok(fs.existsSync(path.join(ROOT, 'demo', 'container.sh')), 'what it names exists');
  const bad = setup(['--bogus'], [], t);
  t.equal(bad.status, 1);
  t.equal(bad.stderr, "setup: unknown option '--bogus' (try './setup --help')\n");
  t.match(setup(['--help'], [], t).stdout, /--test {5}and what only the test suite and the benchmarks need/);
});
