// Ways out of a tsoci container, tried from inside it (or from its image)
// against the real kernel: each test names what it guards. The container is
// hostile; the caller (podman, containerd, a shell) is not, but may hand
// tsoci descriptors and shared folders the container can reach.
import t from 'tap';
import fs = require('fs');
import path = require('path');
import { EVIL, EXECUTOR, executorId, judge, watcher } from '../lib/exe-watch';
import { args, bundle, type Bundle } from '../lib/oci';
import { spawn } from 'child_process';
import { childrenOf, clean, ROOT, sh, sleep, tool, until } from '../lib/run';


/** A folder of the host's with one file in it, that no container should reach. */
function hostFolder(b: Bundle): string {
  const dir = path.join(b.dir, 'host');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'host-secret'), 'HOST-SECRET\n');
  return dir;
}

/** A running container (run -d) whose program is `script`. */
function running(b: Bundle, id: string): number {
  const r = b.detached(`run -d --bundle ${b.bundle} ${id}`);
  if (r.status !== 0) throw new Error(`run -d: ${r.stderr}`);
  return Number(fs.readFileSync(path.join(b.state, id, 'init.pid'), 'utf8'));
}

/** A command given fd 100 open on a folder (bash: dash takes one digit). */
function withFd100(folder: string, command: string): ReturnType<typeof sh> {
  return sh(`exec bash -c 'exec ${command.replace(/'/g, "'\\''")} 100<${folder}'`);
}

t.test('a descriptor the caller left open does not reach the container\'s program (CVE-2024-21626)', async (t) => {
  // Node keeps the caller's descriptors above its own: fd 100 on a host folder
  const b = bundle(t, args('ls /proc/self/fd; cat /proc/self/fd/100/host-secret; echo done'));
  const host = hostFolder(b);
  const run = withFd100(host, `tsoci --root ${b.state} run --bundle ${b.bundle} r1`);
  t.match(run.stdout, /done/, run.stderr);
  t.notMatch(run.stdout, /HOST-SECRET/, 'run: the host folder is not readable through it');
  t.notOk(run.stdout.split('\n').includes('100'), 'run: fd 100 is closed in the program');

  const e = bundle(t, args('exec sleep 600'));
  const eHost = hostFolder(e);
  running(e, 'e1');
  const exec = withFd100(eHost, `tsoci --root ${e.state} exec e1 sh -c 'ls /proc/self/fd; cat /proc/self/fd/100/host-secret; echo done'`);
  t.match(exec.stdout, /done/, exec.stderr);
  t.notMatch(exec.stdout, /HOST-SECRET/, 'exec: the host folder is not readable through it');
  t.notOk(exec.stdout.split('\n').includes('100'), 'exec: fd 100 is closed in the program');
});

t.test('process.cwd through a descriptor of the host is refused, not where the program starts (CVE-2024-21626)', async (t) => {
  const b = bundle(t, (c) => {
    c.process.args = ['sh', '-c', 'pwd; ls; ls ..'];
    c.process.cwd = '/proc/self/fd/100';
  });
  const host = hostFolder(b);
  const run = withFd100(host, `tsoci --root ${b.state} run --bundle ${b.bundle} r1`);
  t.notMatch(run.stdout, /host-secret/, 'the program does not start in the host folder');
  t.not(run.status, 0, 'run fails');
  t.match(run.stderr, /cwd|outside|No such|Not a directory/, `one line says why: ${run.stderr.trim()}`);

  const e = bundle(t, args('exec sleep 600'));
  const eHost = hostFolder(e);
  running(e, 'e1');
  const exec = withFd100(eHost, `tsoci --root ${e.state} exec --cwd /proc/self/fd/100 e1 sh -c 'pwd; ls'`);
  t.notMatch(exec.stdout, /host-secret/, 'exec --cwd: the program does not start in the host folder');
  t.not(exec.status, 0, 'exec fails');
});

