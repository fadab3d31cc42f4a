// Ways out of a container through tsnsenter, each shown closed against a real
// container (busybox root, pivoted, its own pid and mount namespaces).
import t from 'tap';
import fs = require('fs');
import path = require('path');
import { container } from '../lib/container';
import { EVIL, EXECUTOR, executorId, judge, watcher } from '../lib/exe-watch';
import { rootfs } from '../lib/rootfs';
import { background, childrenOf, firstLine, sh, tool, until } from '../lib/run';

t.test('-e: the container\'s environment reaches the program only, never a process on the host', async (t) => {
  // were it the environment of tscore-exec's own exec, the host's loader
  // would write its debug log on the host, and preload the container's library
  const c = await container(t, '-pm', (host) =>
    `LD_DEBUG=libs LD_DEBUG_OUTPUT=${host}/made-by-container LD_PRELOAD=/proc/1/root/lib/evil.so MARK=inside`);
  const r = tool('tsnsenter', ['-t', String(c.pid), '-a', '-e', '/bin/sh', '-c', 'echo "$MARK"']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'inside\n', 'the program has the target\'s environment');
  t.same(fs.readdirSync(c.host), ['HOST-MARKER'], 'nothing written on the host by the loader');
  const dry = tool('tsnsenter', ['--dry-run', '-t', String(c.pid), '-a', '-e', '/bin/true']);
  t.notMatch(dry.stdout, /LD_/, 'nor shown as the tool\'s own environment');
});

t.test('-r without -w: the working directory is the container\'s, not the host directory the tool ran in', async (t) => {
  const c = await container(t);
  const r = sh(`cd ${c.host} && tsnsenter -t ${c.pid} -m -p -r sh -c 'pwd; ls ../../..; ls /proc/$$/cwd/'`);
  t.equal(r.status, 0, r.stderr);
  t.notMatch(r.stdout, /HOST-MARKER/, 'the host directory is out of reach');
  const [pwd, ...listing] = r.stdout.trim().split('\n');
  t.equal(pwd, '/');
  t.ok(listing.includes('bin') && listing.includes('proc'), 'what it lists is the container\'s root');
  t.notOk(listing.includes('.old'), 'and not the old root');
});

t.test('a process that has entered a container stays non-dumpable until it execs', async (t) => {
  // A rootless container: nobody's, its root mapped to nobody. Entering it
  // as nobody changes no kernel uid, so nothing but PR_SET_DUMPABLE keeps
  // the waiting parent from the container's root: were it dumpable, its
  // /proc files would be nobody's to open, and its memory to ptrace.
  const asNobody = 'setpriv --reuid=65534 --regid=65534 --clear-groups';
  const box = background(t, `${asNobody} tsunshare -Upm -r --fork sh -c 'echo up; exec sleep 60'`);
  t.equal(await firstLine(box), 'up');
  await until(() => childrenOf(box.pid!).length === 1);
  const [inner] = childrenOf(box.pid!);
  const bg = background(t, `${asNobody} tsnsenter -t ${inner} -U -m -p sh -c 'echo started; exec sleep 60'`);
  t.equal(await firstLine(bg), 'started');
  const waiting = bg.pid!;
  await until(() => childrenOf(waiting).length === 1);
  t.match(fs.readFileSync(`/proc/${waiting}/status`, 'utf8'), /^Uid:\s+65534\s/m, 'the waiting parent runs as nobody, the container\'s root');
  t.equal(fs.statSync(`/proc/${waiting}/environ`).uid, 0, 'its /proc files are (host) root\'s: not dumpable');
  const [program] = childrenOf(waiting);
  t.equal(fs.statSync(`/proc/${program}/environ`).uid, 65534, 'the program, after its exec, is dumpable again');
});

t.test('no descriptor of the host but the caller\'s reaches the program', async (t) => {
  const c = await container(t);
  const direct = sh('ls /proc/self/fd').stdout;
  const through = tool('tsnsenter', ['-t', String(c.pid), '-a', '/bin/ls', '/proc/self/fd']);
  t.equal(through.status, 0, through.stderr);
  t.equal(through.stdout, direct);
  t.ok(path.isAbsolute(c.root));
});

t.test('-r without -m or -w: the program starts at the new root, not in a host directory', async (t) => {
  const c = await container(t);
  const r = sh(`cd ${c.host} && tsnsenter -t ${c.pid} -p -r sh -c 'pwd; ls ../../..'`);
  t.equal(r.status, 0, r.stderr);
  t.notMatch(r.stdout, /HOST-MARKER/);
  t.match(r.stdout, /^\/\n/);
});

t.test('--kill-child holds after -S/-G change the credentials', async (t) => {
  const box = background(t, `tsunshare --fork --kill-child -S 65534 -G 65534 sh -c 'echo $$; exec sleep 60'`);
  const pid = Number(await firstLine(box));
  process.kill(box.pid!, 'SIGKILL');
  await until(() => !fs.existsSync(`/proc/${pid}`) || fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z');
  t.pass('the child died with its parent');
});

t.test('a record the caller passes in TSCORE_ENTRY steers nothing', async (t) => {
  const r = sh(`exec 5</dev/null; TSCORE_ENTRY='ign=0:blk=0:nofile=1024,1024:fl=0,1,1:fds=0,1,2,' tsunshare -u sh -c 'ls /proc/self/fd; env | grep -c TSCORE_ENTRY'`);
  t.match(r.stdout, /^5$/m, 'the caller\'s fd 5 still reaches the program');
  t.match(r.stdout, /^0$/m, 'no record in its environment');
});

t.test('a program of the container that is "#!/proc/self/exe" gives it no writable handle on the host\'s executor (CVE-2019-5736)', async (t) => {
  // the container's root is the host's (no user namespace): the host's
  // executor file would be its to write, once no tscore-exec runs
  const before = fs.statSync(EXECUTOR);
  for (const how of [['-m', '-p'], ['-p', '-r'], ['-a']]) {
    const c = await container(t);
    const w = background(t, `tsnsenter -t ${c.pid} -m -p /bin/sh -c '${watcher(executorId(), EVIL, 'exit').replace(/'/g, `'\\''`)}' 2>&1`);
    t.equal(await firstLine(w), 'watching');
    const r = tool('tsnsenter', ['-t', String(c.pid), ...how, '/bin/evil'], { timeout: 30_000 });
    t.not(r.signal, 'SIGTERM', `${how.join(' ')}: it ended`);
    judge(t, c.root, before, `${how.join(' ')}: `);
  }
});

t.test('tsreexec --rootfs: a program of the image that is "#!/proc/self/exe" gives the container no writable handle on the host\'s executor', async (t) => {
  const before = fs.statSync(EXECUTOR);
  const { root } = rootfs(t);
  for (const name of ['evil', 'node']) fs.writeFileSync(path.join(root, 'bin', name), '#!/proc/self/exe --launch\n', { mode: 0o755 });
  // the image's program, run by tsreexec --init (PID 1): the executor again, looping
  const box = background(t, `tsunshare -pm --fork tsreexec --rootfs ${root} --proc --init -- /bin/evil`);
  await until(() => childrenOf(box.pid!).length === 1);
  const [init] = childrenOf(box.pid!);
  await until(() => childrenOf(init).length === 1);
  const w = tool('tsnsenter', ['-t', String(init), '-m', '-p', '/bin/sh', '-c', watcher(executorId(), '', 'exit')], { timeout: 30_000 });
  t.equal(w.status, 0, `the watcher: ${w.stderr}`);
  judge(t, root, before);
});
