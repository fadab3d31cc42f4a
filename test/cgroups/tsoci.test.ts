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

/** a real block device of this machine, "MAJ:MIN" (a disk rather than a loop or zram one, if any) */
function blockDevice(): [number, number] {
  const all = fs.readdirSync('/sys/block');
  const name = all.find((n) => !/^(loop|ram|zram)/.test(n)) ?? all[0];
  const [major, minor] = fs.readFileSync(`/sys/block/${name}/dev`, 'utf8').trim().split(':').map(Number);
  return [major, minor];
}

t.test('tsoci: linux.resources.blockIO, its weight and throttles, seen from the host and inside; update --blkio-weight', async (t) => {
  const cg = `${cgroupBase(t)}/io`;
  const [major, minor] = blockDevice();
  const dev = `${major}:${minor}`;
  const b = bundle(t, (c) => {
    args(V2 ? 'cat /sys/fs/cgroup/io.max; exec sleep 600' : 'cat /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device /sys/fs/cgroup/blkio/blkio.throttle.write_iops_device; exec sleep 600')(c);
    c.linux.cgroupsPath = cg;
    c.linux.resources = {
      blockIO: {
        weight: 500,
        throttleReadBpsDevice: [{ major, minor, rate: 1048576 }], throttleWriteBpsDevice: [{ major, minor, rate: 2097152 }],
        throttleReadIOPSDevice: [{ major, minor, rate: 100 }], throttleWriteIOPSDevice: [{ major, minor, rate: 200 }],
      },
    };
    c.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'ro'] });
  });
  const created = b.detached(`create -b ${b.bundle} io1`);
  t.equal(created.status, 0, created.stderr || 'created');
  const dir = V2 ? path.join('/sys/fs/cgroup', cg) : path.join('/sys/fs/cgroup/blkio', cg);
  // runc's choice of file: cfq's, else bfq's (v1); bfq's as is, else io.weight converted to 1..10000 (v2)
  const weightFile = V2 ? (fs.existsSync(`${dir}/io.bfq.weight`) ? 'io.bfq.weight' : 'io.weight') : fs.existsSync(`${dir}/blkio.weight`) ? 'blkio.weight' : 'blkio.bfq.weight';
  const weight = (w: number) => (weightFile === 'io.weight' ? 1 + Math.floor(((w - 10) * 9999) / 990) : w);
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8').trim();
  t.match(read(weightFile), new RegExp(`^(default )?${weight(500)}$`, 'm'), `weight 500 in ${weightFile}`);
  if (V2) {
    t.match(read('io.max'), `${dev} rbps=1048576 wbps=2097152 riops=100 wiops=200`, 'the throttles in io.max');
  } else {
    t.equal(read('blkio.throttle.read_bps_device'), `${dev} 1048576`);
    t.equal(read('blkio.throttle.write_bps_device'), `${dev} 2097152`);
    t.equal(read('blkio.throttle.read_iops_device'), `${dev} 100`);
    t.equal(read('blkio.throttle.write_iops_device'), `${dev} 200`);
  }
  t.equal(b.oci(['start', 'io1']).status, 0);
  await until(() => fs.readFileSync(`${b.dir}/out`, 'utf8').split('\n').length > 2 || (V2 && fs.readFileSync(`${b.dir}/out`, 'utf8').includes('\n')), 30_000);
  t.equal(fs.readFileSync(`${b.dir}/out`, 'utf8'), V2 ? `${dev} rbps=1048576 wbps=2097152 riops=100 wiops=200\n` : `${dev} 1048576\n${dev} 200\n`,
    'the container reads its own throttles');
  const updated = b.oci(['update', '--blkio-weight', '300', 'io1']);
  t.equal(updated.status, 0, updated.stderr || 'update --blkio-weight');
  t.match(read(weightFile), new RegExp(`^(default )?${weight(300)}$`, 'm'), 'update wrote the new weight');
  t.equal(b.oci(['delete', '--force', 'io1']).status, 0);
  t.notOk(fs.existsSync(dir), 'delete removes its cgroup');
});

