// tsoci create/run --preserve-fds N: the caller's fds 3..3+N-1 reach the
// program at the same numbers, and no other; LISTEN_FDS (socket
// activation, when LISTEN_PID is tsoci's) go first and the program is told.
import t from 'tap';
import fs = require('fs');
import path = require('path');
import { sh } from '../lib/run';
import { args, bundle } from '../lib/oci';

// the program: its fds (but the one ls reads /proc/self/fd with), then writes to 3 and 4
const LIST = 'ls /proc/self/fd | sort -n | tr "\\n" " "; echo; echo three >&3; echo four >&4; echo "listen=$LISTEN_FDS pid=$LISTEN_PID"';

t.test('--preserve-fds: fds 3 and 4 reach the program, nothing else', async (t) => {
  const b = bundle(t, args(LIST));
  // 5 is open in the caller too, and not preserved
  const r = sh(`tsoci --root ${b.state} run --preserve-fds 2 --bundle ${b.bundle} p1 3>${b.dir}/three 4>${b.dir}/four 5>${b.dir}/five`);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.split('\n')[0], '0 1 2 3 4 5 ', 'the program has 0-4 (5 is ls\'s own directory)');
  t.match(r.stdout, /\nlisten= pid=\n/, 'no LISTEN_FDS');
  t.equal(fs.readFileSync(`${b.dir}/three`, 'utf8'), 'three\n');
  t.equal(fs.readFileSync(`${b.dir}/four`, 'utf8'), 'four\n');

  // create and start: the init keeps them while it waits
  t.equal(b.detached(`create --preserve-fds 2 --bundle ${b.bundle} p2 3>>${b.dir}/three 4>>${b.dir}/four`).status, 0);
  t.equal(b.oci(['start', 'p2']).status, 0);
  const until = Date.now() + 5000;
  while (!fs.readFileSync(`${b.dir}/four`, 'utf8').endsWith('four\nfour\n') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  t.equal(fs.readFileSync(`${b.dir}/three`, 'utf8'), 'three\nthree\n');
  t.equal(fs.readFileSync(`${b.dir}/four`, 'utf8'), 'four\nfour\n');
  t.equal(b.oci(['delete', '--force', 'p2']).status, 0);
});

t.test('LISTEN_FDS when LISTEN_PID is tsoci\'s: first, and the program is told; then --preserve-fds', async (t) => {
  const b = bundle(t, args(LIST));
  // the shell's PID is tsoci's: the bin script and the launcher exec
  const r = sh(`LISTEN_FDS=1 LISTEN_PID=$$ exec tsoci --root ${b.state} run --preserve-fds 1 --bundle ${b.bundle} l1 3>${b.dir}/three 4>${b.dir}/four`);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.split('\n')[0], '0 1 2 3 4 5 ');
  t.match(r.stdout, /\nlisten=1 pid=1\n/, 'LISTEN_FDS=1 LISTEN_PID=1');
  t.equal(fs.readFileSync(`${b.dir}/four`, 'utf8'), 'four\n');
  // another process's LISTEN_PID: not ours, ignored
  const other = sh(`LISTEN_FDS=1 LISTEN_PID=1 exec tsoci --root ${b.state} run --bundle ${b.bundle} l2 3>${b.dir}/three`);
  t.equal(other.stdout.split('\n')[0], '0 1 2 3 ', 'fd 3 not passed');
  t.match(other.stdout, /\nlisten= pid=\n/);
});

t.test('exec --preserve-fds: the exec\'d process gets them; LISTEN_FDS is not exec\'s', async (t) => {
  const b = bundle(t, args('exec sleep 600'));
  t.equal(b.detached(`run -d --bundle ${b.bundle} e1`).status, 0);
  const r = sh(`LISTEN_FDS=1 LISTEN_PID=$$ exec tsoci --root ${b.state} exec --preserve-fds 1 e1 sh -c '${LIST.replace('echo four >&4; ', '')}' 3>${b.dir}/three 4>/dev/null`);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '0 1 2 3 4 \nlisten= pid=\n', 'fd 3 only (4 is ls\'s own)');
  t.equal(fs.readFileSync(`${b.dir}/three`, 'utf8'), 'three\n');
  const d = sh(`tsoci --root ${b.state} exec -d --preserve-fds 1 e1 sh -c 'echo detached >&3' 3>${b.dir}/three`);
  t.equal(d.status, 0, d.stderr);
  const end = Date.now() + 5000;
  while (fs.readFileSync(`${b.dir}/three`, 'utf8') !== 'detached\n' && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  t.equal(fs.readFileSync(`${b.dir}/three`, 'utf8'), 'detached\n', 'exec -d too');
  t.equal(b.oci(['delete', '--force', 'e1']).status, 0);
});

t.test('--preserve-fds of an fd the caller did not give, or not a number: one line, nothing made', async (t) => {
  const b = bundle(t, args('true'));
  t.match(sh(`tsoci --root ${b.state} create --preserve-fds 2 --bundle ${b.bundle} m1 3>/dev/null`), { status: 1, stderr: 'tsoci: unable to stat preserved-fd 1 (of 2): fd 4 is not open\n' });
  t.match(sh(`tsoci --root ${b.state} create --preserve-fds two --bundle ${b.bundle} m1`), { status: 1, stderr: "tsoci: --preserve-fds: expected a number, got 'two'\n" });
  t.notOk(fs.existsSync(path.join(b.state, 'm1')));
});
