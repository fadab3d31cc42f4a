// Who runs the program, who waits for it, and what status the caller sees.
import t from 'tap';
import fs = require('fs');
import { background, childrenOf, firstLine, sh, tool, until } from '../lib/run';

const exe = (pid: number) => fs.readlinkSync(`/proc/${pid}/exe`);
const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

t.test('without --fork the program runs as the same PID: no fork, no Node left', async (t) => {
  const r = sh('tsunshare -U -r sh -c "echo \\$\\$" & echo $!; wait');
  const [inner, outer] = r.stdout.trim().split('\n');
  t.equal(inner, outer);
  const child = background(t, 'tsunshare -m -U sleep 30');
  await until(() => /sleep$/.test(exe(child.pid!)));
  t.equal(exe(child.pid!), '/usr/bin/sleep', 'the tool process became the program');
  t.same(childrenOf(child.pid!), [], 'and left no helper behind');
});

t.test('with --fork the waiting process is native, small, and forks the program', async (t) => {
  const child = background(t, 'tsunshare --fork -p sleep 30');
  await until(() => childrenOf(child.pid!).length === 1);
  const waiter = child.pid!;
  t.notMatch(exe(waiter), /node/, `waiter is ${exe(waiter)}`);
  t.ok(rssKiB(waiter) <= 4096, `waiter RSS ${rssKiB(waiter)} KiB ≤ 4 MiB`);
  const [program] = childrenOf(waiter);
  await until(() => exe(program) === '/usr/bin/sleep');
  t.equal(fs.readFileSync(`/proc/${program}/status`, 'utf8').match(/NSpid:\s+(.*)/)![1].split(/\s+/)[1], '1', 'PID 1 inside');
});

t.test('exit statuses', async (t) => {
  t.equal(tool('tsunshare', ['sh', '-c', 'exit 7']).status, 7, 'the program becomes us');
  t.equal(tool('tsunshare', ['--fork', 'sh', '-c', 'exit 7']).status, 7, '--fork returns the child status');
  t.equal(tool('tsunshare', ['--fork', 'true']).status, 0);
});

for (const [sig, n] of [['KILL', 9], ['TERM', 15], ['USR1', 10], ['INT', 2], ['SEGV', 11]] as const) {
  t.test(`--fork: a child killed by SIG${sig} gives ${128 + n}`, async (t) => {
    const r = sh(`tsunshare --fork sh -c 'kill -${sig} $$'; echo "status $?"`);
    t.match(r.stdout, `status ${128 + n}`);
    t.notMatch(r.stderr, /tsunshare/, 'and no complaint of ours');
  });
}

t.test('--fork: no core file from the waiting parent when the child dumps core', async (t) => {
  const r = sh('ulimit -c 0; cd /tmp && tsunshare --fork sh -c "kill -QUIT \\$\\$"; echo "status $?"');
  t.match(r.stdout, 'status 131');
});

t.test('--fork: SIGINT and SIGTERM to the waiting parent are blocked; it stays to report the status', async (t) => {
  const child = background(t, `tsunshare --fork sh -c 'trap "exit 3" USR1; sleep 1 & wait; sleep 1 & wait'`);
  await until(() => childrenOf(child.pid!).length === 1);
  process.kill(child.pid!, 'SIGTERM');
  process.kill(child.pid!, 'SIGINT');
  const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.equal(status, 0, 'the child finished normally and its status came back');
});

t.test('--forward-signals passes SIGTERM and SIGINT to the child', async (t) => {
  const child = background(t, `tsunshare --forward-signals sh -c 'trap "echo got-TERM; exit 3" TERM; echo ready; while :; do sleep 0.05; done'`);
  t.equal(await firstLine(child), 'ready');
  process.kill(child.pid!, 'SIGTERM');
  const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.equal(status, 3);
});

t.test('--kill-child: the child gets the signal when the waiting parent dies', async (t) => {
  const child = background(t, `tsunshare --kill-child=SIGUSR1 sh -c 'trap "echo got-USR1; exit 0" USR1; echo ready; while :; do sleep 0.05; done'`);
  t.equal(await firstLine(child), 'ready');
  const [program] = childrenOf(child.pid!);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  process.kill(child.pid!, 'SIGKILL');
  await until(() => !fs.existsSync(`/proc/${program}`) || /^State:\s+Z/m.test(fs.readFileSync(`/proc/${program}/status`, 'utf8')));
  await until(() => out.includes('got-USR1'), 2000).catch(() => undefined);
  t.match(out, 'got-USR1');
});

t.test('--kill-child defaults to SIGKILL and implies --fork', async (t) => {
  const child = background(t, 'tsunshare --kill-child sleep 30');
  await until(() => childrenOf(child.pid!).length === 1);
  const [program] = childrenOf(child.pid!);
  process.kill(child.pid!, 'SIGKILL');
  await until(() => !fs.existsSync(`/proc/${program}`) || /^State:\s+Z/m.test(fs.readFileSync(`/proc/${program}/status`, 'utf8')));
  t.pass('the child died with its parent');
});

t.test('--kill-child names: case-insensitive, optional SIG, RTMIN+n; numbers refused', async (t) => {
  t.equal(tool('tsunshare', ['--kill-child=term', 'true']).status, 0);
  t.equal(tool('tsunshare', ['--kill-child=RTMIN+2', 'true']).status, 0);
  const bad = tool('tsunshare', ['--kill-child=9', 'true']);
  t.equal(bad.status, 1);
  t.equal(bad.stderr, 'tsunshare: unknown signal: 9\n');
});

t.test('program not found → 127, not executable → 126, a directory → 126', async (t) => {
  const nope = tool('tsunshare', ['nope-no-such-program']);
  t.equal(nope.status, 127);
  t.equal(nope.stderr, 'tsunshare: failed to execute nope-no-such-program: No such file or directory\n');
  t.equal(tool('tsunshare', ['--fork', 'nope-no-such-program']).status, 127, 'also from the forked child');
  t.equal(tool('tsunshare', ['/etc/passwd']).status, 126);
  const dir = tool('tsunshare', ['-u', '/tmp']);
  t.equal(dir.status, 126);
  t.equal(dir.stderr, 'tsunshare: failed to execute /tmp: Permission denied\n');
});

t.test('no program: the user\'s shell, as a login shell', async (t) => {
  const r = tool('tsunshare', ['-u'], { input: 'echo "argv0=$0"', env: { ...process.env, SHELL: '/bin/sh' } });
  t.equal(r.stdout.trim(), 'argv0=-sh');
  const unset = tool('tsunshare', ['-u'], { input: 'echo "argv0=$0"', env: { ...process.env, SHELL: '' } });
  t.match(unset.stdout.trim(), /^argv0=-\w+$/, 'an empty SHELL falls back to the passwd shell');
});
