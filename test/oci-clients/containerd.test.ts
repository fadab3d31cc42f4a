// tsoci under Debian's containerd (1.6, its runc.v2 shim): `ctr run
// --runc-binary $(command -v tsoci)` on the busybox image imported with
// `ctr image import`, containerd started by the test with its own root,
// state, socket and config, and stopped after.
import t from 'tap';
import fs = require('fs');
import { containerd, CTR_IMAGE, hasContainerd } from '../lib/containerd';
import { RUNC, TSOCI } from '../lib/podman';
import { until } from '../lib/run';

const skip = !hasContainerd && 'no containerd (./setup --test installs it)';

t.test('ctr run --rm --runc-binary tsoci: its output and status; run -d, task exec, ps, kill, rm', { skip }, async (t) => {
  const c = await containerd(t);
  const run = (id: string, args: string[], binary = TSOCI) => c.ctr(['run', '--cgroup', c.cgroup(id), '--runc-binary', binary, ...args]);
  const script = 'echo out; grep -c libpod /proc/self/cgroup; grep :pids: /proc/self/cgroup; grep Cap[BE] /proc/self/status; ls /dev; exit 5';
  const r = run('c1', ['--rm', CTR_IMAGE, 'c1', 'sh', '-c', script]);
  t.equal(r.status, 5, `the program's status: ${r.stderr}`);
  const lines = r.stdout.split('\n');
  t.same(lines.slice(0, 2), ['out', '0'], 'its output');
  t.equal(lines[2]?.replace(/^\d+:/, ''), `pids:${c.cgroup('c1')}`, 'in the cgroup ctr asked for');
  t.equal(c.ctr(['container', 'ls', '-q']).stdout, '', '--rm: no container left');
  // the same with runc, the baseline: what differs is the cgroup's name only
  const baseline = run('c1r', ['--rm', CTR_IMAGE, 'c1r', 'sh', '-c', script], RUNC);
  t.same({ status: r.status, out: r.stdout.replace(/c1\n/, '') }, { status: baseline.status, out: baseline.stdout.replace(/c1r\n/, '') }, 'as with runc');

  // tsoci's error, from the shim's log.json, in ctr's message
  const missing = run('c2', ['--rm', CTR_IMAGE, 'c2', 'nonexist']);
  t.not(missing.status, 0);
  t.match(missing.stderr, /exec: "nonexist": executable file not found in \$PATH/, 'tsoci\'s error reaches ctr');
  c.ctr(['container', 'rm', 'c2']);

  const d = run('c3', ['-d', CTR_IMAGE, 'c3', 'sleep', '600']);
  t.equal(d.status, 0, d.stderr);
  // the shim's runtime is tsoci: its state (tsoci's own format) in the shim's --root
  const state = JSON.parse(fs.readFileSync(c.inside('/run/containerd/runc/tsns/c3/state.json'), 'utf8'));
  t.match(state, { id: 'c3', privatePid: true, cgroupDirs: Array }, 'tsoci\'s state.json');
  t.match(c.ctr(['task', 'ls']).stdout, /^c3\s+\d+\s+RUNNING$/m);
  const exec = c.ctr(['task', 'exec', '--exec-id', 'e1', 'c3', 'sh', '-c', 'echo in-exec; exit 3']);
  t.equal(exec.status, 3, exec.stderr);
  t.equal(exec.stdout, 'in-exec\n');
  t.match(c.ctr(['task', 'ps', 'c3']).stdout, /^PID\s+INFO\n\d+\s+-\n$/, 'task ps: the init');
  const killed = c.ctr(['task', 'kill', '--signal', 'SIGKILL', 'c3']);
  t.equal(killed.status, 0, killed.stderr);
  await until(() => /^c3\s+\d+\s+STOPPED$/m.test(c.ctr(['task', 'ls']).stdout));
  t.pass('task kill: stopped');
  t.equal(c.ctr(['task', 'rm', 'c3']).status, 0);
  t.equal(c.ctr(['container', 'rm', 'c3']).status, 0);
  t.notOk(fs.existsSync(c.inside('/run/containerd/runc/tsns/c3')), 'its state is gone');
  t.notOk(fs.existsSync(`/sys/fs/cgroup/pids${c.cgroup('c3')}`), 'its cgroup is gone');
});
