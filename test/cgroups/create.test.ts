// tscgcreate on this v1/hybrid host: every portable limit read back from the
// kernel's files, ownership, modes, idempotence, rollback, refusals.
import t from 'tap';
import fs = require('fs');
import path = require('path');
import { tool } from '../lib/run';
import { cgroupBase, exists, knob, V1, v1Host } from '../lib/cgroups';

if (v1Host) t.test('every portable limit lands in its v1 knob', async (t) => {
  const x = `${cgroupBase(t)}/x`;
  const r = tool('tscgcreate', ['-g', `memory,pids,cpu,cpuset,blkio:${x}`, '--memory', '64M', '--memory-swap', '96m',
    '--cpus', '1.5', '--cpu-shares', '512', '--pids', '42', '--cpuset-cpus', '0', '--cpuset-mems', '0',
    '--device-read-bps', '/dev/vda:1M', '--device-write-bps', '254:0:2048']);
  t.equal(r.status, 0, r.stderr);
  t.equal(knob('memory', x, 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
  t.equal(knob('memory', x, 'memory.memsw.limit_in_bytes'), String(96 * 1024 * 1024));
  t.equal(knob('cpu', x, 'cpu.cfs_quota_us'), '150000');
  t.equal(knob('cpu', x, 'cpu.cfs_period_us'), '100000');
  t.equal(knob('cpu', x, 'cpu.shares'), '512');
  t.equal(knob('pids', x, 'pids.max'), '42');
  t.equal(knob('cpuset', x, 'cpuset.cpus'), '0');
  t.equal(knob('cpuset', x, 'cpuset.mems'), '0');
  t.equal(knob('blkio', x, 'blkio.throttle.read_bps_device'), '254:0 1048576');
  t.equal(knob('blkio', x, 'blkio.throttle.write_bps_device'), '254:0 2048');
});

if (v1Host) t.test('--cpu-weight becomes cpu.shares on v1 (runc\'s conversion, inverted)', async (t) => {
  const x = `${cgroupBase(t)}/w`;
  t.equal(tool('tscgcreate', ['-g', `cpu:${x}`, '--cpu-weight', '100']).status, 0);
  t.equal(knob('cpu', x, 'cpu.shares'), '1024');
  t.equal(tool('tscgcreate', ['-g', `cpu:${x}`, '--cpu-weight', '10000']).status, 0);
  t.equal(knob('cpu', x, 'cpu.shares'), '262144');
});

if (v1Host) t.test('memory and memory+swap raised and lowered together on an existing v1 cgroup (memsw ≥ memory at every write)', async (t) => {
  const x = `${cgroupBase(t)}/memsw`;
  const M = 1024 * 1024;
  for (const [memory, swap] of [[64, 96], [200, 300], [32, 48]]) {
    const r = tool('tscgcreate', ['-g', `memory:${x}`, '--memory', `${memory}M`, '--memory-swap', `${swap}M`]);
    t.equal(r.status, 0, r.stderr);
    t.equal(knob('memory', x, 'memory.limit_in_bytes'), String(memory * M), `memory ${memory}M`);
    t.equal(knob('memory', x, 'memory.memsw.limit_in_bytes'), String(swap * M), `memory+swap ${swap}M`);
  }
  const r = tool('tscgcreate', ['-g', `memory:${x}`, '--memory', 'max', '--memory-swap', 'max']);
  t.equal(r.status, 0, r.stderr);
  const unlimited = knob('memory', '/', 'memory.limit_in_bytes');
  t.equal(knob('memory', x, 'memory.limit_in_bytes'), unlimited, 'memory max');
  t.equal(knob('memory', x, 'memory.memsw.limit_in_bytes'), unlimited, 'memory+swap max');
});

if (v1Host) t.test('a new cpuset cgroup gets its parent\'s CPUs and memory nodes, so it can take processes', async (t) => {
  const x = `${cgroupBase(t)}/c`;
  t.equal(tool('tscgcreate', ['-g', `cpuset:${x}`]).status, 0);
  t.equal(knob('cpuset', x, 'cpuset.cpus'), fs.readFileSync(`${V1}/cpuset/cpuset.cpus`, 'utf8').trim());
  t.equal(tool('tscgexec', ['-g', `cpuset:${x}`, 'true']).status, 0);
});

if (v1Host) t.test('-r/--set writes a raw knob as given; -r without = is refused', async (t) => {
  const x = `${cgroupBase(t)}/r`;
  const r = tool('tscgcreate', ['-g', `memory:${x}`, '-r', 'memory.soft_limit_in_bytes=16M', '--set', 'memory.swappiness=10']);
  t.equal(r.status, 0, r.stderr);
  t.equal(knob('memory', x, 'memory.soft_limit_in_bytes'), String(16 * 1024 * 1024));
  t.equal(knob('memory', x, 'memory.swappiness'), '10');
  const bad = tool('tscgcreate', ['-g', `memory:${x}`, '-r', 'memory.limit_in_bytes']);
  t.equal(bad.status, 1);
  t.equal(bad.stderr, "tscgcreate: -r: expected <controller>.<knob>=<value>, not 'memory.limit_in_bytes'\n");
});

if (v1Host) t.test('-r and limits are written to every cgroup named with their controller', async (t) => {
  const base = cgroupBase(t);
  const r = tool('tscgcreate', ['-g', `cpu:${base}/a`, '-g', `cpu,pids:${base}/b`, '-r', 'cpu.shares=512', '--pids', '7']);
  t.equal(r.status, 0, r.stderr);
  for (const x of ['a', 'b']) t.equal(knob('cpu', `${base}/${x}`, 'cpu.shares'), '512', `cpu.shares in ${x}`);
  t.equal(knob('pids', `${base}/b`, 'pids.max'), '7');
});

if (v1Host) t.test('creating an existing cgroup is not an error; its limits are set again', async (t) => {
  const x = `${cgroupBase(t)}/i`;
  t.equal(tool('tscgcreate', ['-g', `memory,pids:${x}`, '--pids', '10']).status, 0);
  t.equal(tool('tscgcreate', ['-g', `memory,pids:${x}`, '--pids', '20']).status, 0);
  t.equal(knob('pids', x, 'pids.max'), '20');
});

if (v1Host) t.test('-a, -t and modes: names and numbers', async (t) => {
  const x = `${cgroupBase(t)}/o`;
  const r = tool('tscgcreate', ['-g', `memory:${x}`, '-a', 'daemon:daemon', '-t', '65534:nogroup', '-d', '750', '-f', '640', '-s', '0660']);
  t.equal(r.status, 0, r.stderr);
  const dir = path.join(V1, 'memory', x);
  const st = (f: string) => fs.statSync(path.join(dir, f));
  t.equal(st('').mode & 0o7777, 0o750);
  t.equal(st('').uid, 1);
  t.equal(st('cgroup.procs').uid, 1, '-a chowns the files');
  t.equal(st('memory.limit_in_bytes').mode & 0o777, 0o640, '-f');
  t.equal(st('tasks').uid, 65534, '-t owns the tasks file');
  t.equal(st('tasks').gid, 65534);
  t.equal(st('tasks').mode & 0o777, 0o660, '-s');
});

if (v1Host) t.test('rollback: when a later step fails, what this call created is removed', async (t) => {
  const base = cgroupBase(t);
  const r = tool('tscgcreate', ['-g', `memory,pids:${base}/a/b`, '--pids', '5', '-r', 'memory.nosuch=1']);
  t.equal(r.status, 1);
  t.match(r.stderr, /^tscgcreate: no knob memory\.nosuch in \S+\/a\/b\n$/);
  for (const h of ['memory', 'pids']) t.notOk(exists(h, base), `nothing left in ${h}`);
  const inval = tool('tscgcreate', ['-g', `cpuset:${base}/c`, '--cpuset-cpus', '63']);
  t.equal(inval.status, 1);
  t.match(inval.stderr, /cpuset\.cpus: the kernel refused the value '63'/);
  t.notOk(exists('cpuset', base));
});

if (v1Host) t.test('--dry-run prints the directories and values, and creates nothing', async (t) => {
  const base = cgroupBase(t);
  const r = tool('tscgcreate', ['--dry-run', '-g', `memory,pids:${base}/d`, '--memory', '32M', '--pids', '8']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, new RegExp(`mkdir\\("${V1}/memory${base}", 0755\\)`));
  t.match(r.stdout, /write\(".*\/memory.limit_in_bytes", "33554432"\)/);
  t.match(r.stdout, /write\(".*\/pids.max", "8"\)/);
  t.notOk(exists('memory', base));
});

if (v1Host) t.test('a trailing program runs after the cgroups are made (chain-loading)', async (t) => {
  const x = `${cgroupBase(t)}/p`;
  const r = tool('tscgcreate', ['-g', `pids:${x}`, '--pids', '3', 'cat', `${V1}/pids${x}/pids.max`]);
  t.equal(r.stdout.trim(), '3');
});

if (v1Host) t.test('a trailing program runs inside the cgroups just made (the joins tscgexec makes)', async (t) => {
  const x = `${cgroupBase(t)}/in`;
  const where = tool('tscgcreate', ['-g', `memory,pids:${x}`, '--', 'cat', '/proc/self/cgroup']);
  t.equal(where.status, 0, where.stderr);
  for (const c of ['memory', 'pids']) t.ok(where.stdout.split('\n').some((l) => l.endsWith(`:${c}:${x}`)), `in ${c}:${x}`);
  const oom = tool('tscgcreate', ['-g', `memory:${x}/oom`, '--memory', '50M', '--', 'python3', '-c', 'b = bytearray(200 << 20)']);
  t.equal(oom.signal, 'SIGKILL', 'a 200 MB allocation under --memory 50M is killed');
  t.match(knob('memory', `${x}/oom`, 'memory.oom_control'), /^oom_kill 1$/m, 'by the cgroup\'s OOM killer');
  t.equal(oom.stderr, `tscgcreate: python3 was killed by the memory limit of memory:${x}/oom (raise it with tscgcreate -g memory:${x}/oom --memory <size>)\n`, 'and said so');
  const dry = tool('tscgcreate', ['--dry-run', '-g', `memory:${x}/d`, '--', 'true']).stdout.trim().split('\n');
  t.match(dry.at(-2), new RegExp(`^ {2}child: write\\("${V1}/memory${x}/d/tasks", "0"\\)$`), 'the dry run shows the join, by the child');
  t.equal(dry.at(-1), '  child: execvp("true", ["true"])');
});

if (v1Host) t.test('sizes as users type them to docker: binary units, fractions rounded down to whole bytes', async (t) => {
  const x = `${cgroupBase(t)}/sizes`;
  for (const [size, bytes] of [['1.5G', 1536 << 20], ['10Mi', 10 << 20], ['512m', 512 << 20], ['1g', 1 << 30], ['100k', 100 << 10], ['64MiB', 64 << 20], ['4096', 4096]] as const) {
    const r = tool('tscgcreate', ['-g', `memory:${x}`, '--memory', size]);
    t.equal(r.status, 0, r.stderr);
    t.equal(knob('memory', x, 'memory.limit_in_bytes'), String(bytes), `${size} is ${bytes} bytes`);
  }
  const r = tool('tscgcreate', ['-g', `blkio:${x}`, '--device-write-bps', '254:0:1.7k']);
  t.equal(r.status, 0, r.stderr);
  t.equal(knob('blkio', x, 'blkio.throttle.write_bps_device'), '254:0 1740', '1.7k is 1740.8 bytes, rounded down');
});

const refusals: [string[], RegExp][] = [
  [['-g', 'memory'], /^bad cgroup 'memory': expected <controllers>:<path>$/],
  [['-g', 'memory:'], /^bad cgroup 'memory:': no path$/],
  [['-g', 'memory:a/../b'], /^bad cgroup path 'a\/..\/b': no empty, '\.' or '\.\.' components$/],
  [['-g', 'memory:a//b'], /^bad cgroup path/],
  [['-g', 'nosuch:x'], /^controller 'nosuch' is not mounted/],
  [['-g', 'memory:/'], /^refusing to change the root of a hierarchy \(memory:\/\)$/],
  [['--dry-run', '-g', 'memory,pids:/', '-a', 'nobody'], /^refusing to change the root of a hierarchy \(memory:\/\)$/],
  [['-g', ':/'], /^refusing to change the root of a hierarchy \(:\/\)$/],
  [['-g', 'memory:.'], /^bad cgroup path '\.': no empty, '\.' or '\.\.' components$/],
  [['-g', 'memory:BASE/x', '--memory', '12Q'], /^--memory: bad size '12Q'/],
  [['-g', 'memory:BASE/x', '--memory', '1.5.5G'], /^--memory: bad size '1\.5\.5G'/],
  [['-g', 'memory:BASE/x', '--memory', '.5G'], /^--memory: bad size '\.5G'/],
  [['-g', 'memory:BASE/x', '--memory', '1e9'], /^--memory: bad size '1e9'/],
  [['-g', 'memory:BASE/x', '--memory', '10Mx'], /^--memory: bad size '10Mx'/],
  [['-g', 'memory:BASE/x', '--memory', '0'], /^--memory: 0 bytes would kill every process in the cgroup \(max means no limit\)$/],
  [['-g', 'memory:BASE/x', '--memory', '0k'], /^--memory: 0 bytes would kill/],
  [['-g', 'cpu:BASE/x', '-r', 'cpu.shares='], /^-r: expected <controller>\.<knob>=<value>, not 'cpu\.shares='$/],
  [['-g', 'memory:BASE/x', '--memory-swap', '1G'], /^--memory-swap needs --memory/],
  [['-g', 'memory:BASE/x', '--memory', '2G', '--memory-swap', '1G'], /^--memory-swap must be at least --memory$/],
  [['-g', 'pids:BASE/x', '--pids', '-1'], /^--pids: bad number '-1'/],
  [['-g', 'cpu:BASE/x', '--cpus', 'two'], /^--cpus: bad number of CPUs 'two'$/],
  [['-g', 'cpu:BASE/x', '--cpu-weight', '0'], /^--cpu-weight: bad number '0'/],
  [['-g', 'memory:BASE/x', '-a', 'nosuchuser:root'], /^failed to parse user: 'nosuchuser'$/],
  [['-g', 'memory:BASE/x', '-d', '7777777'], /^-d: bad mode '7777777'/],
  [['-g', 'memory:BASE/x', '--pids', '5'], /^--pids needs a -g with the pids controller$/],
  [['-g', 'blkio:BASE/x', '--device-read-bps', '/etc/passwd:1M'], /is not a block device$/],
  [[], /^no cgroup given/],
];
for (const [args, message] of refusals) {
  if (v1Host) t.test(`refuses ${args.join(' ')}`, async (t) => {
    const base = cgroupBase(t);
    const r = tool('tscgcreate', args.map((a) => a.replace('BASE', base)));
    t.equal(r.status, 1);
    t.match(r.stderr.replace(/^tscgcreate: /, '').replace(/ \(try 'tscgcreate --help'\)\n$/, '\n').trimEnd(), message);
    t.equal(r.stderr.split('\n').length, 2, 'one line');
    for (const h of ['memory', 'pids', 'cpu', 'blkio']) t.notOk(exists(h, base), `nothing made in ${h}`);
  });
}

if (!v1Host) t.test('cgroup v1 host', { skip: 'no cgroup v1 hierarchies here (the v2 files test this host)' }, async () => {});
