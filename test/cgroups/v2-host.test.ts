// cgroup v2 for real: needs a host whose /sys/fs/cgroup is cgroup2 offering
// memory, pids, cpu, cpuset and io, and a v2 cgroup of ours that may have
// children with controllers (the root, or one without processes). The v2
// guest lane (test/vm/in-v2) is such a host; elsewhere this file is skipped,
// with the reason printed.
import t from 'tap';
import fs = require('fs');
import { background, sh, tool, until } from '../lib/run';
import { removeTree } from '../lib/cgroups';

const ROOT = '/sys/fs/cgroup';
const NEEDED = ['memory', 'pids', 'cpu', 'cpuset', 'io'];
const isV2 = fs.statfsSync(ROOT).type === 0x63677270;
const offered = isV2 ? fs.readFileSync(`${ROOT}/cgroup.controllers`, 'utf8').trim().split(' ') : [];
const own = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::'))?.slice(3) ?? '/';
const ownBusy = own !== '/' && fs.readFileSync(`${ROOT}${own}/cgroup.procs`, 'utf8').trim() !== '';
const why = !isV2 ? `${ROOT} is not cgroup v2 on this host (the v2 guest lane runs these)`
  : !NEEDED.every((c) => offered.includes(c)) ? `cgroup v2 here offers only: ${offered.join(' ') || 'nothing'}`
  : ownBusy ? `our cgroup ${own} holds processes, so it cannot enable controllers for children`
  : undefined;

const read = (cg: string, file: string) => fs.readFileSync(`${ROOT}${cg}/${file}`, 'utf8').trim();

