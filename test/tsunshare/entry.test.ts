// The program gets exactly what the tool's caller gave: ignored signals, the
// blocked mask, descriptors with their flags, bytes of arguments and
// environment, any length of command line; and `ps` shows the tool.
import t, { type Test } from 'tap';
import fs = require('fs');
import path = require('path');
import { background, childrenOf, firstLine, scratch, sh, tool, until } from '../lib/run';

/** tsunshare's two entries: the clone's bin/ (a #! line: the launcher), and the npm package's /bin/sh script */
const CLONE_BIN = path.resolve(__dirname, '..', '..', 'bin', 'tsunshare');
const PACKAGE_BIN = path.resolve(__dirname, '..', '..', 'packages', 'tsunshare', 'bin', 'tsunshare');
const sigs = (out: string) => Object.fromEntries([...out.matchAll(/^(Sig\w+):\s+(\w+)$/gm)].map((m) => [m[1], m[2]]));
// exec: a shell that forks for its last command clears the child's mask (dash)
const STATUS = `exec grep -E '^Sig(Ign|Blk)' /proc/self/status`;

t.test('nohup: SIGHUP stays ignored, as under unshare', async (t) => {
  const r = sh(`nohup tsunshare -m sh -c "${STATUS}" 2>/dev/null; nohup unshare -m sh -c "${STATUS}" 2>/dev/null`, { cwd: scratch(t) });
  const [ours, theirs] = [r.stdout.split('\n').slice(0, 2).join('\n'), r.stdout.split('\n').slice(2).join('\n')];
  t.equal(sigs(ours).SigIgn, sigs(theirs).SigIgn);
  t.equal(BigInt('0x' + sigs(ours).SigIgn) & 1n, 1n, 'SIGHUP (bit 0) ignored');
});

t.test('a background job of a non-interactive shell keeps SIGINT and SIGQUIT ignored', async (t) => {
  const r = sh(`tsunshare -m sh -c "${STATUS}" & wait`);
  const ign = BigInt('0x' + sigs(r.stdout).SigIgn);
  t.equal(ign & 0b110n, 0b110n, 'SIGINT (bit 1) and SIGQUIT (bit 2) ignored');
});

/** Run a python3 script (written to a scratch file) that sets up state and execs. */
function py(t: Test, code: string, env: NodeJS.ProcessEnv = process.env) {
  const file = path.join(scratch(t), 'start.py');
  fs.writeFileSync(file, `import os, select, signal, sys\n${code}\n`);
  return sh(`python3 ${file}`, { env });
}

t.test('a blocked SIGUSR1 and an ignored real-time signal stay so, with and without --fork, by either bin', async (t) => {
  for (const bin of [CLONE_BIN, PACKAGE_BIN]) {
    for (const fork of [[], ['--fork']]) {
      const r = py(t, `signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # Python ignores it; Node does too
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
signal.signal(40, signal.SIG_IGN)
os.execv(${JSON.stringify(bin)}, ["tsunshare", "-m", *${JSON.stringify(fork)}, "sh", "-c", ${JSON.stringify(STATUS)}])`);
      const s = sigs(r.stdout);
      const how = `${fork} (${path.relative(path.resolve(__dirname, '..', '..'), bin)})`;
      t.equal(BigInt('0x' + s.SigBlk) & (1n << 9n), 1n << 9n, `SIGUSR1 blocked ${how}`);
      t.equal(BigInt('0x' + s.SigIgn) & (1n << 39n), 1n << 39n, `signal 40 ignored ${how}`);
      t.equal(BigInt('0x' + s.SigIgn) & (1n << 12n), 0n, `SIGPIPE not ignored ${how}`);
    }
  }
});

t.test('descriptors exactly: both ends of a pipe, eventfd, epoll, their flags; none of Node\'s io_uring', async (t) => {
  const list = "ls -l /proc/self/fd | sed 1d | grep -v /proc/ | sed 's/.* \\([0-9]* ->\\)/\\1/'";
  for (const env of [{}, { UV_USE_IO_URING: '1' }]) {
    const r = py(t, `r, w = os.pipe()
e = os.eventfd(0)
p = select.epoll()
for fd in (r, w, e, p.fileno()): os.set_inheritable(fd, True)
os.set_blocking(w, False)
list = ${JSON.stringify(list)}
os.execvp("sh", ["sh", "-c", list + "; echo -; exec tsunshare -m sh -c \\"$0; grep ^flags /proc/self/fdinfo/%d\\"" % w, list])`, { ...process.env, ...env });
    const [direct, through = ''] = r.stdout.split('-\n');
    const flags = through.match(/^flags:\s+(\d+)/m);
    // (fd 1 is each `ls` pipeline's own pipe)
    const same = (l: string) => l.replace(/^(flags|1 ->).*\n/gm, '');
    t.equal(same(through), same(direct), `the same set ${JSON.stringify(env)}`);
    t.match(direct, /pipe:.*\n.*pipe:/, 'both ends of one pipe');
    t.match(direct, /eventfd/);
    t.match(direct, /eventpoll/);
    t.ok(flags && (parseInt(flags[1], 8) & 0o4000) !== 0, 'the pipe\'s O_NONBLOCK kept');
  }
});

