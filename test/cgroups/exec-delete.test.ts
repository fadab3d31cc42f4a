// tscgexec and tscgdelete on this v1/hybrid host, and limits the kernel enforces.
import t from 'tap';
import fs = require('fs');
import { background, childrenOf, sh, tool, until } from '../lib/run';
import { cgroupBase, exists, knob, v1Host } from '../lib/cgroups';

if (v1Host) t.test('--memory 32M: a 100 MB allocation under tscgexec is OOM-killed (137), counted, and said', async (t) => {
  const x = `${cgroupBase(t)}/oom`;
  t.equal(tool('tscgcreate', ['-g', `memory:${x}`, '--memory', '32M']).status, 0);
  const r = tool('tscgexec', ['-g', `memory:${x}`, 'python3', '-c', 'b = bytearray(100 * 1024 * 1024); b[::4096] = b"x" * len(b[::4096])']);
  t.equal(r.status, null, 'killed');
  t.equal(r.signal, 'SIGKILL');
  t.equal(r.stderr, `tscgexec: python3 was killed by the memory limit of memory:${x} (raise it with tscgcreate -g memory:${x} --memory <size>)\n`,
    'the waiting parent says why');
  const viaShell = sh(`tscgexec -g memory:${x} python3 -c 'b = bytearray(100 * 1024 * 1024)'; echo "status $?"`);
  t.match(viaShell.stdout, 'status 137');
  t.match(viaShell.stderr, `killed by the memory limit of memory:${x}`);
  t.match(knob('memory', x, 'memory.oom_control'), /^oom_kill [1-9]\d*$/m);
  // a SIGKILL that is not the memory limit's, and an OOM kill with nobody waiting: nothing said
  const other = sh(`tscgexec -g memory:${x} sh -c 'kill -9 $$'; echo "status $?"`);
  t.equal(other.stdout, 'status 137\n');
  t.notMatch(other.stderr, 'memory limit', 'a SIGKILL of its own');
  const unwaited = sh(`tscgexec -F -g memory:${x} python3 -c 'b = bytearray(100 * 1024 * 1024)'; echo "status $?"`);
  t.equal(unwaited.stdout, 'status 137\n');
  t.notMatch(unwaited.stderr, 'memory limit', '-F: no parent is left to say it');
});

if (v1Host) t.test('--pids 5: a fork bomb cannot pass 5', async (t) => {
  const x = `${cgroupBase(t)}/pids`;
  t.equal(tool('tscgcreate', ['-g', `pids:${x}`, '--pids', '5']).status, 0);
  const r = tool('tscgexec', ['-g', `pids:${x}`, 'sh', '-c', `n=0; for i in $(seq 20); do sleep 2 & n=$((n+1)); done 2>/dev/null; cat /sys/fs/cgroup/pids${x}/pids.current; kill $(jobs -p) 2>/dev/null; true`]);
  t.ok(Number(r.stdout.trim()) <= 5, `pids.current ${r.stdout.trim()} ≤ 5`);
  t.match(knob('pids', x, 'pids.events'), /^max [1-9]\d*$/, 'forks were refused');
});

if (v1Host) t.test('tscgexec joins every named hierarchy; -F keeps its PID; no Node left', async (t) => {
  const x = `${cgroupBase(t)}/e`;
  t.equal(tool('tscgcreate', ['-g', `memory,pids,cpu:${x}`]).status, 0);
  const out = `/tmp/tsns-test-${process.pid}-cgexec`;
  t.teardown(() => fs.rmSync(out, { force: true }));
  const r = sh(`tscgexec -F -g memory,pids:${x} -g cpu:${x} sh -c 'echo $$; cat /proc/self/cgroup' > ${out} & echo $!; wait`);
  const [inner, ...rest] = fs.readFileSync(out, 'utf8').trim().split('\n');
  t.equal(r.stdout.trim(), inner, 'the same PID');
  for (const c of ['memory', 'pids', 'cpu']) t.ok(rest.some((l) => l.endsWith(`:${x}`) && l.split(':')[1].split(',').includes(c)), `in ${c}:${x}`);
  t.ok(rest.some((l) => l === '5:devices:/'), 'other hierarchies untouched');
  const long = background(t, `tscgexec -F -g memory:${x} sleep 30`);
  await until(() => fs.readlinkSync(`/proc/${long.pid}/exe`) === '/usr/bin/sleep');
  t.pass('with -F the tool became the program');
  // by default a native parent waits outside the cgroups, the program its child
  const waited = background(t, `tscgexec -g memory:${x} sleep 30`);
  await until(() => childrenOf(waited.pid!).length === 1 && fs.readlinkSync(`/proc/${childrenOf(waited.pid!)[0]}/exe`) === '/usr/bin/sleep');
  t.match(fs.readlinkSync(`/proc/${waited.pid}/exe`), /\/tscore-exec$/, 'the parent is the native executor, not Node');
  const procs = knob('memory', x, 'cgroup.procs').split('\n');
  t.ok(procs.includes(String(childrenOf(waited.pid!)[0])) && !procs.includes(String(waited.pid)), 'the program is in the cgroup, the parent not');
  const sent = sh(`kill -TERM ${waited.pid}`);
  t.equal(sent.status, 0);
  await until(() => waited.signalCode !== null);
  t.equal(waited.signalCode, 'SIGTERM', 'a signal sent to the parent reached the program, whose status it returned');
});

