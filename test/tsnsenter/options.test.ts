// tsnsenter's other options, its processes and exit statuses, and refusals.
import t from 'tap';
import fs = require('fs');
import { background, childrenOf, firstLine, scratch, sh, tool, until } from '../lib/run';
import { target } from '../lib/target';

const self = String(process.pid);

t.test('exit statuses: the program\'s own, 127, 126; with a pid fork, N and 128+N', async (t) => {
  t.equal(tool('tsnsenter', ['-t', self, '-u', 'sh', '-c', 'exit 5']).status, 5);
  const nope = tool('tsnsenter', ['-t', self, '-u', 'nonexistent-cmd']);
  t.equal(nope.status, 127);
  t.equal(nope.stderr, 'tsnsenter: failed to execute nonexistent-cmd: No such file or directory\n');
  t.equal(tool('tsnsenter', ['-t', self, '-u', '/etc/passwd']).status, 126);
  const tg = await target(t);
  t.equal(tool('tsnsenter', ['-t', String(tg.pid), '-p', 'sh', '-c', 'exit 9']).status, 9);
  t.match(sh(`tsnsenter -t ${tg.pid} -p sh -c 'kill -TERM $$'; echo "status $?"`).stdout, 'status 143');
  t.match(sh(`tsnsenter -t ${tg.pid} -p sh -c 'kill -9 $$'; echo "status $?"`).stdout, 'status 137');
});

t.test('-p forks: the program is a child in the pid namespace; -F does not fork', async (t) => {
  const tg = await target(t);
  const forked = tool('tsnsenter', ['-t', String(tg.pid), '-p', 'sh', '-c', 'echo $$']);
  t.ok(Number(forked.stdout) < 100, `small pid ${forked.stdout}`);
  const unforked = tool('tsnsenter', ['-t', String(tg.pid), '-p', '-F', 'sh', '-c', 'echo $$; readlink /proc/$$/ns/pid']);
  const [pid, ns] = unforked.stdout.trim().split('\n');
  t.ok(Number(pid) > 100, `-F: our own pid ${pid}`);
  t.equal(ns, fs.readlinkSync('/proc/self/ns/pid'), '-F: still in our pid namespace');
});

t.test('user and mount namespaces entered from a Node tool; no Node process remains', async (t) => {
  const tg = await target(t);
  const child = background(t, `tsnsenter -t ${tg.pid} -m -U sh -c 'echo $$; sleep 30'`);
  const pid = await firstLine(child);
  t.equal(pid, String(child.pid), 'the tool\'s own PID runs the program');
  t.equal(fs.readlinkSync(`/proc/${pid}/exe`), '/usr/bin/dash');
  t.equal(fs.readlinkSync(`/proc/${pid}/ns/user`), tg.ns('user'));
  t.equal(fs.readlinkSync(`/proc/${pid}/ns/mnt`), tg.ns('mnt'));
  const waiter = background(t, `tsnsenter -t ${tg.pid} -p sleep 30`);
  await until(() => childrenOf(waiter.pid!).length === 1);
  t.notMatch(fs.readlinkSync(`/proc/${waiter.pid}/exe`), /node/, 'the waiting parent is native');
});

t.test('entering a user namespace: root there, groups dropped; -S/-G; --preserve-credentials', async (t) => {
  const tg = await target(t);
  const T = String(tg.pid);
  t.equal(tool('tsnsenter', ['-t', T, '-U', 'id']).stdout.trim(), 'uid=0(root) gid=0(root) groups=0(root)');
  t.equal(tool('tsnsenter', ['-t', T, '-U', '-S', '0', '-G', '0', 'id', '-u']).stdout.trim(), '0');
  t.equal(tool('tsnsenter', ['-t', T, '-U', '--preserve-credentials', 'id', '-u']).stdout.trim(), '0');
  const nobody = tool('tsnsenter', ['-t', self, '-u', '-S', '65534', '-G', '65534', 'id']);
  t.equal(nobody.stdout.trim(), 'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)');
  const unmapped = tool('tsnsenter', ['-t', T, '-U', '-S', '12345', 'true']);
  t.equal(unmapped.status, 1);
  t.equal(unmapped.stderr, 'tsnsenter: setuid(12345) failed: Invalid argument\n');
  const sleeper = background(t, 'setpriv --reuid=65534 --regid=65534 --clear-groups sleep 30');
  await until(() => fs.readlinkSync(`/proc/${sleeper.pid}/exe`) === '/usr/bin/sleep');
  const follow = tool('tsnsenter', ['-t', String(sleeper.pid), '-u', '-S', 'follow', '-G', 'follow', 'id', '-u']);
  t.equal(follow.stdout.trim(), '65534', '-S follow: the owner of /proc/PID');
});