t.test('tsoci: blockIO knobs this kernel lacks fail as runc fails, naming the field, and leave no cgroup', async (t) => {
  const cg = `${cgroupBase(t)}/io`;
  const [major, minor] = blockDevice();
  const b = bundle(t, (c) => {
    c.linux.cgroupsPath = cg;
    c.linux.resources = { blockIO: { weight: 400, leafWeight: 300 } };
  });
  // stdio to files: a created init keeps what it was given open
  const created = b.detached(`create -b ${b.bundle} io2`);
  if (V2) {
    // cgroup v2 has no leaf weight: runc leaves it out
    t.equal(created.status, 0, created.stderr || 'leafWeight ignored on v2');
    t.equal(b.oci(['delete', '--force', 'io2']).status, 0);
  } else if (!fs.existsSync('/sys/fs/cgroup/blkio/blkio.leaf_weight')) {
    t.ok(created.status !== 0, 'no blkio.leaf_weight (no cfq since 5.0): refused');
    t.match(created.stderr, /^tsoci: linux\.resources\.blockIO: write 300 to \/sys\/fs\/cgroup\/blkio\/.*\/blkio\.leaf_weight: No such file or directory\n$/);
    t.notOk(fs.existsSync(path.join('/sys/fs/cgroup/blkio', cg)), 'its cgroup removed');
  }
  // a device weight on a disk whose scheduler is not bfq (nor cfq): the kernel refuses it (v1; v2 leaves it out where io.bfq.weight does not take devices)
  const disk = fs.readdirSync('/sys/block').find((n) => fs.readFileSync(`/sys/block/${n}/dev`, 'utf8').trim() === `${major}:${minor}`);
  const scheduler = disk ? fs.readFileSync(`/sys/block/${disk}/queue/scheduler`, 'utf8') : '';
  if (!V2 && !/\[(bfq|cfq)\]/.test(scheduler)) {
    const wd = bundle(t, (c) => {
      c.linux.cgroupsPath = `${cg}2`;
      c.linux.resources = { blockIO: { weightDevice: [{ major, minor, weight: 300 }] } };
    });
    const r = wd.oci(['create', '-b', wd.bundle, 'io4']);
    t.ok(r.status !== 0, `a device weight on ${disk} (${scheduler.trim()}): refused`);
    t.match(r.stderr, new RegExp(`^tsoci: linux\\.resources\\.blockIO: write ${major}:${minor} 300 to .*weight_device: Operation not supported\n$`));
    t.notOk(fs.existsSync(path.join('/sys/fs/cgroup/blkio', `${cg}2`)), 'its cgroup removed');
  }
  const bad = bundle(t, (c) => {
    c.linux.resources = { blockIO: { throttleReadBpsDevice: [{ major, minor: -1, rate: 1 }] } };
  });
  const refused = bad.oci(['create', '-b', bad.bundle, 'io3']);
  t.ok(refused.status !== 0, 'refused');
  t.match(refused.stderr, 'linux.resources.blockIO.throttleReadBpsDevice[0].minor: expected an integer from 0 to');
});

