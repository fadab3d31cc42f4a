// Entering each namespace of a target, checked by what the target marked there.
import t from 'tap';
import fs = require('fs');
import { nsId, sh, tool } from '../lib/run';
import { target } from '../lib/target';

const inside = (pid: number, flags: string[], script: string) => tool('tsnsenter', ['-t', String(pid), ...flags, 'sh', '-c', script]);

for (const maker of ['tsunshare', 'unshare']) {
  t.test(`a target made by ${maker}`, async (t) => {
    const tg = await target(t, maker);
    const cases: [string, string, string, RegExp | string][] = [
      ['-u', 'uts', 'hostname', 'tsns-target'],
      // in the target's mount namespace /proc is its pid namespace's: enter that too to see /proc/self
      ['-m -p', 'mnt', 'ls /mnt; pwd', 'tsns-marker\n/'],
      ['-n', 'net', 'ip -o link show lo | grep -o "<[^>]*>"', '<LOOPBACK,UP,LOWER_UP>'],
      ['-i', 'ipc', 'ipcs -q | grep -c 0x', '1'],
      ['-p', 'pid', 'echo $$', /^\d{1,2}$/],
      ['-U', 'user', 'id -u; cat /proc/self/uid_map', /^0\n\s*0\s+0\s+1$/],
      ['-C', 'cgroup', 'cat /proc/self/cgroup | cut -d: -f3 | sort -u', '/'],
      ['-T', 'time', 'cat /proc/self/timens_offsets | grep monotonic', /^monotonic\s+5\s+0$/],
    ];
    for (const [flag, type, script, expect] of cases) {
      const r = inside(tg.pid, flag.split(' '), `readlink /proc/self/ns/${type}; ${script}`);
      t.equal(r.status, 0, `${flag}: ${r.stderr}`);
      const [ns, ...rest] = r.stdout.trim().split('\n');
      t.equal(ns, tg.ns(type), `${flag} enters the target's ${type} namespace`);
      t.match(rest.join('\n'), expect, `${flag}: ${script}`);
    }

    const mntOnly = inside(tg.pid, ['-m'], 'ls /mnt');
    t.equal(mntOnly.stdout.trim(), 'tsns-marker', '-m alone');
    const all = inside(tg.pid, ['-a'], 'for n in mnt uts ipc net pid user cgroup time; do readlink /proc/self/ns/$n; done; echo $$; id -u');
    t.equal(all.status, 0, all.stderr);
    const lines = all.stdout.trim().split('\n');
    ['mnt', 'uts', 'ipc', 'net', 'pid', 'user', 'cgroup', 'time'].forEach((n, i) => t.equal(lines[i], tg.ns(n), `-a: ${n}`));
    t.match(lines[8], /^\d{1,2}$/, '-a: a small PID in the target\'s pid namespace');
    t.equal(lines[9], '0', '-a: root in the target\'s user namespace');
    t.equal(fs.readlinkSync('/proc/self/ns/uts'), nsId('self', 'uts'));
  });
}

t.test('must-show: -a in a container made by tsunshare', async (t) => {
  const tg = await target(t, 'tsunshare', '-Umpinuc --fork -r --mount-proc');
  const r = tool('tsnsenter', ['-t', String(tg.pid), '-a', 'sh', '-c', 'echo $$; id -u; readlink /proc/self/ns/uts']);
  t.equal(r.status, 0, r.stderr);
  const [pid, uid, uts] = r.stdout.trim().split('\n');
  t.ok(Number(pid) < 10, `small PID ${pid}`);
  t.equal(uid, '0');
  t.equal(uts, tg.ns('uts'));
});

t.test('-a skips the user namespace when it is our own', async (t) => {
  const tg = await target(t, 'tsunshare', '-muni --fork');
  const r = inside(tg.pid, ['-a'], 'hostname; id -u');
  t.equal(r.status, 0, r.stderr);
  t.same(r.stdout.trim().split('\n'), ['tsns-target', '0']);
});

t.test('persistent namespace files from tsunshare', async (t) => {
  const dir = fs.mkdtempSync('/tmp/tsns-test-');
  t.teardown(() => { sh(`umount -l ${dir}; rm -rf ${dir}`); });
  sh(`mount -t tmpfs tsns-test ${dir} && mount --make-private ${dir} && touch ${dir}/uts ${dir}/net ${dir}/mnt ${dir}/user ${dir}/pid`);
  const made = tool('tsunshare', ['-r', `--user=${dir}/user`, `--uts=${dir}/uts`, `--net=${dir}/net`, `--mount=${dir}/mnt`, `--pid=${dir}/pid`, '--fork',
    'sh', '-c', 'hostname tsns-kept; ip link set lo up; mount -t tmpfs tsns-kept-mnt /mnt']);
  t.equal(made.status, 0, made.stderr);
  const r = tool('tsnsenter', [`--user=${dir}/user`, `--uts=${dir}/uts`, `--net=${dir}/net`, `--mount=${dir}/mnt`,
    'sh', '-c', 'hostname; ip -o link show lo | grep -c UP; findmnt -n -o SOURCE /mnt; id -u']);
  t.equal(r.status, 0, r.stderr);
  t.same(r.stdout.trim().split('\n'), ['tsns-kept', '1', 'tsns-kept-mnt', '0']);
  const short = tool('tsnsenter', [`-u${dir}/uts`, 'hostname']);
  t.equal(short.stdout.trim(), 'tsns-kept', 'the short form takes the file attached: -u/path');
  const pid = tool('tsnsenter', [`--pid=${dir}/pid`, 'sh', '-c', 'echo $$']);
  t.equal(pid.stdout, '', 'a pid namespace whose init has exited takes no new process');
  t.match(pid.stderr, /fork|Cannot allocate memory/);
});