t.test('--keep-caps: the user namespace\'s caps become ambient', async (t) => {
  const tg = await target(t);
  const r = tool('tsnsenter', ['-t', String(tg.pid), '-U', '--keep-caps', '-S', '0', 'grep', 'CapAmb', '/proc/self/status']);
  t.match(r.stdout, /CapAmb:\s+0*1f+\n/);
});

t.test('-r, -w, -W: directories opened before or after entering', async (t) => {
  const dir = scratch(t);
  fs.mkdirSync(`${dir}/wd`);
  const inWd = background(t, `sh -c 'cd ${dir}/wd && exec sleep 30'`);
  await until(() => fs.readlinkSync(`/proc/${inWd.pid}/exe`) === '/usr/bin/sleep');
  t.equal(tool('tsnsenter', ['-t', String(inWd.pid), '-m', '-w', 'pwd'], { cwd: '/' }).stdout.trim(), `${dir}/wd`, '-w: the target\'s cwd');
  t.equal(tool('tsnsenter', ['-t', String(inWd.pid), '-m', '-W', 'pwd'], { cwd: '/' }).stdout.trim(), `${dir}/wd`, '-W: the target\'s cwd, after entering');
  t.equal(tool('tsnsenter', ['-t', self, '-m', `--wd=${dir}/wd`, 'pwd'], { cwd: '/' }).stdout.trim(), `${dir}/wd`);
  t.equal(tool('tsnsenter', ['-t', self, '-m', '-W/tmp', 'pwd'], { cwd: '/' }).stdout.trim(), '/tmp', '-W: after entering');
  t.equal(tool('tsnsenter', ['-t', self, '-m', 'pwd'], { cwd: `${dir}/wd` }).stdout.trim(), '/', 'a mount namespace resets the cwd');
  t.equal(tool('tsnsenter', ['-t', self, '-u', '-r/', 'pwd'], { cwd: `${dir}/wd` }).stdout.trim(), '/', '-r without -w: the new root\'s "/" (util-linux keeps a cwd that may lie outside it)');
  const root = tool('tsnsenter', ['-t', self, '-u', `--root=${dir}`, '-w/', '/bin/sh', '-c', 'echo'], { cwd: '/' });
  t.equal(root.status, 127, '-r DIR: the program is looked up in the new root');
  const both = tool('tsnsenter', ['-t', self, '-m', '-w/tmp', '-W/tmp', 'pwd']);
  t.equal(both.status, 1);
  t.equal(both.stderr, 'tsnsenter: mutually exclusive arguments: --wdns --wd\n');
});

t.test('-e: the target\'s environment', async (t) => {
  const sleeper = background(t, 'env -i TSNS_TARGET=yes PATH=/usr/bin:/bin sleep 30');
  await until(() => fs.readlinkSync(`/proc/${sleeper.pid}/exe`) === '/usr/bin/sleep');
  const r = tool('tsnsenter', ['-t', String(sleeper.pid), '-m', '-u', '-e', 'env'], { env: { ...process.env, TSNS_OURS: 'x' } });
  t.same(r.stdout.trim().split('\n').sort(), ['PATH=/usr/bin:/bin', 'TSNS_TARGET=yes']);
  const hostFiles = tool('tsnsenter', ['-t', String(sleeper.pid), '-u', '-e', 'env']);
  t.equal(hostFiles.status, 1, 'without -m the target\'s environment would steer a host program: refused');
  t.equal(hostFiles.stderr, "tsnsenter: --env needs --mount: the target's environment would steer a program of the host's files (LD_PRELOAD, PATH)\n");
  const wdns = tool('tsnsenter', ['-t', String(sleeper.pid), '-u', '-W', 'pwd']);
  t.equal(wdns.stderr, "tsnsenter: --wdns without a directory needs --mount: the target's directory is a path in its mount namespace\n");
});

