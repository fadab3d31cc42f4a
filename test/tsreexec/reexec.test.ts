// tsreexec: the in-container init step, in real containers made by the tools.
import t, { type Test } from 'tap';
import fs = require('fs');
import path = require('path');
import { handshake, handshakeCommand, rootfs } from '../lib/handshake';
import { background, childrenOf, firstLine, mountPoints, scratch, sh, tool, until } from '../lib/run';

t.test('--rootfs with --proc --dev --tmpfs --ro-bind --ro-root: inside, only the container', async (t) => {
  const { dir, root } = rootfs(t);
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  fs.writeFileSync(path.join(data, 'file'), 'from the host\n');
  fs.writeFileSync(path.join(dir, 'HOST-MARKER'), '');
  fs.mkdirSync(path.join(root, 'data')); // the container's root may not create it in a root-owned rootfs
  const before = mountPoints().length;
  const script = [
    'ls /', 'echo --', 'ps -o pid,args | sed 1d', 'echo --',
    'echo x > /dev/null && echo devnull-ok', 'cat /data/file',
    'echo no > /data/file || echo ro-bind-holds', 'touch /tmp/t && echo tmpfs-writable',
    'touch /new || echo ro-root-holds', `ls ${dir} 2>&1 | head -1`, 'grep -c HOST-MARKER /proc/1/mountinfo',
  ].join('; ');
  const r = handshake(t, `--rootfs ${root} --proc --dev --tmpfs /tmp --ro-bind ${data}:/data --ro-root --init`, `sh -c '${script}'`);
  t.equal(r.status, 1, r.stderr); // grep -c counts 0: its status is the container's
  const [top, ps, rest] = r.stdout.split('--\n');
  t.same(top.trim().split('\n').sort(), ['bin', 'data', 'dev', 'etc', 'proc', 'root', 'sys', 'tmp'], '/ is the rootfs');
  t.match(ps, /^\s+1 tsreexec --wait /, 'PID 1 is the init');
  t.match(ps, /\n\s+2 sh -c /, 'the program is PID 2');
  t.match(rest, /devnull-ok\nfrom the host\n/);
  t.match(rest, /ro-bind-holds\ntmpfs-writable\n/);
  t.match(rest, /ro-root-holds\n/);
  t.match(rest, /No such file or directory\n0\n$/, 'the host and the old root are out of reach');
  t.equal(mountPoints().length, before, 'no mount left on the host');
});

t.test('--init: orphans are reaped, signals reach the program, its status is returned', async (t) => {
  const orphans = handshake(t, '--init', `sh -c '(sh -c "sleep 0.1 &"); sleep 0.5; ps -o stat | grep -c Z'`, '-Upmn');
  t.equal(orphans.stdout.trim(), '0', 'no zombie: the orphan was reaped by the init');
  t.equal(handshake(t, '--init', `sh -c 'exit 7'`, '-Upm').status, 7);
  t.equal(handshake(t, '--init', `sh -c 'kill -9 $$'`, '-Upm').status, 137, '128+N');
  const term = await signalToInit(t, 'TERM', 'SIGTERM', 3);
  t.match(term.cmdline, /^tsreexec\0/);
  t.equal(term.status, 3, 'SIGTERM to the init reached the program, whose status came back');
});

t.test('--init passes SIGRTMIN (34) on too: the executor is linked with musl, whose signal sets leave it out', async (t) => {
  t.equal((await signalToInit(t, '34', 34, 4)).status, 4, 'signal 34 to the init reached the program');
});

/** A container whose program exits `status` on signal `trap` (as sh names
 * it), run in the background with --init: `sig` sent to the init (PID 1
 * inside); its command line, and the status that came back. */
async function signalToInit(t: Test, trap: string, sig: NodeJS.Signals | number, status: number) {
  const box = background(t, handshakeCommand(scratch(t), '--init', `sh -c 'trap "exit ${status}" ${trap}; echo ready; while :; do sleep 0.05; done'`, '-Upm'));
  t.equal(await firstLine(box), 'ready');
  const shell = childrenOf(box.pid!).find((p) => fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'tsunshare')!;
  await until(() => childrenOf(shell).length === 1);
  const [init] = childrenOf(shell);
  const cmdline = fs.readFileSync(`/proc/${init}/cmdline`, 'utf8');
  process.kill(init, sig);
  return { cmdline, status: await new Promise<number | null>((resolve) => box.on('exit', (c) => resolve(c))) };
}

t.test('capabilities: --cap-drop all empties every set; --cap-add keeps one; --no-new-privs', async (t) => {
  const status = `grep -E "^(CapEff|CapBnd|CapPrm|CapAmb|NoNewPrivs)" /proc/self/status; hostname x 2>&1 || echo refused`;
  const none = handshake(t, '--cap-drop all --no-new-privs', `sh -c '${status}'`);
  t.match(none.stdout, /CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\n/);
  t.match(none.stdout, /refused\n$/, 'a privileged operation fails');
  const one = handshake(t, '--cap-drop all --cap-add sys_admin --uid 1000 --gid 1000', `sh -c 'id -u; ${status}'`);
  t.match(one.stdout, /^1000\nCapPrm:\t0000000000200000\nCapEff:\t0000000000200000\nCapBnd:\t0000000000200000\nCapAmb:\t0000000000200000\nNoNewPrivs:\t0\n$/, 'as uid 1000, CAP_SYS_ADMIN kept (ambient) and used');
});

