// --TYPE=FILE keeps a namespace alive on a file, usable after the program exits.
import t from 'tap';
import fs = require('fs');
import path = require('path');
import type { Test } from 'tap';
import { mountPoints, scratch, sh, tool } from '../lib/run';

/** A file on a private mount, as a mount namespace file needs. */
function privateFile(t: Test, name: string): string {
  const dir = scratch(t);
  sh(`mount -t tmpfs tsns-test ${dir} && mount --make-private ${dir}`);
  fs.writeFileSync(path.join(dir, name), '');
  return path.join(dir, name);
}

const cases: [string, string, string, string][] = [
  // option, ns file, what to do inside, how to see it again
  ['--uts', 'uts', 'hostname tsns-kept', 'hostname'],
  ['--net', 'net', 'ip link set lo up', 'ip -o link show lo | grep -o "<[^>]*>"'],
  ['--ipc', 'ipc', 'ipcmk -M 4096 >/dev/null', 'ipcs -m | grep -c 0x'],
  ['--cgroup', 'cgroup', 'true', 'cat /proc/self/cgroup | head -1 | cut -d: -f3'],
  ['--mount', 'mnt', 'mount -t tmpfs tsns-kept /mnt', 'findmnt -n -o SOURCE /mnt'],
];

for (const [option, type, inside, look] of cases) {
  t.test(`${option}=FILE keeps the ${type} namespace`, async (t) => {
    const file = privateFile(t, type);
    const r = tool('tsunshare', [`${option}=${file}`, 'sh', '-c', `${inside}; readlink /proc/self/ns/${type}`]);
    t.equal(r.status, 0, r.stderr);
    t.ok(mountPoints().includes(file), 'bound on the file');
    t.equal(fs.statSync(file).ino, Number(/\[(\d+)\]/.exec(r.stdout)![1]), 'the file is that namespace');
    const again = sh(`nsenter --${type === 'mnt' ? 'mount' : type}=${file} sh -c '${look}'`);
    t.equal(again.status, 0, again.stderr);
    t.match(again.stdout.trim(), { uts: 'tsns-kept', net: 'LOOPBACK,UP', ipc: '1', cgroup: '/', mnt: 'tsns-kept' }[type]!);
  });
}

t.test('--user=FILE keeps the user namespace, with its maps', async (t) => {
  const file = privateFile(t, 'user');
  t.equal(tool('tsunshare', [`--user=${file}`, '-r', 'true']).status, 0);
  const again = sh(`nsenter --user=${file} cat /proc/self/uid_map`);
  t.match(again.stdout.trim(), /^0\s+0\s+1$/);
});

t.test('--pid=FILE with --fork keeps the pid namespace', async (t) => {
  const file = privateFile(t, 'pid');
  const r = tool('tsunshare', [`--pid=${file}`, '--fork', 'sh', '-c', 'echo $$']);
  t.equal(r.stdout.trim(), '1');
  t.equal(fs.statSync(file).ino, Number(/\[(\d+)\]/.exec(fs.readlinkSync('/proc/self/ns/pid'))![1]) === fs.statSync(file).ino ? -1 : fs.statSync(file).ino, 'a pid namespace other than ours');
});

t.test('--time=FILE keeps the time namespace with its offsets', async (t) => {
  const file = privateFile(t, 'time');
  t.equal(tool('tsunshare', [`--time=${file}`, '--fork', '--monotonic', '7', 'true']).status, 0);
  const again = sh(`nsenter --time=${file} cat /proc/self/timens_offsets`);
  t.match(again.stdout, /monotonic\s+7\s+0/);
});

t.test('several files at once, with -U (bound from the original namespaces)', async (t) => {
  const uts = privateFile(t, 'uts');
  const net = privateFile(t, 'net');
  const r = tool('tsunshare', ['-r', '-m', `--uts=${uts}`, `--net=${net}`, 'hostname', 'tsns-both']);
  t.equal(r.status, 0, r.stderr);
  t.equal(sh(`nsenter --uts=${uts} hostname`).stdout.trim(), 'tsns-both');
  t.equal(sh(`nsenter --net=${net} cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '`).stdout.trim(), 'lo');
});

t.test('refused before anything is changed', async (t) => {
  const dir = scratch(t);
  // the mounts at or below our folder: other processes may mount elsewhere meanwhile
  const ours = () => mountPoints().filter((p) => p === dir || p.startsWith(`${dir}/`)).length;
  const missing = tool('tsunshare', [`--uts=${dir}/nope`, 'true']);
  t.equal(missing.status, 1);
  t.equal(missing.stderr, `tsunshare: cannot keep the uts namespace on '${dir}/nope': No such file or directory\n`);
  fs.writeFileSync(path.join(dir, 'pid'), '');
  const noFork = tool('tsunshare', [`--pid=${dir}/pid`, 'true']);
  t.equal(noFork.status, 1);
  t.match(noFork.stderr, /^tsunshare: --pid=\S+ needs --fork/);
  sh(`mount -t tmpfs tsns-test ${dir} && mount --make-shared ${dir} && touch ${dir}/mnt`);
  const shared = tool('tsunshare', [`--mount=${dir}/mnt`, 'true']);
  t.equal(shared.status, 1);
  t.match(shared.stderr, /shared mount/);
  t.equal(ours(), 1, 'only our own tmpfs was mounted');
});
