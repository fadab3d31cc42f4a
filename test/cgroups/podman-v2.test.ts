// podman on a pure cgroup v2 host (the v2 guest lane; skipped elsewhere, the
// host's battery is test/oci-clients): tsoci as runc, with podman's config
// whole — its deny-all device rule as an eBPF program, its cgroup namespace,
// its default seccomp profile, a memory limit in memory.max.
import t from 'tap';
import fs = require('fs');
import { hasPodman, IMAGE, podman, RUNC, runOpts, TSOCI } from '../lib/podman';

const isV2 = fs.statfsSync('/sys/fs/cgroup').type === 0x63677270;
const skip = !isV2 ? 'not a cgroup v2 host (the v2 guest lane runs this)' : !hasPodman && 'no podman, conmon and runc (./setup --test installs them)';

t.test('podman run on cgroup v2: tsoci as runc (devices, cgroup namespace, seccomp, memory.max)', { skip }, async (t) => {
  const p = podman(t);
  const script = [
    'id', 'cat /proc/self/cgroup', 'grep Seccomp: /proc/self/status', 'cat /sys/fs/cgroup/memory.max',
    'echo x > /dev/null && echo null-ok', 'mknod /tmp/k c 1 11 && (: < /tmp/k) 2>/dev/null || echo kmsg-denied',
  ].join('; ');
  const run = (rt: string) => p.run(rt, ['run', '--rm', ...runOpts(p), '--memory', '32m', IMAGE, 'sh', '-c', script], { timeout: 120 });
  const ours = run(TSOCI);
  const theirs = run(RUNC);
  t.equal(ours.status, 0, ours.stderr || 'tsoci');
  t.equal(theirs.status, 0, theirs.stderr || 'runc');
  t.equal(ours.stdout, theirs.stdout, 'tsoci shows what runc shows');
  t.equal(ours.stdout, 'uid=0(root) gid=0(root)\n0::/\nSeccomp:\t2\n33554432\nnull-ok\nkmsg-denied\n');
});