t.test('--pid-file in a folder the container shares: a link planted at its temporary name is not written through', async (t) => {
  const b = bundle(t, args('exec sleep 600'));
  const shared = path.join(b.dir, 'shared'); // say, a volume of the container's
  fs.mkdirSync(shared);
  const victim = path.join(b.dir, 'victim'); // a host file out of its reach
  fs.writeFileSync(victim, 'UNTOUCHED\n');
  // the container cannot know tsoci's PID, but can plant a link for each;
  // here for the one it will have ($$, which execs it)
  const plant = (name: string) => `ln -s ${victim} ${shared}/.${name}.$$`;
  const create = sh(`${plant('pid')}; exec tsoci --root ${b.state} create --bundle ${b.bundle} --pid-file ${shared}/pid c1 </dev/null >/dev/null 2>${b.dir}/err`);
  t.equal(create.status, 0, create.stderr);
  t.equal(fs.readFileSync(victim, 'utf8'), 'UNTOUCHED\n', 'create: the host file is untouched');
  t.notOk(fs.lstatSync(path.join(shared, 'pid')).isSymbolicLink(), 'create: the pid file is a file of its own');
  t.match(fs.readFileSync(path.join(shared, 'pid'), 'utf8'), /^\d+$/);

  t.equal(b.oci(['start', 'c1']).status, 0);
  const exec = sh(`${plant('epid')}; exec tsoci --root ${b.state} exec -d --pid-file ${shared}/epid c1 sleep 60 </dev/null >/dev/null 2>${b.dir}/err`);
  t.equal(exec.status, 0, exec.stderr);
  t.equal(fs.readFileSync(victim, 'utf8'), 'UNTOUCHED\n', 'exec -d: the host file is untouched');
  t.notOk(fs.lstatSync(path.join(shared, 'epid')).isSymbolicLink(), 'exec -d: the pid file is a file of its own');
});

t.test('exec of a program that is "#!/proc/self/exe" gives the container no writable handle on the host\'s executor (CVE-2019-5736)', async (t) => {
  // The container replaced the program the host runs with a script whose
  // interpreter is /proc/self/exe: what execs it is re-executed in the
  // container, dumpable, and a process there waits to open its exe (and
  // would write it once no tscore-exec runs). "node" loops it (the
  // launcher execs node from the container's PATH) so the waiter finds it.
  const before = fs.statSync(EXECUTOR);
  const watch = watcher(executorId(), EVIL, 'exec sleep 600');
  const b = bundle(t, args(watch));
  running(b, 'c1');
  await until(() => fs.existsSync(path.join(b.rootfs, 'bin', 'evil')));
  const r = tool('tsoci', ['--root', b.state, 'exec', 'c1', '/bin/evil'], { timeout: 30_000 });
  t.not(r.signal, 'SIGTERM', 'exec ended');
  judge(t, b.rootfs, before, '', false);
});

t.test('an entrypoint that is "#!/proc/self/exe" gives the container no handle on the host\'s executor either (CVE-2019-5736, the init)', async (t) => {
  // the init execs it at start: PID 1 is then the executor again, dumpable,
  // looping (its launcher execs the container's "node", the same script)
  const b = bundle(t, (c) => {
    c.process.args = ['/bin/node'];
  });
  fs.writeFileSync(path.join(b.rootfs, 'bin', 'node'), '#!/proc/self/exe --launch\n', { mode: 0o755 });
  running(b, 'c1');
  const r = b.oci(['exec', 'c1', 'sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do stat -L -c %d:%i /proc/1/exe 2>/dev/null && break; sleep 0.1; done']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^\d+:\d+\n$/, `PID 1's exe, as the container sees it: ${r.stdout.trim()}`);
  t.not(r.stdout.trim(), executorId(), 'is not the host\'s executor file');
});

t.test('a FIFO planted at the container\'s /etc/passwd does not stall exec (nor, under its lock, kill and delete)', async (t) => {
  // without HOME in process.env, exec looks the user's home up in the
  // container's /etc/passwd, from the host
  const b = bundle(t, args('rm /etc/passwd; mkfifo /etc/passwd; exec sleep 600'));
  running(b, 'c1');
  await until(() => fs.lstatSync(path.join(b.rootfs, 'etc', 'passwd')).isFIFO());
  const start = Date.now();
  const r = tool('tsoci', ['--root', b.state, 'exec', 'c1', 'sh', '-c', 'echo "home=$HOME"'], { timeout: 15_000 });
  t.equal(r.signal, null, `exec returned (${Date.now() - start} ms)`);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'home=/\n', 'HOME falls back to /');
});