t.test('--uid --gid --groups --hostname --domainname --chdir --env --clear-env --lo-up', async (t) => {
  const r = handshake(t, '--uid 1000 --gid 1001 --groups 5,6 --hostname box --domainname dom --chdir /tmp --clear-env --env A=1 --env PATH=/bin:/usr/bin --lo-up',
    `/bin/sh -c 'id -u; id -g; id -G; hostname; domainname; pwd; env | sort; ip -o link show lo | grep -o "<.*>"'`);
  t.equal(r.status, 0, r.stderr);
  t.same(r.stdout.trim().split('\n'), ['1000', '1001', '1001 5 6', 'box', 'dom', '/tmp', 'A=1', 'PATH=/bin:/usr/bin', 'PWD=/tmp', '<LOOPBACK,UP,LOWER_UP>']);
});

t.test('--wait: EOF without the byte means the host side failed: one line, nothing run', async (t) => {
  const run = scratch(t);
  const r = sh(`mkfifo ${run}/go; tsunshare -Um --keep-caps --fork tsreexec --wait ${run}/go touch ${run}/ran & exec 3>${run}/go; exec 3>&-; wait $!`);
  t.equal(r.status, 1);
  t.match(r.stderr, /^tsreexec: wait for the host side: read\(".*\/go", 1 byte\) failed: No data available\n$/);
  t.notOk(fs.existsSync(`${run}/ran`));
});

t.test('--die-with-parent: the program dies with the process that started it', async (t) => {
  const box = background(t, `tsunshare -m --fork tsreexec --die-with-parent sh -c 'echo $$; exec sleep 60'`);
  const pid = Number(await firstLine(box));
  process.kill(box.pid!, 'SIGKILL');
  await until(() => !fs.existsSync(`/proc/${pid}`) || fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z');
  t.pass('gone');
});

t.test('while the container runs, no Node process is left: only native ones', async (t) => {
  const run = scratch(t);
  const box = background(t, handshakeCommand(run, '--init', `sh -c 'echo ready; exec sleep 30'`));
  t.equal(await firstLine(box), 'ready');
  const tree = (p: number): number[] => [p, ...childrenOf(p).flatMap(tree)];
  await until(() => tree(box.pid!).length >= 4);
  const exes = tree(box.pid!).map((p) => fs.readlinkSync(`/proc/${p}/exe`));
  t.notOk(exes.some((e) => /node$/.test(e)), exes.join(' '));
  t.ok(exes.filter((e) => /tscore-exec$/.test(e)).length >= 2, 'the waiting tsunshare and the init are tscore-exec');
});

t.test('a symlink in the rootfs cannot send a mount or a file out to the host', async (t) => {
  const { dir, root } = rootfs(t);
  const outside = path.join(dir, 'outside');
  fs.mkdirSync(outside);
  fs.rmSync(path.join(root, 'dev'), { recursive: true });
  fs.symlinkSync(outside, path.join(root, 'dev'));
  const r = handshake(t, `--rootfs ${root} --dev`, 'true');
  t.same(fs.readdirSync(outside), [], 'nothing made in the directory the link named');
  t.equal(r.status, 1, 'the link resolves inside the rootfs, where nothing is: refused');
  t.match(r.stderr, /^tsreexec: mount\("tmpfs", "\/dev" in the new root, .* failed: No such file or directory\n$/);
  t.ok(fs.lstatSync(path.join(root, 'dev')).isSymbolicLink());
});

t.test('bad input: one line naming the tool, exit 1, nothing changed', async (t) => {
  const before = mountPoints().length;
  const cases: [string[], RegExp][] = [
    [['--bind', '/nonexistent:/x', 'true'], /^tsreexec: --bind: cannot bind \/nonexistent: No such file or directory\n$/],
    [['--tmpfs', 'relative', 'true'], /^tsreexec: --tmpfs: 'relative' is not an absolute path\n$/],
    [['--bind', '/tmp:/a/../b', 'true'], /^tsreexec: --bind: '\/a\/..\/b' may not contain '..'\n$/],
    [['--ro-root', 'true'], /^tsreexec: --ro-root needs --rootfs\n$/],
    [['--cap-drop', 'cap_bogus', 'true'], /^tsreexec: --cap-drop: unknown capability 'cap_bogus'\n$/],
    [['--uid', 'x', 'true'], /^tsreexec: failed to parse uid: 'x'\n$/],
    [[], /^tsreexec: no program given \(try 'tsreexec --help'\)\n$/],
  ];
  for (const [args, message] of cases) {
    const r = tool('tsreexec', args);
    t.equal(r.status, 1, args.join(' '));
    t.match(r.stderr, message);
  }
  t.equal(mountPoints().length, before);
});
