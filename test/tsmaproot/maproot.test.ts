// tsmaproot: the parent side of a user namespace, against real processes.
import t, { type Test } from 'tap';
import fs = require('fs');
import path = require('path');
import { handshake, MAPS, rootfs } from '../lib/handshake';
import { background, childrenOf, firstLine, scratch, sh, tool, until } from '../lib/run';
import { withSubids } from '../lib/subids';

const rows = (text: string) => text.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));

/** A process in a new user namespace, maps unwritten, waiting; its PID. */
async function waiting(t: Test, as = ''): Promise<number> {
  const box = background(t, `${as} tsunshare -U --fork sh -c 'echo up; exec sleep 60'`);
  t.equal(await firstLine(box), 'up');
  await until(() => childrenOf(box.pid!).length === 1);
  return childrenOf(box.pid!)[0];
}

t.test('the handshake: the child waits, tsmaproot maps 0:100000:65536 from outside, the child is root inside', async (t) => {
  const { dir } = rootfs(t);
  const shared = path.join(dir, 'shared');
  fs.mkdirSync(shared);
  fs.chmodSync(shared, 0o777);
  const r = handshake(t, '', `sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; touch ${shared}/made-inside'`);
  t.equal(r.status, 0, r.stderr);
  t.same(rows(r.stdout), ['0', '0', '0 100000 65536', '0 100000 65536']);
  const st = fs.statSync(path.join(shared, 'made-inside'));
  t.equal(st.uid, 100000, 'a file made inside is uid 100000\'s outside');
  t.equal(st.gid, 100000);
});