if (why) {
  t.comment(`v2 host tests skipped: ${why}`);
  t.test('cgroup v2 host', { skip: why }, async () => {});
} else {
  const base = `${own === '/' ? '' : own}/tsns-test-${process.pid}`;
  t.teardown(() => removeTree(`${ROOT}${base}`));

  t.test('controllers are enabled in every ancestor\'s subtree_control, never in the leaf', async (t) => {
    const r = tool('tscgcreate', ['-g', `memory,pids,cpu,cpuset,io:${base}/a/leaf`]);
    t.equal(r.status, 0, r.stderr);
    for (const cg of ['', base, `${base}/a`]) {
      const on = read(cg, 'cgroup.subtree_control').split(' ');
      for (const c of NEEDED) t.ok(on.includes(c), `${c} enabled in ${cg || '/'}`);
    }
    t.equal(read(`${base}/a/leaf`, 'cgroup.subtree_control'), '', 'not in the leaf');
    t.equal(tool('tscgexec', ['-g', `memory:${base}/a/leaf`, 'true']).status, 0, 'so the leaf takes processes');
  });

  t.test('every portable limit lands in its v2 knob', async (t) => {
    const x = `${base}/limits`;
    const r = tool('tscgcreate', ['-g', `memory,pids,cpu,cpuset,io:${x}`, '--memory', '32M', '--memory-swap', '48M',
      '--cpus', '0.5', '--cpu-shares', '512', '--pids', '8', '--cpuset-cpus', '0', '--cpuset-mems', '0',
      '--device-read-bps', '/dev/loop0:1M', '--device-write-bps', '7:0:2048']);
    t.equal(r.status, 0, r.stderr);
    t.equal(read(x, 'memory.max'), String(32 * 1024 * 1024));
    t.equal(read(x, 'memory.swap.max'), String(16 * 1024 * 1024), 'swap.max = memory+swap − memory');
    t.equal(read(x, 'cpu.max'), '50000 100000');
    t.equal(read(x, 'cpu.weight'), '59', 'cpu.shares 512 → cpu.weight 59 (runc)');
    t.equal(read(x, 'pids.max'), '8');
    t.equal(read(x, 'cpuset.cpus'), '0');
    t.equal(read(x, 'cpuset.mems'), '0');
    t.match(read(x, 'io.max'), /^7:0 rbps=1048576 wbps=2048 riops=max wiops=max$/);
    t.equal(tool('tscgcreate', ['-g', `cpu:${x}`, '--cpu-weight', '300']).status, 0);
    t.equal(read(x, 'cpu.weight'), '300');
  });

  t.test('must-show: --memory 32M, a 100 MB allocation exits 137 and memory.events counts it', async (t) => {
    const demo = `${base}/demo`;
    t.equal(tool('tscgcreate', ['-g', `memory,pids:${demo}`, '--memory', '32M', '--pids', '8']).status, 0);
    const r = sh(`tscgexec -g memory,pids:${demo} python3 -c 'b = bytearray(100 * 1024 * 1024)'; echo "status $?"`);
    t.match(r.stdout, 'status 137');
    t.match(read(demo, 'memory.events'), /^oom_kill 1$/m);
    // (the shell that ran it may add its own "Killed" line)
    t.equal(r.stderr.split('\n')[0], `tscgexec: python3 was killed by the memory limit of memory:${demo} (raise it with tscgcreate -g memory:${demo} --memory <size>)`);
  });

  t.test('tscgcreate\'s trailing program runs inside the cgroup just made; one it could not join is refused, nothing made', async (t) => {
    const x = `${base}/trailing`;
    const r = tool('tscgcreate', ['-g', `memory:${x}`, '--memory', '32M', '--', 'python3', '-c', 'b = bytearray(100 << 20)']);
    t.equal(r.signal, 'SIGKILL', 'a 100 MB allocation under --memory 32M is killed');
    t.match(read(x, 'memory.events'), /^oom_kill 1$/m);
    t.match(r.stderr, `tscgcreate: python3 was killed by the memory limit of memory:${x} `);
    const inner = tool('tscgcreate', ['-g', `memory:${base}/outer`, '-g', `memory:${base}/outer/leaf`, '--', 'true']);
    t.equal(inner.status, 1);
    t.match(inner.stderr, /^tscgcreate: cannot join memory:\S+\/outer: it has controllers enabled for its children \(memory\)/);
    t.notOk(fs.existsSync(`${ROOT}${base}/outer`), 'nothing made');
  });

  t.test('--pids: forks past the limit are refused', async (t) => {
    const p = `${base}/pids`;
    t.equal(tool('tscgcreate', ['-g', `pids:${p}`, '--pids', '5']).status, 0);
    const r = tool('tscgexec', ['-g', `pids:${p}`, 'sh', '-c', `for i in $(seq 20); do sleep 2 & done 2>/dev/null; cat ${ROOT}${p}/pids.current; kill $(jobs -p) 2>/dev/null; true`]);
    t.ok(Number(r.stdout.trim()) <= 5, `pids.current ${r.stdout.trim()} ≤ 5`);
    t.match(read(p, 'pids.events'), /^max [1-9]/m);
  });

  t.test('tscgexec -F moves its own process; the design card\'s chain', async (t) => {
    const x = `${base}/chain`;
    t.equal(tool('tscgcreate', ['-g', `memory:${x}`]).status, 0);
    const out = `/tmp/tsns-test-${process.pid}-v2`;
    const r = sh(`tscgexec -F -g memory:${x} sh -c 'echo $$; grep ^0:: /proc/self/cgroup' > ${out} & echo $!; wait`);
    const [pid, cgroup] = fs.readFileSync(out, 'utf8').trim().split('\n');
    t.equal(pid, r.stdout.trim(), 'the same PID');
    t.equal(cgroup, `0::${x}`);
    const chain = sh(`tscgexec -g memory:${x} tsunshare -pmnu --fork sh -c 'grep ^0:: /proc/self/cgroup; echo $$'`);
    t.equal(chain.status, 0, chain.stderr);
    t.same(chain.stdout.trim().split('\n'), [`0::${x}`, '1']);
  });

  t.test('tscgdelete --kill goes through cgroup.kill', async (t) => {
    const k = `${base}/kill`;
    t.equal(tool('tscgcreate', ['-g', `pids:${k}`]).status, 0);
    const sleeper = background(t, `tscgexec -g pids:${k} sleep 60`);
    await until(() => read(k, 'cgroup.procs') !== '');
    t.equal(tool('tscgdelete', ['-g', `pids:${k}`]).status, 1, 'refused while it has a process');
    t.match(tool('tscgdelete', ['--dry-run', '--kill', '-g', `pids:${k}`]).stdout, `write("${ROOT}${k}/cgroup.kill", "1")`);
    t.equal(tool('tscgdelete', ['--kill', '-g', `pids:${k}`]).status, 0);
    await until(() => sleeper.signalCode !== null);
    t.equal(sleeper.signalCode, 'SIGKILL');
    t.notOk(fs.existsSync(`${ROOT}${k}`));
  });

  t.test('the "no internal processes" rule, as a clear error', async (t) => {
    // a cgroup with controllers enabled for its children cannot take processes
    t.equal(tool('tscgcreate', ['-g', `memory:${base}/inner/leaf`]).status, 0);
    const join = tool('tscgexec', ['-g', `memory:${base}/inner`, 'true']);
    t.equal(join.status, 1);
    t.match(join.stderr, /^tscgexec: cannot join memory:\S+\/inner: it has controllers enabled for its children \(memory\), and cgroup v2 puts processes only in leaves\n$/);
    // and a cgroup with processes cannot enable controllers for children
    t.equal(tool('tscgcreate', ['-g', `:${base}/busy`]).status, 0);
    const holder = background(t, `tscgexec -g :${base}/busy sleep 60`);
    await until(() => read(`${base}/busy`, 'cgroup.procs') !== '');
    const r = tool('tscgcreate', ['-g', `memory:${base}/busy/child`]);
    t.equal(r.status, 1);
    t.match(r.stderr, /^tscgcreate: cannot enable memory for the children of \S+\/busy: it holds processes \(1\), and cgroup v2 allows controllers only below cgroups without processes\n$/);
    t.notOk(fs.existsSync(`${ROOT}${base}/busy/child`), 'rolled back');
    holder.kill('SIGKILL');
  });
}
