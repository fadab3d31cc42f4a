// The prebuilds for more machines (issue 13): linux-x64 and linux-arm64
// (cross-compiled in pnpm build), each tscore-exec statically linked. The
// arm64 executor runs a plan under qemu-user; the x64 one runs a plan in a
// busybox root that has no C library at all (as on musl systems, Alpine).
import t from 'tap';
import { spawnSync } from 'child_process';
import fs = require('fs');
import path = require('path');
import { encode, type Step } from 'tscontainer-core';
import { ROOT, scratch } from '../lib/run';

const PREBUILDS = path.join(ROOT, 'native-core', 'prebuilds');
const CLONE_NEWUTS = 0x04000000;
/** a program's path, as the shell finds it */
const which = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim() || undefined;
const qemu = which('qemu-aarch64-static') ?? which('qemu-aarch64');

/** a file holding the plan, as tools hand it over: NUL-terminated words */
function planFile(dir: string, steps: Step[]): string {
  const file = path.join(dir, 'plan');
  fs.writeFileSync(file, Buffer.concat(encode(steps).map((w) => Buffer.from(`${w}\0`))));
  return file;
}

/** run an executor (argv) with the plan on fd 3 and nothing but TSCORE_PLAN in its environment */
function execute(argv: string[], plan: string) {
  const fd = fs.openSync(plan, 'r');
  try {
    // env -i: tap adds its NODE_OPTIONS to every child's environment
    return spawnSync('/usr/bin/env', ['-i', 'TSCORE_PLAN=3', ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', fd], timeout: 30_000 });
  } finally {
    fs.closeSync(fd);
  }
}

/** a hostname set in a new UTS namespace, then the program prints it */
const hostnamePlan = (name: string, path: string): Step[] => [
  { op: 'environ', vars: [`PATH=${path}`] },
  { op: 'unshare', flags: CLONE_NEWUTS },
  { op: 'sethostname', name },
  { op: 'exec', file: 'hostname', argv: ['hostname'] },
];

t.test('file: the prebuilds are for x86-64 and aarch64, the executors static', async (t) => {
  for (const [dir, machine] of [['linux-x64', 'x86-64'], ['linux-arm64', 'ARM aarch64']]) {
    for (const f of ['tscontainer-core.node', 'tscore-exec']) {
      const out = spawnSync('file', ['-b', path.join(PREBUILDS, dir, f)], { encoding: 'utf8' }).stdout;
      t.match(out, `ELF 64-bit LSB`, `${dir}/${f}: ELF`);
      t.match(out, machine, `${dir}/${f}: ${machine}`);
      if (f === 'tscore-exec') t.match(out, /statically linked/, `${dir}/${f}: statically linked`);
      t.comment(`${dir}/${f}: ${out.trim()}`);
    }
  }
});

t.test('the arm64 tscore-exec runs a plan under qemu-user', { skip: qemu ? false : 'no qemu-aarch64-static (apt-get install qemu-user-static)' }, async (t) => {
  const dir = scratch(t);
  const exe = path.join(PREBUILDS, 'linux-arm64', 'tscore-exec');
  const bare = spawnSync('/usr/bin/env', ['-i', qemu!, exe], { encoding: 'utf8' });
  t.equal(bare.status, 1, 'without a plan: status 1');
  t.match(bare.stderr, /a plan executor for the ts\* tools/, 'and says what it is');
  // the program it execs is this machine's own hostname(1): qemu-user leaves a foreign exec to the kernel
  const r = execute([qemu!, exe, 'tsunshare'], planFile(dir, hostnamePlan('arm64box', '/usr/bin:/bin')));
  t.equal(r.stderr, '');
  t.equal(r.stdout, 'arm64box\n', 'unshare(CLONE_NEWUTS), sethostname, exec: the hostname inside');
  t.equal(r.status, 0);
});

t.test('the x64 tscore-exec runs a plan in a busybox root without any C library', async (t) => {
  const root = path.join(scratch(t), 'root');
  const made = spawnSync('sh', [path.join(ROOT, 'test', 'fixtures', 'make-rootfs.sh'), root], { encoding: 'utf8' });
  t.equal(made.status, 0, made.stderr);
  const libs = spawnSync('sh', ['-c', `find "${root}" -name 'libc.so*' -o -name 'ld-linux*' -o -name 'ld-musl*'`], { encoding: 'utf8' }).stdout;
  t.equal(libs, '', 'no libc.so, no dynamic loader in the root');
  fs.copyFileSync(path.join(PREBUILDS, 'linux-x64', 'tscore-exec'), path.join(root, 'tscore-exec'));
  fs.chmodSync(path.join(root, 'tscore-exec'), 0o755);
  const plan = planFile(path.dirname(root), hostnamePlan('nolibc', '/bin'));
  const r = execute([which('chroot') ?? '/usr/sbin/chroot', root, '/tscore-exec', 'tsunshare'], plan);
  t.equal(r.stderr, '');
  t.equal(r.stdout, 'nolibc\n', 'unshare, sethostname, exec of busybox hostname inside the root');
  t.equal(r.status, 0);
});
