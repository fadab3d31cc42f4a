// cgroup v2 on this hybrid host: a private cgroup2 mount in a mount namespace
// of the test's own, in place of /sys/fs/cgroup, so the tools see a unified
// host. Its cgroups live under tsns-test-* beneath our own v2 cgroup and are
// removed after. The only controller offered here is hugetlb, and enabling it
// would write the root cgroup's subtree_control, which is not ours: so real
// controller propagation is left to the v2 guest lane, and here the plan
// for it is checked with --dry-run.
import t from 'tap';
import fs = require('fs');
import { tool } from '../lib/run';
import { removeTree } from '../lib/cgroups';

// where this host mounts cgroup v2: /sys/fs/cgroup/unified (hybrid) or /sys/fs/cgroup
const HOST_V2 = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')).find((f) => f[f.indexOf('-') + 1] === 'cgroup2')![4];
const own = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::'))!.slice(3);
const base = `${own === '/' ? '' : own}/tsns-test-${process.pid}`;
t.teardown(() => removeTree(`${HOST_V2}${base}`));

/** Run a script in a mount namespace where /sys/fs/cgroup is cgroup v2 only. */
const inV2 = (script: string) => tool('tsunshare', ['-m', 'sh', '-c',
  `umount -R /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup && ${script}`]);

t.test('the tools see a unified host; `*` and ":path" name the v2 hierarchy', async (t) => {
  const r = inV2(`tscgcreate --dry-run -g :${base}/a`);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, `mkdir("/sys/fs/cgroup${base}", 0755)\nmkdir("/sys/fs/cgroup${base}/a", 0755)\n`);
});

t.test('controllers are enabled in every ancestor\'s subtree_control, never in the leaf (plan)', async (t) => {
  const r = inV2(`tscgcreate --dry-run -g hugetlb:${base}/a/b`);
  t.equal(r.status, 0, r.stderr);
  const writes = r.stdout.split('\n').filter((l) => l.includes('subtree_control'));
  const rootOn = fs.readFileSync(`${HOST_V2}/cgroup.subtree_control`, 'utf8').includes('hugetlb');
  t.same(writes, [
    ...(rootOn ? [] : ['write("/sys/fs/cgroup/cgroup.subtree_control", "+hugetlb")']),
    `write("/sys/fs/cgroup${base}/cgroup.subtree_control", "+hugetlb")`,
    `write("/sys/fs/cgroup${base}/a/cgroup.subtree_control", "+hugetlb")`,
  ]);
  const order = r.stdout.split('\n');
  t.ok(order.indexOf(`mkdir("/sys/fs/cgroup${base}/a/b", 0755)`) > order.findIndex((l) => l.includes(`${base}/a/cgroup.subtree_control`)), 'the leaf is made last');
});

t.test('membership: tscgexec moves its own process into a v2 cgroup, PID kept', async (t) => {
  const r = inV2(`tscgcreate -g :${base}/m && tscgexec -g :${base}/m sh -c 'echo $$; grep ^0:: /proc/self/cgroup; cat /sys/fs/cgroup${base}/m/cgroup.procs'`);
  t.equal(r.status, 0, r.stderr);
  const [pid, cgroup, procs] = r.stdout.trim().split('\n');
  t.equal(cgroup, `0::${base}/m`);
  t.equal(procs, pid);
});

t.test('tscgcreate\'s trailing program runs in the v2 cgroup just made; one it could not join is refused before anything is made', async (t) => {
  const r = inV2(`tscgcreate -g :${base}/t -- grep ^0:: /proc/self/cgroup`);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, `0::${base}/t\n`);
  const inner = inV2(`tscgcreate --dry-run -g hugetlb:${base}/p -g hugetlb:${base}/p/q -- true`);
  t.equal(inner.status, 1);
  t.equal(inner.stderr, `tscgcreate: cannot join hugetlb:${base}/p: it has controllers enabled for its children (hugetlb), and cgroup v2 puts processes only in leaves\n`);
});

t.test('rollback on v2: a bad knob removes what this call made', async (t) => {
  const r = inV2(`tscgcreate -g :${base}/r/s -r cgroup.nosuch=1; echo "status $?"; ls /sys/fs/cgroup${base}/r 2>&1 || true`);
  t.match(r.stdout, 'status 1');
  t.match(r.stderr, /^tscgcreate: no knob cgroup\.nosuch in /);
  t.notOk(fs.existsSync(`${HOST_V2}${base}/r`));
});

t.test('tscgdelete on v2: refused with a process, then --kill through cgroup.kill', async (t) => {
  const r = inV2(`tscgcreate -g :${base}/k && { tscgexec -g :${base}/k sleep 60 & S=$!; }
    while [ -z "$(cat /sys/fs/cgroup${base}/k/cgroup.procs)" ]; do sleep 0.05; done
    tscgdelete -g :${base}/k; echo "refused $?"
    tscgdelete --dry-run --kill -g :${base}/k
    tscgdelete --kill -g :${base}/k; echo "deleted $?"
    wait $S; echo "sleep $?"`);
  t.match(r.stdout, 'refused 1');
  t.match(r.stderr, /has 1 process in it \(use --kill/);
  t.match(r.stdout, new RegExp(`write\\("/sys/fs/cgroup${base}/k/cgroup.kill", "1"\\)`));
  t.match(r.stdout, 'deleted 0');
  t.match(r.stdout, 'sleep 137');
  t.notOk(fs.existsSync(`${HOST_V2}${base}/k`));
});

t.test('the v2 root can be joined (it is exempt from the no-internal-process rule)', async (t) => {
  const r = inV2(`tscgexec -g :/ true; echo "root $?"`);
  t.match(r.stdout, 'root 0');
});
