// Limits enforced by cgroup v2: needs a host whose /sys/fs/cgroup is cgroup2
// offering memory and pids, and a v2 cgroup of ours that may have children
// with controllers (the root, or one without processes). Elsewhere: skipped,
// with the reason printed. The v2 guest lane runs it.
import t from 'tap';
import fs = require('fs');
import { sh, tool } from '../lib/run';
import { removeTree } from '../lib/cgroups';

const ROOT = '/sys/fs/cgroup';
const isV2 = fs.statfsSync(ROOT).type === 0x63677270;
const offered = isV2 ? fs.readFileSync(`${ROOT}/cgroup.controllers`, 'utf8').trim().split(' ') : [];
const own = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::'))?.slice(3) ?? '/';
const ownBusy = own !== '/' && fs.readFileSync(`${ROOT}${own}/cgroup.procs`, 'utf8').trim() !== '';
const why = !isV2 ? `${ROOT} is not cgroup v2 on this host`
  : !['memory', 'pids'].every((c) => offered.includes(c)) ? `cgroup v2 here offers only: ${offered.join(' ') || 'nothing'}`
  : ownBusy ? `our cgroup ${own} holds processes, so it cannot enable controllers for children`
  : undefined;

if (why) {
  t.comment(`v2 limit tests skipped: ${why}`);
  t.test('v2 limits', { skip: why }, async () => {});
} else {
  const base = `${own === '/' ? '' : own}/tsns-test-${process.pid}`;
  t.teardown(() => removeTree(`${ROOT}${base}`));

  t.test('v2: controllers in every ancestor, never the leaf; --memory → memory.max; OOM counted', async (t) => {
    const r = tool('tscgcreate', ['-g', `memory,pids:${base}/demo`, '--memory', '32M', '--pids', '8']);
    t.equal(r.status, 0, r.stderr);
    t.match(fs.readFileSync(`${ROOT}${base}/cgroup.subtree_control`, 'utf8'), /memory/);
    t.equal(fs.readFileSync(`${ROOT}${base}/demo/cgroup.subtree_control`, 'utf8').trim(), '', 'not the leaf');
    t.equal(fs.readFileSync(`${ROOT}${base}/demo/memory.max`, 'utf8').trim(), String(32 * 1024 * 1024));
    t.equal(fs.readFileSync(`${ROOT}${base}/demo/pids.max`, 'utf8').trim(), '8');
    const oom = sh(`tscgexec -g memory,pids:${base}/demo python3 -c 'b = bytearray(100 * 1024 * 1024)'; echo "status $?"`);
    t.match(oom.stdout, 'status 137');
    t.match(fs.readFileSync(`${ROOT}${base}/demo/memory.events`, 'utf8'), /^oom_kill 1$/m);
  });

  t.test('v2: --pids refuses forks past the limit', async (t) => {
    const r = tool('tscgexec', ['-g', `pids:${base}/demo`, 'sh', '-c', `for i in $(seq 20); do sleep 2 & done 2>/dev/null; cat ${ROOT}${base}/demo/pids.current; kill $(jobs -p) 2>/dev/null; true`]);
    t.ok(Number(r.stdout.trim()) <= 8, `pids.current ${r.stdout.trim()} ≤ 8`);
    t.match(fs.readFileSync(`${ROOT}${base}/demo/pids.events`, 'utf8'), /^max [1-9]/m);
  });
}
