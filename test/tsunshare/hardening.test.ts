// Smaller defects of tsunshare: the pid file, a helper that dies, setgroups.
import t from 'tap';
import fs = require('fs');
import path = require('path');
import { scratch, sh, tool } from '../lib/run';

t.test('--pid-file replaces a planted symlink, never writes through it', async (t) => {
  const dir = scratch(t);
  const victim = path.join(dir, 'victim');
  fs.writeFileSync(victim, 'precious\n');
  fs.symlinkSync(victim, path.join(dir, 'pid'));
  const r = tool('tsunshare', ['--pid-file', path.join(dir, 'pid'), 'true']);
  t.equal(r.status, 0, r.stderr);
  t.equal(fs.readFileSync(victim, 'utf8'), 'precious\n');
  t.notOk(fs.lstatSync(path.join(dir, 'pid')).isSymbolicLink());
  t.match(fs.readFileSync(path.join(dir, 'pid'), 'utf8'), /^\d+\n$/);
  t.same(fs.readdirSync(dir).sort(), ['pid', 'victim'], 'no temporary file left');
});

t.test('--pid-file: a FIFO someone else planted is refused at once, not waited on', async (t) => {
  const dir = scratch(t);
  const fifo = path.join(dir, 'pid');
  sh(`mkfifo ${fifo} && chown 65534 ${fifo}`);
  const r = tool('tsunshare', ['--pid-file', fifo, 'true'], { timeout: 10_000 });
  t.equal(r.status, 1);
  t.match(r.stderr, /^tsunshare: open\(.*\) for the pid file "pid" as pidfile failed: Operation not permitted\n$/);
});

t.test('--pid-file is written before -S/-G drop privileges', async (t) => {
  const dir = scratch(t); // root's, mode 0700
  const file = path.join(dir, 'pid');
  const r = tool('tsunshare', ['-m', '-S', '65534', '-G', '65534', '--pid-file', file, 'sh', '-c', 'echo $$; id -u']);
  t.equal(r.status, 0, r.stderr);
  const [pid, uid] = r.stdout.trim().split('\n');
  t.equal(uid, '65534');
  t.equal(fs.readFileSync(file, 'utf8'), `${pid}\n`);
});

t.test('a helper that dies before it is released: one line, not a silent SIGPIPE', async (t) => {
  // strace makes getppid() say 1: the maps helper takes its parent for gone
  // and exits before it is released (the shell and Node shrug it off)
  const r = sh('strace -f -qq -o /dev/null -e trace=getppid -e inject=getppid:retval=1 tsunshare --map-users=0:100000:10 --map-groups=0:100000:10 true');
  t.equal(r.status, 1);
  t.match(r.stderr, /^tsunshare: release the helper that writes the maps and wait for it failed: No such process\n$/);
});

t.test('as root, --map-group with --map-groups leaves setgroups "allow", as util-linux', async (t) => {
  // (util-linux 2.42 writes "deny" only for a lone --map-group; the 2.38
  // here cannot parse inner:outer:count ranges to compare with)
  const r = tool('tsunshare', ['--map-user=0', '--map-users=1:100000:10', '--map-group=0', '--map-groups=1:100000:10',
    'sh', '-c', 'cat /proc/self/setgroups; grep -c . /proc/self/gid_map']);
  t.equal(r.stdout, 'allow\n2\n', r.stderr);
});

t.test('-R or -w: the program, found in that root or directory, is exec\'d from a sealed copy of the executor (CVE-2019-5736)', async (t) => {
  const sealed = /^execveat\(a copy of \/proc\/self\/exe in a memfd sealed against writing\), unless run from one\n/;
  for (const args of [['-R', '/'], ['-w', '/'], ['-m', '-R', '/']]) t.match(tool('tsunshare', ['--dry-run', ...args, 'true']).stdout, sealed, args.join(' '));
  t.notMatch(tool('tsunshare', ['--dry-run', '-m', 'true']).stdout, /sealed/, 'not for a program of the caller\'s own files');
  const r = sh(`cd / && tsunshare -m -R / sh -c 'readlink /proc/$PPID/exe 2>/dev/null; echo ok'`);
  t.equal(r.stdout.trim().split('\n').at(-1), 'ok', r.stderr);
});

t.test('a host that forbids running a memfd (vm.memfd_noexec=2) is named in the one line', { skip: !fs.existsSync('/proc/sys/vm/memfd_noexec') && 'no vm.memfd_noexec (Linux < 6.3)' }, async (t) => {
  // the setting is the PID namespace's own: set in a new one, never the host's
  const r = sh(`unshare -pf --mount-proc sh -c 'echo 2 > /proc/sys/vm/memfd_noexec && cd / && tsunshare -R / true'`);
  t.equal(r.status, 1);
  t.match(r.stderr, /^tsunshare: execveat\(a copy of \/proc\/self\/exe .* failed: Permission denied \(this host forbids running a memfd: vm\.memfd_noexec is 2\)\n$/);
  t.equal(fs.readFileSync('/proc/sys/vm/memfd_noexec', 'utf8').trim(), '0', 'the host\'s own setting is as it was');
});