t.test('tsoci: linux.resources.hugepageLimits in the hugetlb controller (v1 or v2), else refused as runc refuses it',
  { skip: !fs.existsSync('/sys/kernel/mm/hugepages/hugepages-2048kB') && 'no 2MB huge pages in this kernel' }, async (t) => {
  const cg = `${cgroupBase(t)}/huge`;
  const v1 = fs.existsSync('/sys/fs/cgroup/hugetlb/cgroup.procs');
  const v2 = V2 && fs.readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').split(/\s/).includes('hugetlb');
  const limit = 8 * 2097152;
  const b = bundle(t, (c) => {
    args(`cat /sys/fs/cgroup/${v1 ? 'hugetlb/hugetlb.2MB.limit_in_bytes' : 'hugetlb.2MB.max'}; exec sleep 600`)(c);
    c.linux.cgroupsPath = cg;
    c.linux.resources = { hugepageLimits: [{ pageSize: '2MB', limit }] };
    c.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'ro'] });
  });
  const created = b.detached(`create -b ${b.bundle} huge1`);
  if (!v1 && !v2) {
    // this hybrid host: hugetlb is on cgroup v2 only, where runc (its v1 manager) sets no limit either
    t.equal(created.status, 1, 'refused');
    t.match(created.stderr, /^tsoci: linux\.resources\.hugepageLimits: cannot set a limit of the hugetlb controller, which no cgroup hierarchy of this host offers/);
    t.notOk(fs.existsSync(path.join('/sys/fs/cgroup/memory', cg)), 'nothing made');
  } else {
    t.equal(created.status, 0, created.stderr || 'created');
    const dir = v1 ? path.join('/sys/fs/cgroup/hugetlb', cg) : path.join('/sys/fs/cgroup', cg);
    const file = v1 ? 'hugetlb.2MB.limit_in_bytes' : 'hugetlb.2MB.max';
    t.equal(fs.readFileSync(path.join(dir, file), 'utf8').trim(), String(limit), file);
    const rsvd = v1 ? 'hugetlb.2MB.rsvd.limit_in_bytes' : 'hugetlb.2MB.rsvd.max';
    if (fs.existsSync(path.join(dir, rsvd))) t.equal(fs.readFileSync(path.join(dir, rsvd), 'utf8').trim(), String(limit), `${rsvd} too`);
    t.equal(b.oci(['start', 'huge1']).status, 0);
    await until(() => fs.readFileSync(`${b.dir}/out`, 'utf8').includes('\n'), 30_000);
    t.equal(fs.readFileSync(`${b.dir}/out`, 'utf8'), `${limit}\n`, 'the container reads its own limit');
    t.equal(b.oci(['delete', '--force', 'huge1']).status, 0);
    t.notOk(fs.existsSync(dir), 'delete removes its cgroup');
  }
  // a page size the kernel lacks (or a path) never reaches a file name
  const bad = bundle(t, (c) => {
    c.linux.resources = { hugepageLimits: [{ pageSize: '../../memory.max', limit: 1 }] };
  });
  const refused = bad.oci(['create', '-b', bad.bundle, 'huge2']);
  t.equal(refused.status, 1);
  t.match(refused.stderr, /^tsoci: linux\.resources\.hugepageLimits\[0\]\.pageSize: '\.\.\/\.\.\/memory\.max' is not a huge page size of this kernel \(.*2MB.*\)\n$/);
});

t.test('tsoci: linux.resources.unified writes cgroup v2 files by name (v2 only, as runc); a key that is a path is refused', async (t) => {
  const cg = `${cgroupBase(t)}/uni`;
  const b = bundle(t, (c) => {
    args('cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/memory.high; exec sleep 600')(c);
    c.linux.cgroupsPath = cg;
    c.linux.resources = { pids: { limit: 50 }, unified: { 'pids.max': '10', 'memory.high': '33554432' } };
    c.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'ro'] });
  });
  const created = b.detached(`create -b ${b.bundle} uni1`);
  if (!V2) {
    t.equal(created.status, 1, 'refused on a host with v1 hierarchies');
    t.equal(created.stderr, 'tsoci: linux.resources.unified: invalid configuration: cannot use unified on cgroup v1 (this host has v1 hierarchies)\n');
    t.notOk(fs.existsSync(path.join('/sys/fs/cgroup/memory', cg)), 'nothing made');
  } else {
    t.equal(created.status, 0, created.stderr || 'created');
    const dir = path.join('/sys/fs/cgroup', cg);
    t.equal(fs.readFileSync(path.join(dir, 'pids.max'), 'utf8').trim(), '10', 'unified over pids.limit (written after it)');
    t.equal(fs.readFileSync(path.join(dir, 'memory.high'), 'utf8').trim(), '33554432', 'its controller enabled for it');
    t.equal(b.oci(['start', 'uni1']).status, 0);
    await until(() => fs.readFileSync(`${b.dir}/out`, 'utf8').split('\n').length > 2, 30_000);
    t.equal(fs.readFileSync(`${b.dir}/out`, 'utf8'), '10\n33554432\n', 'the container reads them');
    t.equal(b.oci(['delete', '--force', 'uni1']).status, 0);
    t.notOk(fs.existsSync(dir), 'delete removes its cgroup');
  }
  for (const key of ['../memory.max', '..']) {
    const bad = bundle(t, (c) => {
      c.linux.resources = { unified: { [key]: '1' } };
    });
    const refused = bad.oci(['create', '-b', bad.bundle, 'uni2']);
    t.equal(refused.status, 1);
    t.equal(refused.stderr, `tsoci: linux.resources.unified: key '${key}' must be a file name (no slashes)\n`, `'${key}' refused`);
  }
});