t.test('the caller\'s O_NONBLOCK on a shared stdout is not cleared', async (t) => {
  const r = py(t, `os.set_blocking(1, False)
os.execvp("tsunshare", ["tsunshare", "-m", "sh", "-c", "exec grep ^flags /proc/self/fdinfo/1"])`);
  t.ok((parseInt(r.stdout.split(/\s+/)[1], 8) & 0o4000) !== 0, r.stdout);
});

t.test('a GNU make jobserver (make -j4) keeps its descriptors through the tool', async (t) => {
  const dir = scratch(t);
  fs.writeFileSync(path.join(dir, 'Makefile'), 'all:\n\t+tsunshare -m $(MAKE) -f sub.mk\n');
  fs.writeFileSync(path.join(dir, 'sub.mk'), 'all: a b\na b:\n\t@echo $@ $(filter --jobserver%,$(MAKEFLAGS))\n');
  const r = sh('make -s -j4', { cwd: dir });
  t.equal(r.status, 0, r.stderr);
  t.notMatch(r.stderr, /jobserver unavailable/);
  t.match(r.stdout, /^a --jobserver-auth=\d+,\d+$/m);
});

t.test('bytes exactly: a non-UTF-8 argument, environment value and directory', async (t) => {
  const dir = scratch(t);
  const r = sh(`mkdir ${dir}/d$(printf '\\351'); tsunshare printf %s "$(printf 'caf\\351')" | od -An -c; ` +
    `X="$(printf '\\377')" tsunshare sh -c 'printf %s "$X"' | od -An -c; tsunshare -w ${dir}/d$(printf '\\351') pwd | od -An -c`);
  const [arg, env, wd] = r.stdout.trim().split('\n').map((l) => l.trim());
  t.equal(arg, 'c   a   f 351');
  t.equal(env, '377');
  t.match(r.stdout, /d 351  \\n/);
  t.ok(wd, r.stderr);
});

t.test('any command line length unshare takes: 100,000 arguments through xargs', async (t) => {
  const r = sh('seq 1 100000 | xargs tsunshare -m true; echo "status $?"; seq 1 100000 | xargs tsunshare -m sh -c \'echo $#\' x | awk \'{s += $1} END {print s}\'');
  t.equal(r.stdout, 'status 0\n100000\n', r.stderr);
});

t.test('ps shows the tool, not the plan: the --fork parent is `tsunshare ...`', async (t) => {
  const child = background(t, 'tsunshare -Upmnui --fork sh -c "echo up; exec sleep 30"');
  t.equal(await firstLine(child), 'up');
  await until(() => childrenOf(child.pid!).length === 1);
  const cmdline = fs.readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
  t.equal(cmdline, 'tsunshare\0-Upmnui\0--fork\0sh\0-c\0echo up; exec sleep 30\0');
  t.equal(fs.readFileSync(`/proc/${child.pid}/comm`, 'utf8'), 'tsunshare\n', 'pgrep tsunshare finds it');
  const exact = sh(`pgrep -xf 'sleep 30' | grep -x ${child.pid}`);
  t.equal(exact.stdout, '', 'pgrep -xf of the program does not');
});

/** Run `argv` (a tool first) from /, with exactly `env` in its order, from
 * python3; the tool's file is `file`, else the clone's bin/. */
function withEnv(t: Test, env: [string, string][], argv: string[], file = argv[0].includes('/') ? argv[0] : `${ROOT_BIN}/${argv[0]}`) {
  return py(t, `os.chdir("/")\nos.execve(${JSON.stringify(file)}, ${JSON.stringify(argv)}, dict(${JSON.stringify(env)}))`);
}
const ROOT_BIN = path.resolve(__dirname, '..', '..', 'bin');
const base = (): [string, string][] => [['PATH', `${ROOT_BIN}:/usr/bin:/bin`], ['PWD', '/']];
/** The environment as a /bin/sh script hands it on (dash exports in an order of its own). */
const viaSh = (t: Test, env: [string, string][]) => withEnv(t, env, ['/bin/sh', '-c', 'exec env']).stdout;
const sorted = (text: string) => text.split('\n').sort().join('\n');
const lines = (env: [string, string][]) => env.map(([k, v]) => `${k}=${v}\n`).join('');
/** The two ways in: the clone's bin/tsunshare, a #! line the kernel runs as
 * the launcher (the caller's environment exactly), and the npm package's
 * /bin/sh script (as dash hands it on). */
const ENTRIES = [
  { way: 'the clone\'s bin/', file: CLONE_BIN, expect: (_t: Test, env: [string, string][]) => lines(env) },
  { way: 'the package\'s sh script', file: PACKAGE_BIN, expect: viaSh },
];

