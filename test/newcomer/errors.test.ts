// Errors that say what to do (issue 15): the classic mistakes a newcomer
// makes, each refused in one line that names the way out.
import t from 'tap';
import fs = require('fs');
import path = require('path');
import { background, childrenOf, firstLine, mountPoints, scratch, sh, tool, until } from '../lib/run';

t.test('--mount-proc without --fork: "(add --fork)"; after -U without -p: "(add -p --fork)"', async (t) => {
  const noFork = tool('tsunshare', ['-Up', '--mount-proc', 'true']);
  t.equal(noFork.status, 1);
  t.equal(noFork.stderr, 'tsunshare: mount("proc", "/proc", "proc", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) failed: Operation not permitted '
    + '(add --fork: without it this process stays outside the new PID namespace, whose /proc it mounts)\n');
  const noPid = tool('tsunshare', ['-r', '--mount-proc', 'true']);
  t.equal(noPid.status, 1);
  t.match(noPid.stderr, /failed: Operation not permitted \(add -p --fork: a new user namespace may mount only the \/proc of a PID namespace it owns\)\n$/);
  const right = tool('tsunshare', ['-Up', '--fork', '--mount-proc', 'sh', '-c', 'echo $$']);
  t.equal(right.stdout, '1\n', 'and with the advice followed, it works');
});

t.test('-p without --fork, then one of our tools: one line that says to add --fork, not Node\'s assertion', async (t) => {
  // sh execs the tool in the very process that unshared: outside the new PID namespace
  const r = tool('tsunshare', ['-p', 'sh', '-c', 'exec tsunshare -u true']);
  t.equal(r.status, 1);
  t.equal(r.stderr, 'tsunshare: cannot start here: this process is not inside the PID namespace its children get, and Node cannot make threads '
    + '(add --fork to the tsunshare -p or tsnsenter -p that runs it)\n');
  t.equal(tool('tsunshare', ['-p', '--fork', 'sh', '-c', 'exec tsunshare -u echo ok']).stdout, 'ok\n');
});

t.test('--mount-proc with -R: the /proc that is missing is the one inside the new root', async (t) => {
  const root = scratch(t);
  const r = tool('tsunshare', ['-R', root, '-m', '--mount-proc', 'true']);
  t.equal(r.status, 1);
  t.equal(r.stderr, `tsunshare: cannot mount proc on /proc inside the new root: ${root}/proc: No such file or directory\n`);
});

t.test('a PID that names no process: "no process N"', async (t) => {
  for (const [name, args] of [['tsnsenter', ['-t', '999999', '-n', 'true']], ['tsmaproot', ['999999']]] as const) {
    const r = tool(name, [...args]);
    t.equal(r.status, 1);
    t.equal(r.stderr, `${name}: no process 999999\n`);
  }
});

t.test('--pid-inode writes PID:INODE; tsnsenter and tsmaproot take it; a process gone since is said plainly', async (t) => {
  const dir = scratch(t);
  fs.chmodSync(dir, 0o755);
  const box = background(t, `tsunshare -Uu --keep-caps --fork --pid-file ${dir}/pid --pid-inode sh -c 'echo up; exec sleep 60'`);
  t.equal(await firstLine(box), 'up');
  const written = fs.readFileSync(path.join(dir, 'pid'), 'utf8');
  t.match(written, /^\d+:\d+\n$/, 'PID:INODE');
  const [pid, ino] = written.trim().split(':');
  t.equal(pid, String(childrenOf(box.pid!)[0]), 'of the child that runs the program');
  const st = sh(`python3 -c "import os; print(os.fstat(os.pidfd_open(${pid})).st_ino)"`);
  t.equal(st.stdout.trim(), ino, 'the inode of its pidfd');
  const mapped = tool('tsmaproot', ['--map-users=0:100000:10', '--map-groups=0:100000:10', written.trim()]);
  t.equal(mapped.status, 0, mapped.stderr);
  t.match(fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8'), /^\s*0\s+100000\s+10\n$/);
  const entered = tool('tsnsenter', ['-t', written.trim(), '-u', 'hostname']);
  t.equal(entered.status, 0, entered.stderr);
  process.kill(Number(pid), 'SIGKILL');
  await until(() => !fs.existsSync(`/proc/${pid}`));
  const gone = tool('tsnsenter', ['-t', written.trim(), '-u', 'true']);
  t.equal(gone.status, 1);
  t.equal(gone.stderr, `tsnsenter: no process ${pid}\n`);
  t.equal(tool('tsunshare', ['--pid-inode', 'true']).stderr, 'tsunshare: --pid-inode needs --pid-file\n');
});

t.test('numbers are checked against the kernel\'s limits, not JavaScript\'s', async (t) => {
  const r = tool('tscgcreate', ['-g', 'pids:tsns-never-made', '--pids', 'abc']);
  t.equal(r.status, 1);
  t.equal(r.stderr, "tscgcreate: --pids: bad number 'abc' (a whole number from 0 to 4194304, or max)\n");
  t.match(tool('tscgcreate', ['-g', 'pids:tsns-never-made', '--pids', '4194305']).stderr, /bad number '4194305'/);
  t.notOk(fs.existsSync('/sys/fs/cgroup/pids/tsns-never-made'), 'nothing made');
});

t.test('every usage error ends with the --help hint', async (t) => {
  t.equal(tool('tsnsenter', ['true']).stderr, "tsnsenter: no namespace specified (try 'tsnsenter --help')\n");
});

t.test('nothing was left mounted', async (t) => {
  t.notOk(mountPoints().some((m) => m.includes('tsns-test-')));
});