t.test('exec reads the container\'s /etc/passwd in its root, even while the container swaps /etc for a link to a host folder', async (t) => {
  const b = bundle(t, args('cd /; while :; do mv etc e.d; mv e.l etc; mv etc e.l; mv e.d etc; done'));
  const host = hostFolder(b);
  fs.writeFileSync(path.join(host, 'passwd'), 'root:x:0:0::/HOST-HOME:/bin/sh\n');
  fs.symlinkSync(host, path.join(b.rootfs, 'e.l'));
  running(b, 'c1');
  const homes = new Set<string>();
  for (let i = 0; i < 60; i++) {
    const r = tool('tsoci', ['--root', b.state, 'exec', 'c1', 'sh', '-c', 'echo "$HOME"'], { timeout: 15_000 });
    homes.add(r.stdout.trim());
  }
  t.notOk(homes.has('/HOST-HOME'), `HOME never from the host's file (seen: ${[...homes].join(', ')})`);
});

t.test('held: the init waiting for start is not open to the container\'s processes (non-dumpable)', async (t) => {
  const b = bundle(t, args('exec sleep 600'));
  const created = b.detached(`create --bundle ${b.bundle} c1`);
  t.equal(created.status, 0, created.stderr);
  const r = b.oci(['exec', 'c1', 'sh', '-c', 'readlink /proc/1/exe; cat /proc/1/environ; ls -l /proc/1/fd/; readlink /proc/1/cwd; head -c1 /proc/1/mem; echo end']);
  t.match(r.stdout, /end/, r.stderr);
  t.notMatch(r.stdout, /tscore-exec|exec\.fifo|TSCORE/, 'nothing of the init is shown');
  t.match(r.stderr, /Permission denied/, 'each is refused');
  t.notMatch(r.stderr, /\/proc\/1\/mem.*No such|head: .*Success/, 'its memory too');
});

t.test('held: mount destinations through the image\'s links stay in the root', async (t) => {
  // one mount each (a failed one ends create): a link in the image, absolute
  // (to a host folder) or climbing, on the way to a tmpfs, a file bind, a device bind
  const cases: [string, (host: string) => string, Record<string, any>][] = [
    ['abs', (host) => host, { destination: '/abs/made', type: 'tmpfs', source: 'tmpfs', options: [] }],
    ['up', () => '../../../../../../../../../../..', { destination: '/up/tmp', type: 'tmpfs', source: 'tmpfs', options: [] }],
    ['file', (host) => `${host}/made-file`, { destination: '/file', type: 'bind', source: '/etc/hostname', options: ['bind', 'ro'] }],
    ['dev2', (host) => host, { destination: '/dev2/null', type: 'bind', source: '/dev/null', options: ['bind'] }],
  ];
  for (const [link, target, mount] of cases) {
    const b = bundle(t, (c) => {
      c.process.args = ['true'];
      c.mounts.push(mount);
    });
    const host = hostFolder(b);
    fs.symlinkSync(target(host), path.join(b.rootfs, link));
    const r = b.oci(['run', '--bundle', b.bundle, 'r1']);
    t.comment(`${link} -> ${target(host)}: run ${r.status} ${r.stderr.trim()}`);
    t.same(fs.readdirSync(host), ['host-secret'], `${link}: nothing made in the host folder`);
    t.notOk(fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(host), `${link}: nothing mounted there`);
  }
});