t.test('-r is the default: root inside is the caller outside', async (t) => {
  const pid = await waiting(t);
  const r = tool('tsmaproot', [String(pid)]);
  t.equal(r.status, 0, r.stderr);
  t.same(rows(fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8')), ['0 0 1']);
  t.same(rows(fs.readFileSync(`/proc/${pid}/gid_map`, 'utf8')), ['0 0 1']);
});

t.test('--map-user/--map-group with ranges, --setgroups deny, and a program after', async (t) => {
  const pid = await waiting(t);
  const r = tool('tsmaproot', ['--map-user=nobody', '--map-group=65534', '--map-users=0:100000:1000', '--map-groups=0:100000:1000', '--setgroups', 'deny', String(pid), 'echo', 'then this']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'then this\n');
  t.same(rows(fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8')), ['65534 0 1', '0 100000 1000']);
  t.equal(fs.readFileSync(`/proc/${pid}/setgroups`, 'utf8'), 'deny\n');
});

t.test('--pid-file: a FIFO written by tsunshare --fork --pid-file', async (t) => {
  const dir = scratch(t);
  const r = sh(`mkfifo ${dir}/pid ${dir}/go; tsunshare -U --keep-caps --fork --pid-file ${dir}/pid tsreexec --wait ${dir}/go cat /proc/self/uid_map & ` +
    `tsmaproot --pid-file ${dir}/pid ${MAPS} && echo > ${dir}/go; wait`);
  t.equal(r.status, 0, r.stderr);
  t.same(rows(r.stdout), ['0 100000 65536']);
});

t.test('without privilege: ranges from /etc/subuid through newuidmap; others refused before anything is written', async (t) => {
  const as = 'setpriv --reuid=65534 --regid=65534 --clear-groups';
  // the child waits on a FIFO until the maps are written: no sleeps
  const fifos = scratch(t);
  fs.chmodSync(fifos, 0o777);
  const handshake = (maps: string, after = '') => `${as} mkfifo ${fifos}/pid ${fifos}/go; ` +
    `${as} tsunshare -U --keep-caps --fork --pid-file ${fifos}/pid tsreexec --wait ${fifos}/go cat /proc/self/uid_map /proc/self/gid_map & ` +
    `read pid < ${fifos}/pid; ${as} tsmaproot ${maps} $pid; echo "status $?"; ${after} echo > ${fifos}/go; wait; rm -f ${fifos}/pid ${fifos}/go`;
  const ok = withSubids(t, handshake('--map-users 0:200000:10 --map-groups 0:400000:10'));
  t.equal(ok.stderr, '');
  t.same(rows(ok.stdout), ['status 0', '0 200000 10', '0 400000 10']);
  const no = withSubids(t, handshake('--map-users 0:100000:10'));
  t.match(no.stderr, /^tsmaproot: uids 100000-100009 are not nobody's to map \(see \/etc\/subuid\)\n/);
  t.match(no.stdout, /^status 1\n$/, 'and nothing written: the map stays empty');
});

t.test('refusals: one line, exit 1, nothing written', async (t) => {
  const pid = await waiting(t);
  const refuse = (args: string[], message: RegExp) => {
    const r = tool('tsmaproot', args);
    t.equal(r.status, 1, args.join(' '));
    t.match(r.stderr, message);
    t.equal(fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8'), '', 'nothing written');
  };
  refuse(['--map-users=0:100000:10', '--map-users=5:200000:10', String(pid)], /^tsmaproot: uid map lines '0 100000 10' and '5 200000 10' overlap\n$/);
  refuse(['--map-users=0:4294967290:10', String(pid)], /^tsmaproot: uid map line '0 4294967290 10' is out of range/);
  refuse([...Array.from({ length: 341 }, (_, k) => `--map-users=${k}:${100000 + k}:1`), String(pid)], /^tsmaproot: the uid map has 341 lines; the kernel takes at most 340\n$/);
  refuse(['--map-user=no-such-user', String(pid)], /^tsmaproot: failed to parse uid: 'no-such-user'\n$/);
  refuse([String(process.pid)], /^tsmaproot: process \d+ is in our own user namespace, not a new one\n$/);
  refuse(['999999'], /^tsmaproot: no process 999999: No such process|^tsmaproot: no process 999999/);
  refuse(['x1'], /^tsmaproot: expected a PID, or tsunshare \(for the namespace it creates\), not 'x1' \(try 'tsmaproot --help'\)\n$/);
  refuse(['0x1'], /^tsmaproot: failed to parse pid: '0x1'\n$/);
  refuse([], /^tsmaproot: no PID given \(try 'tsmaproot --help'\)\n$/);
  const once = tool('tsmaproot', [String(pid)]);
  t.equal(once.status, 0, once.stderr);
  const twice = tool('tsmaproot', [String(pid)]);
  t.equal(twice.status, 1);
  t.equal(twice.stderr, `tsmaproot: the uid map of process ${pid} is written already\n`);
});

t.test('a target in a user namespace ours does not own is refused', async (t) => {
  // a grandchild namespace: its parent is the child's, not ours
  const box = background(t, `tsunshare -U -r --fork tsunshare -U --fork sh -c 'echo up; exec sleep 60'`);
  t.equal(await firstLine(box), 'up');
  await until(() => childrenOf(box.pid!).length === 1 && childrenOf(childrenOf(box.pid!)[0]).length === 1);
  const inner = childrenOf(childrenOf(box.pid!)[0])[0];
  const r = tool('tsmaproot', [String(inner)]);
  t.equal(r.status, 1);
  t.equal(r.stderr, `tsmaproot: process ${inner} is not in a user namespace that ours owns\n`);
});

t.test('--dry-run prints the pidfd, the opens, the liveness check, the writes', async (t) => {
  const pid = await waiting(t);
  const r = tool('tsmaproot', ['--dry-run', ...MAPS.split(' '), String(pid)]);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, [
    `pidfd_open(${pid}) as pidfd`,
    `open("/proc/${pid}/uid_map", O_WRONLY|O_CLOEXEC) as fd[uid_map]`,
    `open("/proc/${pid}/gid_map", O_WRONLY|O_CLOEXEC) as fd[gid_map]`,
    `poll(pidfd of ${pid}): still running`,
    `write(fd[uid_map] (/proc/${pid}/uid_map), "0 100000 65536\\n")`,
    `write(fd[gid_map] (/proc/${pid}/gid_map), "0 100000 65536\\n")`,
    '',
  ].join('\n'));
  t.equal(fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8'), '');
});

t.test('demo/handshake.sh: the seeds\' handshake as a script, no sleeps', async (t) => {
  const r = sh(`sh ${path.join(__dirname, '..', '..', 'demo', 'handshake.sh')}`);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^parent: child \d+ waits; mapping 0:100000:65536\ninside: uid=0 map:\s+0\s+100000\s+65536\n/);
  t.match(r.stdout, /\n\s+1 tsreexec --wait .* --init sh -c/, 'PID 1 is tsreexec --init');
  t.match(r.stdout, /\n\s+2 /, 'its program tree below it');
});