t.test('the clone\'s bin/TOOL is a #! line naming the launcher and the tool\'s JavaScript', async (t) => {
  const line = fs.readFileSync(CLONE_BIN, 'utf8').split('\n')[0];
  t.match(line, /^#!\/\S+\/prebuilds\/linux-(x64|arm64)\/tscore-exec --launch=\/\S+\/packages\/tsunshare\/dist\/tsunshare\.cjs$/);
  t.equal(line.length <= 255, true, 'within the kernel\'s #! limit');
});

t.test('NODE_OPTIONS steers the program\'s Node, not the tool\'s: its --require does not run in the tool, env shows it in place', async (t) => {
  const dir = scratch(t);
  fs.writeFileSync(path.join(dir, 'x.js'), `require('fs').writeFileSync(${JSON.stringify(path.join(dir, 'ran'))}, '')\n`);
  const env: [string, string][] = [['A', '1'], ['NODE_OPTIONS', `--require=${dir}/x.js`], ...base(), ['B', '2']];
  t.notMatch(viaSh(t, env), /NODE_OPTIONS.*\n$/, 'not the last entry: its place is told');
  for (const { way, file, expect } of ENTRIES) {
    const expected = expect(t, env);
    t.equal(sorted(expected), sorted(lines(env)));
    const r = withEnv(t, env, ['tsunshare', 'env'], file);
    t.equal(r.stdout, expected, `${way}: ${r.stderr}`);
    t.equal(r.stderr, '');
    t.notOk(fs.existsSync(path.join(dir, 'ran')), `${way}: x.js did not run in the tool`);
  }
  const probe = withEnv(t, env, ['tsunshare', 'node', '-e', '0']);
  t.equal(probe.status, 0, probe.stderr);
  t.ok(fs.existsSync(path.join(dir, 'ran')), 'it runs in the program\'s Node');
});

t.test('NODE_EXTRA_CA_CERTS of a missing file: no warning from the tool, the program sees it', async (t) => {
  const env: [string, string][] = [...base(), ['NODE_EXTRA_CA_CERTS', '/nonexistent/ca.pem'], ['C', '3']];
  for (const { way, file, expect } of ENTRIES) {
    const node = withEnv(t, env, ['tsunshare', 'node', '-e', '0'], file);
    t.match(node.stderr, /extra certs/, `${way}: Node itself warns (in the program)`);
    t.equal((node.stderr.match(/extra certs/g) ?? []).length, 1, `${way}: once: the program's Node only`);
    const r = withEnv(t, env, ['tsunshare', 'env'], file);
    t.equal(r.stderr, '');
    t.equal(r.stdout, expect(t, env), way);
  }
});

t.test('a caller\'s entry named as a held one passes through untouched', async (t) => {
  const env: [string, string][] = [['TSCORE_HELD_NODE_OPTIONS', '--bogus'], ...base(), ['NODE_DEBUG', 'x'], ['TSCORE_HELD_A', '1']];
  for (const { way, file, expect } of ENTRIES) {
    const r = withEnv(t, env, ['tsunshare', 'env'], file);
    t.equal(r.stdout, expect(t, env), `${way}: ${r.stderr}`);
    t.equal(sorted(r.stdout), sorted(lines(env)));
  }
});

t.test('a folded chain gives its last program the caller\'s exact environment', async (t) => {
  const dir = scratch(t);
  fs.writeFileSync(path.join(dir, 'x.js'), `require('fs').writeFileSync(${JSON.stringify(path.join(dir, 'ran'))}, '')\n`);
  const env: [string, string][] = [['NODE_OPTIONS', `--require=${dir}/x.js`], ...base(), ['NODE_EXTRA_CA_CERTS', '/nonexistent'], ['Z', '']];
  for (const { way, file, expect } of ENTRIES) {
    const r = withEnv(t, env, ['tsunshare', '-m', 'tsunshare', '-u', 'tsunshare', '-i', 'env'], file);
    t.equal(r.stdout, expect(t, env), `${way}: ${r.stderr}`);
    t.equal(r.stderr, '');
    t.notOk(fs.existsSync(path.join(dir, 'ran')));
  }
});

t.test('the launcher starts the tool\'s Node with one V8 worker thread, the caller\'s NODE_* held', async (t) => {
  const dir = scratch(t);
  // a `node` first on PATH shows what the launcher runs
  fs.writeFileSync(path.join(dir, 'node'), '#!/bin/sh\nprintf "%s\\n" "$@"; env | grep -E "^(TSCORE_HELD_)?NODE_(OPTIONS|EXTRA_CA_CERTS)=" | sort\n', { mode: 0o755 });
  const r = sh(`PATH=${dir}:$PATH NODE_OPTIONS=--x NODE_EXTRA_CA_CERTS=/y tsunshare -m true`);
  t.equal(r.stdout, `--v8-pool-size=1\n--single-threaded-gc\n--preserve-symlinks-main\n${path.join(ROOT_BIN, '..', 'packages', 'tsunshare', 'dist', 'tsunshare.cjs')}\n-m\ntrue\n` +
    'TSCORE_HELD_NODE_EXTRA_CA_CERTS=/y\nTSCORE_HELD_NODE_OPTIONS=--x\n', r.stderr);
});