t.test('a read-only bind stays read-only when a container sharing its volume swaps the destination during create (CVE-2021-30465\'s kind)', {
  skip: fs.existsSync('/usr/bin/strace') ? false : 'no strace (apt-get install strace): it holds each openat2 for the swap',
}, async (t) => {
  // /vol is a volume another container shares; /vol/sub gets the host's
  // folder read-only. Each openat2(2) is held 0.1 s (strace), and the moment
  // the bind is there the other container renames sub and puts a link to
  // /sys in its place: a remount that finds /vol/sub again makes /sys
  // read-only, and leaves the bind writable at /vol/moved.
  const b = bundle(t, args('exec sleep 600'));
  const vol = path.join(b.dir, 'vol');
  const secret = hostFolder(b);
  fs.mkdirSync(path.join(vol, 'sub'), { recursive: true });
  const config = JSON.parse(fs.readFileSync(path.join(b.bundle, 'config.json'), 'utf8'));
  config.mounts.push({ destination: '/vol', type: 'bind', source: vol, options: ['bind'] },
    { destination: '/vol/sub', type: 'bind', source: secret, options: ['bind', 'ro'] });
  fs.writeFileSync(path.join(b.bundle, 'config.json'), JSON.stringify(config));
  const [cmd, ...rest] = clean(['strace', '-f', '-qq', '-o', '/dev/null', '-e', 'trace=openat2', '-e', 'inject=openat2:delay_enter=100000',
    path.join(ROOT, 'bin', 'tsoci'), '--root', b.state, 'create', '--bundle', b.bundle, 'c1']);
  const traced = spawn(cmd, rest, { stdio: ['ignore', 'ignore', 'ignore'] });
  t.teardown(() => { try { process.kill(traced.pid!, 'SIGKILL'); } catch { /* gone */ } });
  const target = `${b.rootfs}/vol/sub`;
  let swapped = false;
  const end = Date.now() + 30_000;
  while (!swapped && Date.now() < end && traced.exitCode === null) {
    // the executor's mount namespace: a descendant of strace's with the bind there
    const pids = (function all(p: number): number[] { return childrenOf(p).flatMap((k) => [k, ...all(k)]); })(traced.pid!);
    for (const p of pids) {
      let info = '';
      try { info = fs.readFileSync(`/proc/${p}/mountinfo`, 'utf8'); } catch { continue; }
      // before the pivot the host's path, after it the container's
      if (info.split('\n').some((l) => [target, '/vol/sub'].includes(l.split(' ')[4]))) {
        fs.renameSync(path.join(vol, 'sub'), path.join(vol, 'moved'));
        fs.symlinkSync('/sys', path.join(vol, 'sub'));
        swapped = true;
        break;
      }
    }
    await sleep(2);
  }
  t.ok(swapped, 'the bind was seen, and the destination swapped');
  await until(() => fs.existsSync(path.join(b.state, 'c1', 'init.pid')) || traced.exitCode !== null, 60_000);
  await until(() => { try { return JSON.parse(b.oci(['state', 'c1']).stdout).status === 'created'; } catch { return false; } }, 60_000);
  t.equal(b.oci(['start', 'c1']).status, 0);
  const r = b.oci(['exec', 'c1', 'sh', '-c', 'touch /vol/moved/pwned /vol/sub/pwned 2>&1; grep " /vol" /proc/self/mountinfo']);
  t.comment(r.stdout.trim().replace(/\n/g, ' | '));
  t.notOk(fs.existsSync(path.join(secret, 'pwned')), 'nothing written in the host folder given read-only');
});

t.test('held: maskedPaths and readonlyPaths follow the proc mount where an image\'s /proc link sends it', async (t) => {
  const b = bundle(t, args('wc -c < /proc/keys; wc -c < /tmp/p/timer_list; (echo x > /proc/sys/kernel/hostname) 2>&1; echo end'));
  fs.rmSync(path.join(b.rootfs, 'proc'), { recursive: true });
  fs.mkdirSync(path.join(b.rootfs, 'tmp', 'p'));
  fs.symlinkSync('/tmp/p', path.join(b.rootfs, 'proc'));
  const r = b.oci(['run', '--bundle', b.bundle, 'r1']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^0\n0\n/, '/proc/keys and /proc/timer_list (there) are /dev/null');
  t.match(r.stdout, /Read-only file system/, '/proc/sys is read-only');
});

t.test('a /dev/null the image made a link (no /dev mount) is not what masks a path (runc\'s CVE-2025-31133)', async (t) => {
  // bound through the link, /proc/sys/kernel/core_pattern (the host's) would be
  // where /proc/timer_list is: read-only here, but a mask that is not one
  const b = bundle(t, (c) => {
    c.mounts = c.mounts.filter((m: Record<string, any>) => !m.destination.startsWith('/dev'));
    c.process.args = ['sh', '-c', 'cat /proc/timer_list; grep timer_list /proc/self/mountinfo'];
  });
  fs.symlinkSync('/proc/sys/kernel/core_pattern', path.join(b.rootfs, 'dev', 'null'));
  const r = b.oci(['run', '--bundle', b.bundle, 'r1']);
  t.notMatch(r.stdout, /core_pattern/, 'core_pattern is not bound on a masked path');
  t.not(r.status, 0, 'create fails');
  t.match(r.stderr, /mask "\/proc\/.*" in the new root .* failed: No such device/, r.stderr.trim());
});

