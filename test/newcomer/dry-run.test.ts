// --dry-run for a learner (issue 15): descriptor slots by name, helpers that
// say what they are for, a fork's steps indented under it, the environment
// shown where it changes, and a missing file said after the whole plan.
import t, { type Test } from 'tap';
import fs = require('fs');
import path = require('path');
import { background, childrenOf, firstLine, mountPoints, scratch, sh, tool, until } from '../lib/run';
import { v1Host } from '../lib/cgroups';

const self = String(process.pid);

/** A process in a new user namespace, maps unwritten, waiting; its PID. */
async function waiting(t: Test): Promise<number> {
  const box = background(t, `tsunshare -U --fork sh -c 'echo up; exec sleep 60'`);
  t.equal(await firstLine(box), 'up');
  await until(() => childrenOf(box.pid!).length === 1);
  return childrenOf(box.pid!)[0];
}

t.test('descriptor slots go by what they hold, never fd#N', async (t) => {
  const dir = scratch(t);
  fs.writeFileSync(path.join(dir, 'net'), '');
  const pid = await waiting(t);
  const runs: [string, string[], string[]][] = [
    ['tsunshare', ['-r', '--fork', '--kill-child', '--pid-file', `${dir}/pid`, `--net=${dir}/net`, '--map-users=1:100000:10', 'true'],
      ['as pidfile', 'as pidfd[parent]', '(pidfd[parent])', 'to the pid file (pidfile)']],
    ['tsnsenter', ['-t', self, '-a', '-r', '-w', 'true'], [`pidfd_open(${self}) as pidfd`, 'as rootfd', 'as wdfd', 'fchdir(rootfd (', 'fchdir(wdfd (']],
    ['tsnsenter', ['-t', self, `--net=/proc/${self}/ns/net`, '--user-parent', 'true'], ['as nsfd[net]', 'as nsfd[owning user]', 'setns(nsfd[owning user], CLONE_NEWUSER)']],
    ['tsmaproot', ['--map-users=0:100000:10', '--map-groups=0:100000:10', '--setgroups', 'deny', String(pid)],
      ['as pidfd', 'as fd[setgroups]', 'as fd[uid_map]', 'write(fd[gid_map] (']],
    ['tsreexec', ['--die-with-parent', '--rootfs', dir, 'true'], ['as pidfd[parent]', 'as rootfd']],
  ];
  for (const [name, args, names] of runs) {
    const r = tool(name, ['--dry-run', ...args]);
    t.equal(r.status, 0, `${name} ${args.join(' ')}: ${r.stderr}`);
    t.notMatch(r.stdout, /fd#\d/, `${name}: no fd#N`);
    for (const n of names) t.ok(r.stdout.includes(n), `${name}: ${n}`);
  }
  t.equal(fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8'), '', 'nothing written');
});

t.test('helpers say what they are for; the release names the helper', async (t) => {
  const dir = scratch(t);
  fs.writeFileSync(path.join(dir, 'uts'), '');
  const r = tool('tsunshare', ['--dry-run', `--uts=${dir}/uts`, '--map-users=0:100000:65536', '--map-groups=0:100000:65536', 'true']);
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  t.same(lines.filter((l) => l.startsWith('fork() a helper')), [
    'fork() a helper that binds the namespace files from the original namespaces, once released',
    'fork() a helper that writes the maps from the original namespaces, once released',
  ]);
  t.ok(lines.some((l) => /^ {2}helper: write\("\/proc\/[^/]+\/uid_map", "0 100000 65536\\n"\)$/.test(l)), 'its steps indented under it');
  t.ok(lines.includes('release the helper that writes the maps and wait for it'));
  t.ok(lines.includes('release the helper that binds the namespace files and wait for it'));
});

t.test('after a fork, the parent\'s and the child\'s steps are indented under it', async (t) => {
  const r = tool('tsunshare', ['--dry-run', '-r', '-p', '--fork', '--mount-proc', 'true']);
  const lines = r.stdout.trim().split('\n');
  const fork = lines.indexOf('fork()');
  t.ok(fork > 0, 'a fork');
  const after = lines.slice(fork + 1);
  t.ok(after.every((l) => l.startsWith('  parent: ') || l.startsWith('  child: ')), after.join('\n'));
  t.match(after.at(-1), /^ {2}child: execvp\("true", \["true"\]\)$/, 'the program is the child\'s');
  t.ok(after.includes('  child: mount("proc", "/proc", "proc", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL)'));
  const init = tool('tsreexec', ['--dry-run', '--init', 'true']).stdout.trim().split('\n');
  t.match(init.at(-2), /^fork\(\): stay as init \(PID 1\)/);
  t.equal(init.at(-1), '  child: execvp("true", ["true"])', 'tsreexec --init: the program runs in the child');
});

t.test('environment changes are shown where they apply, and only when there are some', async (t) => {
  const env = { HOME: '/root', PATH: process.env.PATH!, LANG: 'C', SECRET: 'hush' };
  const dry = (name: string, args: string[]) => {
    const r = tool(name, ['--dry-run', ...args], { env });
    t.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    return { env: lines.find((l) => /at exec: /.test(l)), before: lines.at(-2), last: lines.at(-1) };
  };
  t.equal(dry('tsunshare', ['-u', 'true']).env, undefined, 'the caller\'s environment: no line');
  const clear = dry('tsunshare', ['-u', '--clear-env', 'true']);
  t.match(clear.env, /^at exec: an empty environment \(all \d+ of the caller's variables removed\)$/);
  t.equal(clear.before, clear.env, 'just before the exec it applies to');
  const white = dry('tsunshare', ['-r', '--fork', '--whitelist-env', 'HOME,LANG', 'true']);
  t.match(white.env, /^ {2}child: at exec: only HOME, LANG of the caller's environment \(\d+ of the caller's \d+ variables removed\)$/);
  t.notMatch(white.env, /SECRET|hush/, 'what is removed is counted, not listed with values');
  t.match(dry('tsreexec', ['--env', 'LANG=C.UTF-8', 'true']).env, /^at exec: the caller's environment, with LANG=C\.UTF-8 set$/);
  t.match(dry('tsreexec', ['--clear-env', '--env', 'A=1', 'true']).env, /^at exec: only A=1 \(\d+ of the caller's \d+ variables removed\)$/);
  const target = background(t, 'tsunshare -m --fork sh -c \'echo up; exec sleep 60\'');
  t.equal(await firstLine(target), 'up');
  await until(() => childrenOf(target.pid!).length === 1);
  const pid = childrenOf(target.pid!)[0];
  t.match(dry('tsnsenter', ['-t', String(pid), '-m', '-e', 'true']).env, new RegExp(`^at exec: the environment of process ${pid} \\(\\d+ variables\\), not the caller's$`));
  // and the real run does what the line says
  const real = tool('tsunshare', ['-u', '--whitelist-env', 'HOME,LANG', 'env'], { env });
  t.same(real.stdout.trim().split('\n').sort(), ['HOME=/root', 'LANG=C']);
});

t.test('a dry run that meets a missing file prints the whole plan, then the problem (status 1)', async (t) => {
  const dir = scratch(t);
  const mounts = mountPoints().length;
  const r = tool('tsunshare', ['--dry-run', `--net=${dir}/missing`, '-R', `${dir}/nowhere`, '--fork', 'true']);
  t.equal(r.status, 1);
  const lines = r.stdout.trim().split('\n');
  // (-R: first from a sealed copy of the executor)
  t.match(lines[0], /^execveat\(a copy of \/proc\/self\/exe/);
  t.match(lines[1], /^fork\(\) a helper that binds the namespace files/);
  t.equal(lines.at(-1), '  child: execvp("true", ["true"])', 'the plan to its end');
  t.equal(r.stderr, [
    `tsunshare: cannot keep the net namespace on '${dir}/missing': No such file or directory`,
    `tsunshare: cannot change root directory to '${dir}/nowhere': No such file or directory`,
    '',
  ].join('\n'), 'then each problem, as the real run would say the first');
  const real = tool('tsunshare', [`--net=${dir}/missing`, '-R', `${dir}/nowhere`, '--fork', 'true']);
  t.equal(real.stderr, `tsunshare: cannot keep the net namespace on '${dir}/missing': No such file or directory\n`);
  t.equal(real.stdout, '');
  const nsenter = tool('tsnsenter', ['--dry-run', `--net=${dir}/missing`, 'true']);
  t.equal(nsenter.status, 1);
  t.match(nsenter.stdout, /execvp\("true", \["true"\]\)\n$/);
  t.equal(nsenter.stderr, `tsnsenter: cannot open ${dir}/missing: No such file or directory\n`);
  const reexec = tool('tsreexec', ['--dry-run', '--rootfs', `${dir}/nowhere`, '--bind', `${dir}/gone:/x`, 'true']);
  t.equal(reexec.status, 1);
  t.match(reexec.stdout, /pivot_root\(.*\n.*execvp\("true", \["true"\]\)\n$/);
  t.equal(reexec.stderr.split('\n').length, 3, 'both problems');
  t.equal(mountPoints().length, mounts, 'nothing mounted');
  t.notOk(fs.existsSync(`${dir}/missing`));
});

if (v1Host) t.test('the dry run of tscgexec: a waiting parent outside, the join and the program in the child', async (t) => {
  const r = sh('tscgexec --dry-run -g memory:/ true');
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.equal(lines[0], 'fork()');
  t.match(lines[1], /^ {2}parent: read "oom_kill" in "\/sys\/fs\/cgroup\/memory\/memory\.oom_control": if the child dies of SIGKILL and it grew, say "true was killed by the memory limit of memory:\/ /);
  t.match(lines.at(-2), /^ {2}child: write\(".*", "0"\)$/);
  t.equal(lines.at(-1), '  child: execvp("true", ["true"])');
  t.equal(tool('tscgexec', ['--dry-run', '-F', '-g', 'memory:/', 'true']).stdout.split('\n')[0].startsWith('write('), true, '-F: no fork');
});

t.test('a folded chain prints as one plan: slots by name, the child\'s steps under the fork', async (t) => {
  const dir = scratch(t);
  const r = tool('tsunshare', ['--dry-run', '-U', '--keep-caps', '--fork', '--pid-file', `${dir}/pid`, 'tsreexec', '--wait', `${dir}/go`, 'true']);
  t.equal(r.status, 0, r.stderr);
  t.notMatch(r.stdout, /fd#\d/, 'no fd#N');
  t.match(r.stdout, /^tsunshare: {3}parent: write the pid of the child to the pid file \(pidfile\)$/m);
  const lines = r.stdout.trim().split('\n');
  const fork = lines.indexOf('tsunshare: fork()');
  t.ok(fork > 0, 'a fork');
  t.ok(lines.slice(fork + 1).every((l) => /^ts[a-z]+: {3}(parent|child): /.test(l)), lines.slice(fork + 1).join('\n'));
  t.match(r.stdout, /^tsreexec: {3}child: wait for the host side: read\(/m, 'the folded link\'s steps, the child\'s');
  t.equal(lines.at(-1), 'tsreexec:   child: execvp("true", ["true"])');
});
