// The main job end to end: demo/container.sh launches a container from the
// seven tools; what it shows from inside, the limits, the status, and that
// nothing is left afterwards, however it ends.
import t from 'tap';
import { spawn } from 'child_process';
import fs = require('fs');
import os = require('os');
import path = require('path');
import { clean, ROOT, sh, until } from '../lib/run';

const DEMO = path.join(ROOT, 'demo', 'container.sh');

/** What the host has that a container run could leave behind. */
function leftovers(): string[] {
  const own = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => /:memory:/.test(l))!.split(':')[2];
  const found: string[] = [];
  for (const h of ['memory', 'pids']) {
    const dir = path.join('/sys/fs/cgroup', h, own);
    if (fs.existsSync(dir)) found.push(...fs.readdirSync(dir).filter((d) => d.startsWith('tsns-box-')).map((d) => `cgroup ${h}:${d}`));
  }
  found.push(...fs.readdirSync('/tmp').filter((d) => d.startsWith('tsns-box.')).map((d) => `dir /tmp/${d}`));
  found.push(...fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => / \/tmp\/tsns-box\./.test(l)).map((l) => `mount ${l.split(' ')[4]}`));
  found.push(...sh('ip -o link show type veth').stdout.split('\n').filter(Boolean).map((l) => `link ${l}`));
  found.push(...sh('pgrep -af "tsns-box\\."').stdout.split('\n').filter(Boolean).map((l) => `process ${l}`));
  return found;
}

const container = (args: string, timeout = 60_000) => sh(`${DEMO} ${args} < /dev/null`, { timeout });

t.test('inside: root mapped to 100000, the init PID 1 and the program 2, its hostname, eth0 and lo, its root, the host side', async (t) => {
  const hostname = os.hostname();
  const script = [
    'id -u', 'cat /proc/self/uid_map', 'echo $$', 'cat /proc/1/comm', 'hostname', 'ls /sys/class/net', 'echo --', 'ls /',
    'echo --', 'ls /.old /tmp/tsns-box.* 2>&1 | grep -c "No such"', 'ping -c1 -W2 10.0.0.1 >/dev/null && echo ping-ok',
    'touch /tmp/x && echo tmp-ok',
  ].join('; ');
  const r = container(`-- sh -c '${script}'`);
  t.equal(r.status, 0, r.stderr);
  const [view, root, rest] = r.stdout.slice(r.stdout.indexOf('#\n') + 2).split('--\n');
  t.same(view.trim().split('\n').map((l) => l.trim().replace(/\s+/g, ' ')), ['0', '0 100000 65536', '2', 'tsreexec', 'box', 'eth0', 'lo']);
  t.same(root.trim().split('\n'), ['bin', 'dev', 'etc', 'proc', 'root', 'sys', 'tmp'], 'the rootfs, nothing of the host');
  t.equal(rest, '2\nping-ok\ntmp-ok\n', 'the old root and host paths unreachable; the host side answers over the veth');
  t.equal(os.hostname(), hostname, 'the host\'s hostname unchanged');
  t.match(r.stdout, /^# the container, in seven lines:\ntouch .*hostns && tsunshare --net=.*\ntscgcreate -g memory,pids:.* --memory 64M/, 'the lines it runs, shown first');
  t.same(leftovers(), [], 'nothing left');
});

t.test('a 100 MB allocation under --memory 32M is OOM-killed: the script returns 137', async (t) => {
  const r = container('--memory 32M --net none -- dd if=/dev/zero of=/dev/null bs=100M count=1');
  t.equal(r.status, 137, r.stderr);
  t.same(leftovers(), []);
});

t.test('a fork bomb under --pids 32 is held', async (t) => {
  // the bomb forks until refused; then the count uses builtins only (no fork left)
  const bomb = 'sh -c "while :; do sleep 5 & done" 2>/dev/null; n=0; for p in /proc/[0-9]*; do read c < $p/comm; [ "$c" = sleep ] && n=$((n+1)); done; echo $n';
  const r = container(`--pids 32 --net none -- sh -c '${bomb}'`);
  t.equal(r.status, 0, r.stderr);
  const running = Number(r.stdout.trim().split('\n').pop());
  t.ok(running > 0 && running < 32, `${running} sleeps got a process before the limit held`);
  t.same(leftovers(), []);
});

t.test('the program\'s exit status is the script\'s', async (t) => {
  t.equal(container('--net none -- sh -c "exit 42"').status, 42);
  t.equal(container('--net none -- sh -c "kill -TERM \\$\\$"').status, 143, '128+N for a signal');
});

t.test('killed mid-setup, the script leaves nothing', async (t) => {
  for (const after of ['the cgroup', 'the child']) {
    const [cmd, ...args] = clean(['/bin/sh', '-c', `exec ${DEMO} -- sleep 30 < /dev/null`]);
    const child = spawn(cmd, args, { stdio: 'ignore' });
    const own = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => /:memory:/.test(l))!.split(':')[2];
    const memory = path.join('/sys/fs/cgroup/memory', own);
    await until(() => after === 'the cgroup'
      ? fs.readdirSync(memory).some((d) => d.startsWith('tsns-box-'))
      : sh('pgrep -x tsreexec').stdout !== '', 20_000);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    t.equal(code, 143, `SIGTERM after ${after}: 128+15`);
    t.same(leftovers(), [], `nothing left after ${after}`);
  }
});

t.test('bad options: one line, exit 1, nothing made', async (t) => {
  const r = container('--net bogus');
  t.equal(r.status, 1);
  t.equal(r.stderr, 'container.sh: --net takes veth or none\n');
  t.same(leftovers(), []);
});

t.test('a launch that fails before the container runs ends the script (no FIFO waits forever), leaving nothing', async (t) => {
  for (const net of ['none', 'veth']) {
    const r = container(`--net ${net} --rootfs /nonexistent -- true`, 20_000);
    t.equal(r.status, 1, `--net ${net}: ${r.stderr}`);
    t.match(r.stderr, /cannot use \/nonexistent as the root/);
    t.same(leftovers(), [], `--net ${net}: nothing left`);
  }
});
