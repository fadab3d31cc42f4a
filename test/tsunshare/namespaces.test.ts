// Every namespace option creates that namespace, and only the program is in it.
import t from 'tap';
import fs = require('fs');
import os = require('os');
import { nsId, tool } from '../lib/run';

const flags: [string, string][] = [
  ['-m', 'mnt'], ['-u', 'uts'], ['-i', 'ipc'], ['-n', 'net'], ['-U', 'user'], ['-C', 'cgroup'],
];

for (const [flag, type] of flags) {
  t.test(`${flag} gives the program a new ${type} namespace`, async (t) => {
    const r = tool('tsunshare', [flag, 'readlink', `/proc/self/ns/${type}`]);
    t.equal(r.status, 0, r.stderr);
    t.match(r.stdout.trim(), new RegExp(`^${type}:\\[\\d+\\]$`));
    t.not(r.stdout.trim(), nsId('self', type), 'differs from ours');
    // and nothing else was unshared
    const others = tool('tsunshare', [flag, 'sh', '-c', 'for n in mnt uts ipc net user cgroup; do readlink /proc/self/ns/$n; done']);
    const theirs = others.stdout.trim().split('\n');
    ['mnt', 'uts', 'ipc', 'net', 'user', 'cgroup'].forEach((n, i) => {
      if (n !== type) t.equal(theirs[i], nsId('self', n), `${n} is shared`);
    });
  });
}

t.test('-p without --fork: the program keeps its pid namespace; its first child is PID 1', async (t) => {
  const program = tool('tsunshare', ['-p', 'readlink', '/proc/self/ns/pid']);
  t.equal(program.stdout.trim(), nsId('self', 'pid'), 'the program is not moved');
  const child = tool('tsunshare', ['-p', 'sh', '-c', 'sh -c "echo \\$\\$; readlink /proc/self/ns/pid"']);
  t.equal(child.status, 0, child.stderr);
  const [pid, ns] = child.stdout.trim().split('\n');
  t.equal(pid, '1');
  t.not(ns, nsId('self', 'pid'), 'the child is in a new namespace');
});

t.test('-p without --fork: once that PID 1 exits, the namespace takes no more processes', async (t) => {
  const r = tool('tsunshare', ['-p', 'sh', '-c', '/bin/true; /bin/true && echo forked']);
  t.notMatch(r.stdout, /forked/);
  t.match(r.stderr, /fork/i, 'the shell cannot fork (ENOMEM), as with util-linux');
});

t.test('-p --fork: the program is PID 1, and its children see it as their parent', async (t) => {
  const r = tool('tsunshare', ['-f', '-p', 'sh', '-c', 'echo $$; sh -c "echo \\$PPID"']);
  t.equal(r.status, 0, r.stderr);
  t.same(r.stdout.trim().split('\n'), ['1', '1']);
});

t.test('-T --fork: a new time namespace, with offsets', async (t) => {
  const r = tool('tsunshare', ['-T', '--fork', '--monotonic', '1', '--boottime=-5', 'sh', '-c', 'readlink /proc/self/ns/time; cat /proc/self/timens_offsets']);
  t.equal(r.status, 0, r.stderr);
  const [ns, ...offsets] = r.stdout.trim().split('\n');
  t.not(ns, nsId('self', 'time'));
  t.match(offsets.join('\n'), /monotonic\s+1\s+0/);
  t.match(offsets.join('\n'), /boottime\s+-5\s+0/);
});

t.test('--boottime shifts the uptime the program reads', async (t) => {
  const r = tool('tsunshare', ['-T', '--fork', '--boottime', '86400', 'cat', '/proc/uptime']);
  t.equal(r.status, 0, r.stderr);
  const inside = Number(r.stdout.split(' ')[0]);
  const outside = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  t.ok(inside - outside > 86000 && inside - outside < 86500, `${inside} vs ${outside}`);
});

t.test('-u: the hostname changes inside only', async (t) => {
  const before = os.hostname();
  const r = tool('tsunshare', ['-u', 'sh', '-c', 'hostname tsns-inside; hostname']);
  t.equal(r.stdout.trim(), 'tsns-inside');
  t.equal(os.hostname(), before, 'the host keeps its name');
});

t.test('-n: only a loopback device, down', async (t) => {
  const r = tool('tsunshare', ['-n', 'cat', '/proc/net/dev']);
  const devices = r.stdout.split('\n').slice(2).filter(Boolean).map((l) => l.split(':')[0].trim());
  t.same(devices, ['lo']);
});

t.test('-i: System V IPC objects stay inside', async (t) => {
  const r = tool('tsunshare', ['-i', 'sh', '-c', 'ipcmk -Q >/dev/null && ipcs -q | grep -c 0x']);
  t.equal(r.stdout.trim(), '1');
  const host = fs.readFileSync('/proc/sysvipc/msg', 'utf8').trim().split('\n').length - 1;
  t.equal(host, 0, 'no queue on the host');
});

t.test('-C: the program sees its cgroups as roots', async (t) => {
  const r = tool('tsunshare', ['-C', 'cat', '/proc/self/cgroup']);
  t.equal(r.status, 0, r.stderr);
  for (const line of r.stdout.trim().split('\n')) t.match(line, /:\/$/, line);
});

t.test('-m: a mount made inside is not seen outside', async (t) => {
  const r = tool('tsunshare', ['-m', 'sh', '-c', 'mount -t tmpfs tsns-marker /mnt && grep -c tsns-marker /proc/self/mountinfo']);
  t.equal(r.stdout.trim(), '1');
  t.notMatch(fs.readFileSync('/proc/self/mountinfo', 'utf8'), /tsns-marker/);
});

t.test('all at once, as the design card launches a container', async (t) => {
  const r = tool('tsunshare', ['-Upmnuic', '--fork', '-r', '--mount-proc', 'sh', '-c', 'echo $$; id -u; hostname box; hostname']);
  t.equal(r.status, 0, r.stderr);
  t.same(r.stdout.trim().split('\n'), ['1', '0', 'box']);
  t.not(os.hostname(), 'box');
});
