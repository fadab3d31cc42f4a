// What the program inherits from the tool: environment, descriptors, pid file.
import t from 'tap';
import fs = require('fs');
import path = require('path');
import { background, firstLine, scratch, sh, tool, until } from '../lib/run';

t.test('the environment passes through untouched by default', async (t) => {
  const r = tool('tsunshare', ['-u', 'sh', '-c', 'echo "$TSNS_A"'], { env: { ...process.env, TSNS_A: 'kept' } });
  t.equal(r.stdout.trim(), 'kept');
});

t.test('--clear-env: the program starts with no environment', async (t) => {
  const r = tool('tsunshare', ['--clear-env', '/usr/bin/env'], { env: { ...process.env, TSNS_A: 'x' } });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '');
  t.equal(tool('tsunshare', ['--clear-env', 'env']).status, 0, 'the program is still found (default PATH)');
});

t.test('--whitelist-env keeps only the named variables', async (t) => {
  const r = tool('tsunshare', ['--whitelist-env', 'TSNS_A,TSNS_NONE,PATH', '/usr/bin/env'], { env: { ...process.env, TSNS_A: '1', TSNS_B: '2' } });
  t.same(r.stdout.trim().split('\n').sort(), [`PATH=${process.env.PATH ? r.stdout.match(/PATH=(.*)/)![1] : ''}`, 'TSNS_A=1'].sort());
  t.notMatch(r.stdout, /TSNS_B/);
});

t.test('the program gets exactly the descriptors its caller gave', async (t) => {
  const dir = scratch(t);
  fs.writeFileSync(path.join(dir, 'f'), 'x');
  for (const fork of [[], ['--fork'], ['-r', '-m']]) {
    // the same ls, run by the shell itself and through tsunshare
    const r = sh(`exec 5<${dir}/f 9>${dir}/g 8<${dir}/f; ls /proc/self/fd; echo -; tsunshare ${fork.join(' ')} ls /proc/self/fd`);
    const [direct, through] = r.stdout.trim().split('\n-\n');
    t.match(direct, /^5$/m);
    t.same(through.split('\n'), direct.split('\n'), `with ${fork.join(' ') || 'no options'}`);
  }
  const pipe = sh('echo through | tsunshare --fork sh -c "cat <&0; ls -l /proc/self/fd/ | grep -c -e eventpoll -e eventfd"');
  t.same(pipe.stdout.trim().split('\n'), ['through', '0'], 'stdin is passed, none of Node\'s epoll/eventfd fds');
  const dup = sh(`tsunshare sh -c 'readlink /proc/self/fd/7' 7>&1 | cat`);
  t.match(dup.stdout.trim(), /^pipe:/, 'a dup of a pipe the caller holds is passed on');
});

t.test('--pid-file: the PID that runs the program, written before it starts', async (t) => {
  const dir = scratch(t);
  const file = path.join(dir, 'pid');
  const r = tool('tsunshare', ['--pid-file', file, 'sh', '-c', `cat ${file}; echo $$`]);
  const [written, actual] = r.stdout.trim().split('\n');
  t.equal(written, actual, 'without --fork: the tool\'s own PID');
  t.same(fs.readdirSync(dir), ['pid'], 'no temporary file left');
  const f = tool('tsunshare', ['--fork', '--pid-file', file, 'sh', '-c', `cat ${file}; echo $$`]);
  const [childPid, own] = f.stdout.trim().split('\n');
  t.equal(childPid, own, 'with --fork: the child\'s PID');
  // with -p the child is PID 1 inside; the file holds its PID outside (the host /proc is still mounted)
  const p = tool('tsunshare', ['--fork', '-p', '--pid-file', file, 'sh', '-c', `echo $$; grep NSpid /proc/$(cat ${file})/status`]);
  const [inner, nspid] = p.stdout.trim().split('\n');
  t.equal(inner, '1');
  t.match(nspid, /^NSpid:\s+\d+\s+1$/, 'the file names the child, as the caller sees it');
});

t.test('--pid-file is written to a FIFO, for `read pid < fifo`', async (t) => {
  const dir = scratch(t);
  const fifo = path.join(dir, 'fifo');
  sh(`mkfifo ${fifo}`);
  const child = background(t, `tsunshare --fork --pid-file ${fifo} sh -c 'echo started; sleep 30'`);
  const pid = fs.readFileSync(fifo, 'utf8').trim();
  t.equal(await firstLine(child), 'started');
  await until(() => fs.existsSync(`/proc/${pid}`));
  t.match(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /^sh\0-c\0/);
  t.equal(fs.statSync(fifo).isFIFO(), true, 'still a FIFO');
});

t.test('--pid-file in a missing directory is refused before anything runs', async (t) => {
  const r = tool('tsunshare', ['--pid-file', '/nonexistent-dir/pid', 'touch', '/tmp/tsns-should-not-exist']);
  t.equal(r.status, 1);
  t.equal(r.stderr, 'tsunshare: cannot write the pid file /nonexistent-dir/pid: No such file or directory\n');
  t.notOk(fs.existsSync('/tmp/tsns-should-not-exist'));
});