t.test('held: an id with / or .. names no other folder', async (t) => {
  const b = bundle(t, args('exec sleep 600'));
  for (const id of ['../x', '..', 'a/b', '/etc', '.']) {
    for (const cmd of [['create', '--bundle', b.bundle, id], ['state', id], ['kill', id, '9'], ['delete', '--force', id], ['exec', id, 'true']]) {
      const r = b.oci(cmd);
      t.equal(r.status, 1, `${cmd[0]} ${id}`);
      t.match(r.stderr, /invalid id format/, `${cmd[0]} ${id}: ${r.stderr.trim()}`);
    }
  }
  t.notOk(fs.existsSync(path.join(b.dir, 'x')), 'nothing made beside the state folder');
});

t.test('a device node the container makes (CAP_MKNOD) opens only if allowed: deny by default, as runc', async (t) => {
  // /dev/kmsg (c 1:11) is on no allowed list; what it writes is one line of the host's kernel log
  const b = bundle(t, (c) => {
    c.process.args = ['sh', '-c', 'mknod /dev/k c 1 11 && echo tsoci-escape.test: a container wrote this > /dev/k && echo opened'];
    for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_MKNOD');
  });
  const r = b.oci(['run', '--bundle', b.bundle, 'r1']);
  t.notMatch(r.stdout, /opened/, `the host's /dev/kmsg was not opened ${r.stderr.trim()}`);
  t.match(r.stderr, /can't create \/dev\/k: Operation not permitted/, 'made, then refused by the device rules');
});

/** A script run in a PID namespace of the test's own (its own /proc), where
 * the next PID can be chosen (ns_last_pid) without touching the host's. */
function inOwnPidNs(dir: string, script: string, timeout = 60_000): ReturnType<typeof sh> {
  fs.writeFileSync(path.join(dir, 'script'), script);
  return sh(`tsunshare -pmf --mount-proc sh ${dir}/script`, { timeout });
}

t.test('the init dead and its PID reused by a host process: exec does not enter that process, kill does not signal it', async (t) => {
  const b = bundle(t, args('exec sleep 600'));
  const marker = path.join(b.dir, 'exec-ran-here');
  // exec waits in its pid file (a FIFO of ours) after tsoci checked the init,
  // before the executor opens the init's pidfd: the init dies meanwhile and
  // a process of the host's namespaces takes its PID
  const script = `
    S=${b.state}; D=${b.dir}
    tsoci --root $S run -d --bundle ${b.bundle} c1 </dev/null >/dev/null 2>&1 || { echo no-run; exit 1; }
    P=$(cat $S/c1/init.pid)
    mkfifo $D/pidfifo
    tsoci --root $S exec --pid-file $D/pidfifo c1 sh -c 'echo ran > ${marker}' >$D/exec.out 2>&1 &
    X=$!
    i=0; while [ -z "$(cat /proc/$X/task/*/children 2>/dev/null)" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
    sleep 0.3
    kill -9 $P; while [ -e /proc/$P/stat ] && ! grep -q ') [ZX] ' /proc/$P/stat; do sleep 0.02; done
    sleep 0.2; true
    echo $((P - 1)) > /proc/sys/kernel/ns_last_pid
    sleep 600 & H=$!
    [ "$H" = "$P" ] && echo reused || echo "not-reused $H $P"
    cat $D/pidfifo >/dev/null &
    wait $X; echo "exec-status=$?"
    tsoci --root $S kill c1 KILL 2>&1; echo "kill-status=$?"
    kill -0 $H 2>/dev/null && echo host-process-alive
    kill -9 $H
    tsoci --root $S delete --force c1
  `;
  const r = inOwnPidNs(b.dir, script);
  t.comment(r.stdout.trim().replace(/\n/g, ' | '));
  t.match(r.stdout, /^reused$/m, 'the PID was reused (else this test shows nothing)');
  t.notOk(fs.existsSync(marker), 'exec did not run its program in the host process\'s namespaces');
  t.notMatch(r.stdout, /exec-status=0/, 'exec failed');
  t.match(r.stdout, /container not running/, 'kill: the container is stopped');
  t.match(r.stdout, /host-process-alive/, 'the host process was not signalled');
});