if (v1Host) t.test('a user given the cgroups with tscgcreate -t joins them with tscgexec (v1: through tasks, as cgexec)', async (t) => {
  const x = `${cgroupBase(t)}/delegated`;
  t.equal(tool('tscgcreate', ['-g', `memory,pids:${x}`, '-t', '65534:65534']).status, 0);
  const r = sh(`setpriv --reuid 65534 --regid 65534 --clear-groups tscgexec -g memory,pids:${x} sh -c 'id -u; cat /proc/self/cgroup'`);
  t.equal(r.status, 0, r.stderr);
  const [uid, ...lines] = r.stdout.trim().split('\n');
  t.equal(uid, '65534', 'not root');
  for (const c of ['memory', 'pids']) t.ok(lines.some((l) => l.endsWith(`:${c}:${x}`)), `in ${c}:${x}`);
  t.match(tool('tscgexec', ['--dry-run', '-g', `memory:${x}`, 'true']).stdout, /^ {2}child: write\(".*\/delegated\/tasks", "0"\)$/m, 'the dry run shows the write to tasks, by the child');
});

if (v1Host) t.test('must-show: the design card\'s chain', async (t) => {
  const demo = `${cgroupBase(t)}/demo`;
  const r = sh(`tscgcreate -g memory,pids:${demo} --memory 64M --pids 64 && tscgexec -g memory,pids:${demo} tsunshare -pmnu --fork sh -c 'cat /proc/self/cgroup; echo $$'`);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, new RegExp(`:pids:${demo}\\n`));
  t.match(r.stdout, new RegExp(`:memory:${demo}\\n`));
  t.equal(r.stdout.trim().split('\n').pop(), '1');
});

if (v1Host) t.test('tscgexec refusals: the program is not run', async (t) => {
  const base = cgroupBase(t);
  const missing = tool('tscgexec', ['-g', `memory:${base}/none`, 'touch', '/tmp/tsns-should-not-exist']);
  t.equal(missing.status, 1);
  t.equal(missing.stderr, `tscgexec: cgroup memory:${base}/none does not exist\n`);
  t.notOk(fs.existsSync('/tmp/tsns-should-not-exist'));
  t.equal(tool('tscgexec', ['-g', 'bogus:x', 'true']).stderr.split('\n').length, 2);
  t.equal(tool('tscgexec', ['-g', 'memory:/', 'true']).status, 0, 'the root is a cgroup too');
  const noProgram = tool('tscgexec', ['-g', 'memory:/']);
  t.equal(noProgram.status, 1);
  t.equal(noProgram.stderr, "tscgexec: no program given (try 'tscgexec --help')\n");
  t.equal(tool('tscgexec', ['-g', 'memory:/', 'nonexistent-cmd']).status, 127);
  t.equal(tool('tscgexec', ['--sticky', '-g', 'memory:/', 'sh', '-c', 'exit 7']).status, 7, '--sticky accepted');
});

if (v1Host) t.test('tscgdelete: every controller\'s directory, -r, refusal with processes, --kill', async (t) => {
  const base = cgroupBase(t);
  t.equal(tool('tscgcreate', ['-g', `memory,pids:${base}/d/child`]).status, 0);
  const nested = tool('tscgdelete', ['-g', `memory,pids:${base}/d`]);
  t.equal(nested.status, 1);
  t.match(nested.stderr, /has child cgroups \(use -r/);
  t.equal(tool('tscgdelete', ['-r', '-g', `memory,pids:${base}/d`]).status, 0);
  t.notOk(exists('memory', `${base}/d`) || exists('pids', `${base}/d`), 'gone from both hierarchies');

  t.equal(tool('tscgcreate', ['-g', `memory,pids:${base}/busy`]).status, 0);
  const sleeper = background(t, `tscgexec -g memory,pids:${base}/busy sleep 60`);
  // the program, tscgexec's child, is in the cgroup; tscgexec waits outside
  await until(() => childrenOf(sleeper.pid!).length === 1 && knob('memory', `${base}/busy`, 'cgroup.procs') === String(childrenOf(sleeper.pid!)[0]));
  const refused = tool('tscgdelete', [`memory,pids:${base}/busy`]);
  t.equal(refused.status, 1);
  t.equal(refused.stderr, `tscgdelete: cgroup memory:${base}/busy has 1 process in it (use --kill to kill them)\n`);
  t.ok(exists('memory', `${base}/busy`), 'and nothing was removed or moved');
  const killed = tool('tscgdelete', ['--kill', '-g', `memory,pids:${base}/busy`]);
  t.equal(killed.status, 0, killed.stderr);
  t.notOk(exists('memory', `${base}/busy`));
  await until(() => sleeper.exitCode !== null || sleeper.signalCode !== null);
  t.equal(sleeper.signalCode, 'SIGKILL');

  const none = tool('tscgdelete', [`memory:${base}/never`]);
  t.equal(none.stderr, `tscgdelete: cgroup memory:${base}/never does not exist\n`);
  t.equal(tool('tscgdelete', ['memory:/']).status, 1, 'never a hierarchy\'s root');
});

if (!v1Host) t.test('cgroup v1 host', { skip: 'no cgroup v1 hierarchies here (the v2 files test this host)' }, async () => {});
