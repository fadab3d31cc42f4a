// tsoci's cgroups on this host's version (v1 or hybrid here, v2 in the
// guest lane): podman's config in short — a cgroupsPath beneath the test's
// cgroup, memory and pids limits, a deny-all device rule with runc's allowed
// devices after it, the cgroups mounted read-only inside — through create,
// start, kill and delete, seen from inside and from the host.
import t from 'tap';
import fs = require('fs');
import path = require('path');
import { cgroupBase, v1Host } from '../lib/cgroups';
import { args, bundle } from '../lib/oci';
import { until } from '../lib/run';

const V2 = !v1Host && fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
/** a knob of the container's cgroup, as the host reads it */
const knob = (cg: string, v1: [string, string], v2: string) =>
  fs.readFileSync(V2 ? path.join('/sys/fs/cgroup', cg, v2) : path.join('/sys/fs/cgroup', v1[0], cg, v1[1]), 'utf8').trim();

t.test('tsoci: limits, device rules and a cgroup mount; create → start → kill → delete leaves no cgroup', async (t) => {
  const cg = `${cgroupBase(t)}/box`;
  const b = bundle(t, (c) => {
    // a device node the rules allow (null) and one they do not (kmsg): both made, one opened
    args([
      'echo x > /dev/null && echo null-ok',
      'mknod /tmp/null2 c 1 3 && echo x > /tmp/null2 && echo made-null-ok',
      'mknod /tmp/kmsg c 1 11 && (: < /tmp/kmsg) 2>/dev/null || echo kmsg-denied',
      // v1: a tmpfs with each hierarchy in it; v2: the cgroup itself
      'if [ -d /sys/fs/cgroup/memory ]; then cd /sys/fs/cgroup/memory; cat memory.limit_in_bytes; else cd /sys/fs/cgroup; cat memory.max; fi',
      'mkdir sub 2>/dev/null || echo cgroup-ro',
      'echo done; exec sleep 600',
    ].join('; '))(c);
    c.process.capabilities.bounding.push('CAP_MKNOD');
    c.process.capabilities.effective.push('CAP_MKNOD');
    c.process.capabilities.permitted.push('CAP_MKNOD');
    c.linux.cgroupsPath = cg;
    c.linux.resources = { memory: { limit: 64 << 20 }, pids: { limit: 32 }, devices: [{ allow: false, access: 'rwm' }] };
    c.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] });
  });
  const created = b.detached(`create -b ${b.bundle} cg1`);
  t.equal(created.status, 0, created.stderr || 'created');
  const { pid, status } = JSON.parse(b.oci(['state', 'cg1']).stdout);
  t.equal(status, 'created');
  t.match(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'), V2 ? `0::${cg}\n` : `:memory:${cg}\n`, 'the init is in its cgroup');
  t.equal(knob(cg, ['memory', 'memory.limit_in_bytes'], 'memory.max'), String(64 << 20));
  t.equal(knob(cg, ['pids', 'pids.max'], 'pids.max'), '32');
  t.equal(b.oci(['start', 'cg1']).status, 0);
  await until(() => fs.readFileSync(`${b.dir}/out`, 'utf8').includes('done'), 30_000);
  t.equal(fs.readFileSync(`${b.dir}/out`, 'utf8'), `null-ok\nmade-null-ok\nkmsg-denied\n${64 << 20}\ncgroup-ro\ndone\n`,
    'the allowed devices open, kmsg does not; its own memory limit, read-only, in the cgroup mount');
  t.equal(b.oci(['kill', 'cg1', 'KILL']).status, 0);
  await until(() => JSON.parse(b.oci(['state', 'cg1']).stdout).status === 'stopped', 30_000);
  t.equal(b.oci(['delete', 'cg1']).status, 0);
  t.notOk(fs.existsSync(V2 ? `/sys/fs/cgroup${cg}` : `/sys/fs/cgroup/memory${cg}`), 'delete removes its cgroup');
});