t.test('-t PID:INODE refuses a recycled PID', async (t) => {
  // in a pid namespace of our own, ns_last_pid makes the next PID the dead one's
  const script = `
    sleep 30 & A=$!
    INO=$(python3 -c "import os,sys; print(os.fstat(os.pidfd_open(int(sys.argv[1]))).st_ino)" $A)
    tsnsenter -t $A:$INO -u true && echo "live: ok"
    kill -9 $A; wait $A 2>/dev/null
    echo $((A - 1)) > /proc/sys/kernel/ns_last_pid
    sleep 30 & B=$!
    [ "$A" = "$B" ] && echo "recycled"
    tsnsenter -t $B:$INO -u true; echo "status $?"
    tsnsenter -t $B -u true && echo "without the inode: entered"
    kill $B`;
  const r = tool('tsunshare', ['-p', '--fork', '--mount-proc', 'sh', '-c', script]);
  t.match(r.stdout, 'live: ok');
  t.match(r.stdout, 'recycled');
  t.match(r.stdout, 'status 1');
  t.match(r.stderr, /^tsnsenter: PID (\d+) is no longer the process \1:\d+ named: that one ended, and the PID now belongs to another$/m);
  t.match(r.stdout, 'without the inode: entered');
});

t.test('-N: the network namespace of a socket the target holds', async (t) => {
  const tg = await target(t);
  const holder = background(t, `tsnsenter -t ${tg.pid} -n python3 -c "import socket,time; s=socket.socket(); print(s.fileno(), flush=True); time.sleep(30)"`);
  const fd = await firstLine(holder);
  const r = tool('tsnsenter', ['-t', String(holder.pid), '-N', fd, 'readlink', '/proc/self/ns/net']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.trim(), tg.ns('net'));
  t.not(fs.readlinkSync(`/proc/${holder.pid}/ns/net`), '', 'the holder itself');
  const bad = tool('tsnsenter', ['-N', '3', 'true']);
  t.equal(bad.stderr, 'tsnsenter: no target PID specified for --net-socket\n');
});

t.test('--user-parent: the parent of the target\'s user namespace', async (t) => {
  const outer = background(t, `tsunshare -U -r sh -c 'readlink /proc/self/ns/user; exec tsunshare -U -r -muni --fork sleep 30'`);
  const outerNs = await firstLine(outer);
  const sleeping = () => childrenOf(outer.pid!).find((c) => {
    try {
      return fs.readlinkSync(`/proc/${c}/exe`) === '/usr/bin/sleep';
    } catch {
      return false;
    }
  });
  await until(() => sleeping() !== undefined);
  const inner = sleeping()!;
  t.not(fs.readlinkSync(`/proc/${inner}/ns/user`), outerNs);
  const r = tool('tsnsenter', ['-t', String(inner), '-U', '--user-parent', 'readlink', '/proc/self/ns/user']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.trim(), outerNs, 'with -U: the parent user namespace');
  const owner = tool('tsnsenter', ['-t', String(inner), '-u', '--user-parent', 'readlink', '/proc/self/ns/user']);
  t.equal(owner.stdout.trim(), fs.readlinkSync(`/proc/${inner}/ns/user`), 'without -U: the owner of the uts namespace');
});

t.test('-c joins the target\'s cgroup v2', async (t) => {
  // the target is a process in our own v2 cgroup: joining it changes nothing on the host
  const r = tool('tsnsenter', ['-t', self, '-u', '-c', 'sh', '-c', 'grep "^0::" /proc/self/cgroup']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.trim(), fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::')));
  const noV2 = sh(`unshare -m sh -c 'umount /sys/fs/cgroup/unified && tsnsenter -t ${self} -u -c true'`);
  t.equal(noV2.status, 1);
  t.equal(noV2.stderr, 'tsnsenter: --join-cgroup is only supported in cgroup v2\n');
});

const refusals: [string[], string][] = [
  [['true'], "no namespace specified (try 'tsnsenter --help')"],
  [['-n', 'true'], 'no target PID specified for --net'],
  [['-a', 'true'], 'no target PID specified for --all'],
  [['-t', '999999', '-n', 'true'], 'no process 999999'],
  [['-t', 'abc', '-n', 'true'], "failed to parse pid: 'abc'"],
  [['-t', '0', '-n', 'true'], "failed to parse pid: '0'"],
  [['-t', '-5', '-n', 'true'], "failed to parse pid: '-5'"],
  [['--net=/etc/passwd', 'true'], '/etc/passwd is not a net namespace'],
  [['--net=/proc/self/ns/uts', 'true'], '/proc/self/ns/uts is not a net namespace (it is a uts namespace)'],
  [['--uts=/nonexistent', 'true'], 'cannot open /nonexistent: No such file or directory'],
  [['-t', self, '-u', '-S', 'abc', 'true'], "failed to parse uid: 'abc'"],
  [['-Z', '-t', self, '-u', 'true'], '--follow-context is not supported: tsnsenter has no SELinux support'],
  [['--bogus'], "unrecognized option '--bogus' (try 'tsnsenter --help')"],
];
for (const [args, message] of refusals) {
  t.test(`refuses ${args.join(' ')}`, async (t) => {
    const r = tool('tsnsenter', args);
    t.equal(r.status, 1);
    t.equal(r.stderr, `tsnsenter: ${message}\n`);
  });
}

t.test('a namespace we may not enter: one line, status 1', async (t) => {
  const r = sh(`setpriv --reuid=65534 --regid=65534 --clear-groups tsnsenter -t ${self} -u true`);
  t.equal(r.status, 1);
  t.match(r.stderr, /^tsnsenter: setns\(pidfd of \d+, CLONE_NEWUTS\) failed: Operation not permitted\n$/);
});

t.test('--help, --version, --dry-run', async (t) => {
  t.match(tool('tsnsenter', ['--help']).stdout, /^\nUsage:\n tsnsenter \[options\]/);
  t.match(tool('tsnsenter', ['-V']).stdout, /^tsnsenter from ts-container-tools /);
  const dry = tool('tsnsenter', ['--dry-run', '-t', self, '-a', '-r', '-w', 'true']);
  t.equal(dry.status, 0, dry.stderr);
  // entering the target's files: from a sealed copy of the executor first (CVE-2019-5736)
  t.match(dry.stdout, new RegExp(`^execveat\\(a copy of /proc/self/exe in a memfd sealed against writing\\), unless run from one\\nprctl\\(PR_SET_DUMPABLE, 0\\)\\npidfd_open\\(${self}\\) as pidfd\\nopen\\("/proc/${self}/root"`));
  t.notMatch(tool('tsnsenter', ['--dry-run', '-t', self, '-u', 'true']).stdout, /sealed/, 'but not for a program of the host\'s files');
  t.match(dry.stdout, /poll\(pidfd of \d+\): still running\nsetns\(pidfd of \d+, /);
  t.match(dry.stdout, /fchdir\(rootfd .*\)\nchroot\("\."\)\nfchdir\(wdfd/);
});

t.test('a stopped child stops the waiting parent; continuing the parent continues the child', async (t) => {
  const tg = await target(t);
  const child = background(t, `tsnsenter -t ${tg.pid} -p sh -c 'kill -STOP $$; echo resumed'`);
  const state = (pid: number) => /^State:\s+(\w)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
  await until(() => state(child.pid!) === 'T');
  process.kill(child.pid!, 'SIGCONT');
  t.equal(await firstLine(child), 'resumed');
  const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.equal(status, 0);
});
