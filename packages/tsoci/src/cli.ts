// tsoci: an OCI runtime with runc's command line, as podman's conmon and
// containerd's shim call it. Global options, then a command and its own
// options (before or after the id). Each command is a small function of its
// options; create and run hand a plan to tscore-exec (plan.ts).
import fs = require('fs');
import path = require('path');
import {
  addon, errno, members, encodeBytes, getopt, parseSignalName, print, ToolError, UsageError,
  type Option, type Step,
} from 'tscontainer-core';
import { cgroupDirs, cgroupJoinSteps, makeCgroups, removeCgroups } from './cgroup';
import { parseProcess, readConfig } from './config';
import { defaultSpec, features } from './spec';
import { setFrozen } from './commands/freezer';
import { cgroupPids, psTable } from './commands/ps';
import { resourcesFrom, updateCgroups } from './commands/update';
import { interval, oomKills, statsLine } from './commands/events';
import { launch, layout, passedFds } from './executor';
import { hookPlan, hookState, noHooks, runHooks, type HookPlan } from './hooks';
import { execPlan, plan, pidFileName } from './plan';
import { Dir, NOT_FOUND, ociState, ownerName, procStat, rfc3339Nano, type State } from './state';

export const VERSION: string = require('../package.json').version;
export const SPEC_VERSION = '1.2.0';

const GLOBAL: Option[] = [
  { key: 'root', long: 'root', arg: 'required' },
  { key: 'log', long: 'log', arg: 'required' },
  { key: 'log-format', long: 'log-format', arg: 'required' },
  { key: 'debug', long: 'debug', arg: 'none' },
  { key: 'systemd-cgroup', long: 'systemd-cgroup', arg: 'none' },
  { key: 'rootless', long: 'rootless', arg: 'required' },
  { key: 'criu', long: 'criu', arg: 'required' },
  { key: 'version', short: 'v', long: 'version', arg: 'none' },
  { key: 'help', short: 'h', long: 'help', arg: 'none' },
];

const CREATE: Option[] = [
  { key: 'bundle', short: 'b', long: 'bundle', arg: 'required' },
  { key: 'pid-file', long: 'pid-file', arg: 'required' },
  { key: 'console-socket', long: 'console-socket', arg: 'required' },
  { key: 'no-pivot', long: 'no-pivot', arg: 'none' },
  { key: 'no-new-keyring', long: 'no-new-keyring', arg: 'none' },
  { key: 'preserve-fds', long: 'preserve-fds', arg: 'required' },
  { key: 'dry-run', long: 'dry-run', arg: 'none' },
];

const COMMANDS: Record<string, { options: Option[]; operands: string; run: (c: Command) => number | Promise<number> }> = {
  create: { options: CREATE, operands: '<container-id>', run: create },
  run: {
    options: [...CREATE, { key: 'detach', short: 'd', long: 'detach', arg: 'none' }, { key: 'keep', long: 'keep', arg: 'none' },
      { key: 'no-subreaper', long: 'no-subreaper', arg: 'none' }],
    operands: '<container-id>', run,
  },
  start: { options: [], operands: '<container-id>', run: start },
  exec: {
    options: [
      { key: 'process', short: 'p', long: 'process', arg: 'required' },
      { key: 'tty', short: 't', long: 'tty', arg: 'none' },
      { key: 'detach', short: 'd', long: 'detach', arg: 'none' },
      { key: 'pid-file', long: 'pid-file', arg: 'required' },
      { key: 'console-socket', long: 'console-socket', arg: 'required' },
      { key: 'cwd', long: 'cwd', arg: 'required' },
      { key: 'env', short: 'e', long: 'env', arg: 'required' },
      { key: 'user', short: 'u', long: 'user', arg: 'required' },
      { key: 'additional-gids', short: 'g', long: 'additional-gids', arg: 'required' },
      { key: 'cap', short: 'c', long: 'cap', arg: 'required' },
      { key: 'no-new-privs', long: 'no-new-privs', arg: 'none' },
      { key: 'preserve-fds', long: 'preserve-fds', arg: 'required' },
      { key: 'process-label', long: 'process-label', arg: 'required' },
      { key: 'apparmor', long: 'apparmor', arg: 'required' },
      { key: 'ignore-paused', long: 'ignore-paused', arg: 'none' },
      { key: 'cgroup', long: 'cgroup', arg: 'required' },
      { key: 'dry-run', long: 'dry-run', arg: 'none' },
    ],
    operands: '<container-id> <command> [<argument>...]', run: exec,
  },
  state: { options: [], operands: '<container-id>', run: state },
  kill: { options: [{ key: 'all', short: 'a', long: 'all', arg: 'none' }], operands: '<container-id> [<signal>]', run: kill },
  delete: { options: [{ key: 'force', short: 'f', long: 'force', arg: 'none' }], operands: '<container-id>', run: del },
  list: { options: [{ key: 'format', short: 'f', long: 'format', arg: 'required' }, { key: 'quiet', short: 'q', long: 'quiet', arg: 'none' }], operands: '', run: list },
  spec: { options: [{ key: 'bundle', short: 'b', long: 'bundle', arg: 'required' }, { key: 'rootless', long: 'rootless', arg: 'none' }], operands: '', run: spec },
  features: { options: [], operands: '', run: () => out(JSON.stringify(features(VERSION, SPEC_VERSION), null, 2) + '\n') },
  pause: { options: [], operands: '<container-id>', run: pause },
  resume: { options: [], operands: '<container-id>', run: resume },
  ps: { options: [{ key: 'format', short: 'f', long: 'format', arg: 'required' }], operands: '<container-id> [<ps argument>...]', run: ps },
  events: {
    options: [{ key: 'interval', long: 'interval', arg: 'required' }, { key: 'stats', long: 'stats', arg: 'none' }],
    operands: '<container-id>', run: events,
  },
  update: {
    options: [
      { key: 'resources', short: 'r', long: 'resources', arg: 'required' },
      ...['memory', 'memory-swap', 'cpu-period', 'cpu-quota', 'cpu-share', 'cpuset-cpus', 'cpuset-mems', 'pids-limit', 'blkio-weight'].map((k): Option => ({ key: k, long: k, arg: 'required' })),
    ],
    operands: '<container-id>', run: update,
  },
};

/** the commands, and where state is kept by default (for completions) */
export const SUBCOMMANDS = Object.keys(COMMANDS);
export const DEFAULT_ROOT = '/run/tsoci';

/** every option, global and of each command (for completions and the man page) */
export const OPTIONS: Option[] = [...GLOBAL, ...Object.values(COMMANDS).flatMap((c) => c.options)]
  .filter((o, k, all) => all.findIndex((x) => x.key === o.key && x.long === o.long && x.short === o.short) === k);

export const USAGE = `
Usage:
 tsoci [global options] <command> [command options] <container-id>

An OCI runtime (runc's command line): config.json becomes a plan of system
calls, run by the ts* tools' native executor; the container's init waits
natively on an exec FIFO between create and start.

Commands:
 create <id>          set the container up; its init waits for start
 start <id>           let the init exec the program
 exec <id> <command>  run another process in the container (its namespaces,
                        cgroups, credentials)
 state <id>           the OCI state (JSON)
 kill <id> [<signal>] signal the init (default SIGTERM)
 delete <id>          remove a stopped container (a created one's init killed)
 run <id>             create, start, wait, delete; exit with its status
 list                 the containers
 pause <id>           freeze every process of its cgroups
 resume <id>          thaw them
 ps <id> [<ps args>]  its processes (ps -ef's lines of its cgroups' PIDs)
 update <id>          new limits for its cgroups (--resources, or the flags)
 events <id>          its cgroups' statistics (JSON lines) and OOM kills
 spec                 write a default config.json
 features             what this runtime supports (JSON)

Options:
     --root <dir>           where state is kept (default /run/tsoci)
     --log <file>           where errors are logged too (default: stderr only)
     --log-format text|json the records in --log (runc's)
     --debug                log each command
     --systemd-cgroup       refused: tsoci manages no cgroups through systemd
     --rootless <value>     accepted and ignored (tsoci runs as root)
     --criu <path>          refused: tsoci does not checkpoint
 -b, --bundle <dir>         create, run, spec: the bundle (default: .)
     --pid-file <file>      create, run: write the init's PID there
     --console-socket <path>
                            create, run -d: send the terminal's master there
                              (process.terminal)
     --no-pivot             create, run: move the root and chroot, no pivot_root
     --no-new-keyring       create, run: accepted (no keyring is made)
     --preserve-fds <n>     create, run, exec: pass fds 3 to 3+n-1 on to the
                              program
     --dry-run              create, run: print the system calls, change nothing
 -d, --detach               run: create and start, and return; exec: return
                              once the process is set up
     --keep                 run: keep the state after the program ends
     --no-subreaper         run: accepted (the executor waits for the init)
 -p, --process <file>       exec: the process (runtime-spec JSON) to run
 -t, --tty                  exec: give it a terminal (with -d, --console-socket)
     --cwd <dir>            exec: its working directory
 -e, --env <name>=<value>   exec: add to its environment (repeatable)
 -u, --user <uid>[:<gid>]   exec: its user
 -g, --additional-gids <gid>
                            exec: its supplementary groups (repeatable)
 -c, --cap <capability>     exec: add to its capabilities (repeatable)
     --no-new-privs         exec: set no_new_privs
     --process-label <label>
                            exec: refused (no SELinux)
     --apparmor <profile>   exec: refused (no AppArmor)
     --ignore-paused        exec: run in a paused container too
     --cgroup <path>        exec: refused (the container's cgroups are joined)
 -a, --all                  kill: every process of its cgroups, or of its PID
                              namespace
 -f, --force                delete: kill a running container first
 -f, --format table|json    list, ps: the output format
 -q, --quiet                list: the ids only
 -r, --resources <file>     update: linux.resources as JSON (- for stdin)
     --memory <size>        update: the memory limit (bytes, or k, m, g; -1:
                              none)
     --memory-swap <size>   update: the memory and swap limit
     --cpu-period <us>      update: the CPU quota's period
     --cpu-quota <us>       update: the CPU time allowed in each period
     --cpu-share <shares>   update: the CPU weight (cpu.shares)
     --cpuset-cpus <list>   update: the CPUs it may use
     --cpuset-mems <list>   update: the memory nodes it may use
     --pids-limit <n>       update: how many tasks at most
     --blkio-weight <n>     update: the block IO weight (10 to 1000)
     --stats                events: the statistics once, then exit
     --interval <time>      events: how often (default 5s)
     --rootless             spec: a config for an unprivileged user
 -v, --version              display version
 -h, --help                 display this help

linux.resources: memory (limit, swap), cpu (shares, quota, period, cpus,
mems), pids, devices (v1's files, or an eBPF program on v2; every device
denied but runc's allowed ones and linux.devices), blockIO (weights and
throttles: v1 blkio, v2 io, as runc; a knob the kernel lacks fails),
hugepageLimits (hugetlb, v1 or v2; refused where no hierarchy has it),
unified (v2 files by name, written last; refused on v1, as runc), in a cgroup every
container gets in every hierarchy: cgroupsPath (a relative one beneath
tsoci's own cgroup), else tsoci-<id>-<hash of the bundle> beneath it; on
v1, hybrid or v2. A cgroup mount shows the container its own.
linux.seccomp through libseccomp (no SCMP_ACT_NOTIFY), for exec's processes too.
linux.devices and runc's default devices made in /dev (the host's bound in
a user namespace); hooks run where and when runc runs them.
A tmpfs mount with tmpcopyup starts as a copy of the directory it covers.
Not supported yet, refused by name: the other resources
(rdma, ...); checkpoint, restore.
`;

export interface Globals {
  root: string;
  log?: string;
  logFormat: 'text' | 'json';
  debug: boolean;
}

interface Command {
  g: Globals;
  name: string;
  /** the command's options by key (last wins) */
  o: Map<string, string | true>;
  /** every value of each (-e, -c, -g repeat) */
  all: Map<string, string[]>;
  operands: string[];
  argv: string[];
}

let stdoutText = '';
function out(text: string): number {
  stdoutText += text;
  return 0;
}

/** one record in --log, as runc writes them */
export function logRecord(g: Globals, level: 'error' | 'debug', msg: string): void {
  if (!g.log) return;
  const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const line = g.logFormat === 'json' ? JSON.stringify({ level, msg, time }) : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
  try {
    fs.appendFileSync(g.log, line + '\n', { mode: 0o644 });
  } catch {
    // nowhere to log: stderr still says it
  }
}

/** The command's options, before or after its operands (runc takes both). */
function parseCommand(words: string[], options: Option[], commandAfterId = false): { o: Map<string, string | true>; all: Map<string, string[]>; operands: string[] } {
  const o = new Map<string, string | true>();
  const all = new Map<string, string[]>();
  const operands: string[] = [];
  let rest = words;
  while (rest.length) {
    // exec, ps: after the id, the command and its own arguments, as given (runc's)
    if (commandAfterId && operands.length === 1) {
      operands.push(...rest);
      break;
    }
    const parsed = getopt(rest, options);
    for (const x of parsed.options) {
      o.set(x.key, x.value ?? true);
      if (x.value !== undefined) all.set(x.key, [...(all.get(x.key) ?? []), x.value]);
    }
    if (!parsed.operands.length) break;
    const dashdash = rest.length - parsed.operands.length > 0 && rest[rest.length - parsed.operands.length - 1] === '--';
    if (dashdash) {
      operands.push(...parsed.operands);
      break;
    }
    operands.push(parsed.operands[0]);
    rest = parsed.operands.slice(1);
  }
  return { o, all, operands };
}

export function parseGlobals(argv: string[]): { g: Globals; rest: string[]; print?: string } {
  const { options, operands } = getopt(argv, GLOBAL);
  const g: Globals = { root: DEFAULT_ROOT, logFormat: 'text', debug: false };
  for (const { key, value, as } of options) {
    switch (key) {
      case 'help': return { g, rest: [], print: USAGE };
      case 'version': return { g, rest: [], print: `tsoci version ${VERSION}\nspec: ${SPEC_VERSION}\n` };
      case 'root': g.root = path.resolve(value!); break;
      case 'log': g.log = path.resolve(value!); break;
      case 'log-format':
        if (value !== 'text' && value !== 'json') throw new UsageError(`${as}: expected text or json, got '${value}'`);
        g.logFormat = value;
        break;
      case 'debug': g.debug = true; break;
      case 'systemd-cgroup': throw new ToolError('--systemd-cgroup is not supported: tsoci manages no cgroups through systemd');
      case 'rootless': break; // runc's auto: errors on cgroups we make none of
      case 'criu': throw new ToolError('--criu is not supported: tsoci does not checkpoint');
    }
  }
  return { g, rest: operands };
}

/** The command's one container id. */
function theId(c: Command, most = 1): string {
  if (c.operands.length < 1 || c.operands.length > most) {
    throw new UsageError(`"${c.name}" requires ${most === 1 ? 'exactly 1 argument' : `1 to ${most} arguments`}: ${COMMANDS[c.name].operands}`);
  }
  return c.operands[0];
}

/** 16 hex digits from the kernel's random source (not the crypto module,
 * whose loading costs every tsoci start ~3 ms) */
function unguessable(): string {
  const fd = fs.openSync('/dev/urandom', 'r');
  try {
    const b = Buffer.alloc(8);
    fs.readSync(fd, b, 0, 8, null);
    return b.toString('hex');
  } finally {
    fs.closeSync(fd);
  }
}

/** The pid file a caller asked for: digits, no newline (go-runc's Atoi), replaced atomically. */
function writePidFile(file: string, pid: number): void {
  const abs = path.resolve(file);
  // its folder may be a container's too: a new file of a name no one can
  // guess (O_EXCL: never one planted there, nor a link's target)
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${unguessable()}`);
  fs.writeFileSync(tmp, String(pid), { flag: 'wx' });
  fs.renameSync(tmp, abs);
}

function prepare(c: Command, id: string, forRun: boolean): { d: Dir; s: State; steps: Step[]; passed: number; hooks?: HookPlan } | { print: string } {
  const { passed, listen } = passedFds(c.o.get('preserve-fds'));
  const bundle = path.resolve(typeof c.o.get('bundle') === 'string' ? (c.o.get('bundle') as string) : '.');
  const config = readConfig(bundle, id);
  // socket activation: those fds go first, and the program is told (runc's)
  if (listen) config.env.push(`LISTEN_FDS=${listen}`, 'LISTEN_PID=1');
  const fds = layout(passed);
  const hooks = hookPlan(config.hooks, { ociVersion: config.ociVersion, id, bundle, annotations: config.annotations }, fds, forRun);
  // runc's checkTerminal
  const socket = c.o.get('console-socket');
  if (config.terminal && typeof socket !== 'string') {
    throw new ToolError(forRun ? 'process.terminal: tsoci run gives a terminal only with -d and --console-socket' : 'cannot allocate tty if tsoci will detach without setting console socket');
  }
  if (!config.terminal && socket !== undefined) throw new ToolError('cannot use console socket if tsoci will not detach or allocate tty');
  const d = new Dir(c.g.root, id);
  const where = {
    fifo: forRun ? undefined : d.fifo, stateDir: d.dir, pidName: pidFileName, noPivot: c.o.has('no-pivot'),
    consoleSocket: typeof socket === 'string' ? path.resolve(socket) : undefined,
    callerStderr: forRun ? undefined : fds.callerStderr, closeFrom: fds.closeFrom, hooks,
  };
  if (c.o.has('dry-run')) {
    const join = config.cgroup ? [{ op: 'write' as const, path: `<each hierarchy>${config.cgroup.path}/{tasks,cgroup.procs}`, data: '0' }] : [];
    return { print: print(plan(config, { ...where, join, cgroups: config.cgroup && cgroupDirs(config.cgroup) })).join('\n') + '\n' };
  }
  const s: State = {
    ociVersion: config.ociVersion, id, bundle, rootfs: config.rootfs, created: rfc3339Nano(), owner: ownerName(),
    privatePid: config.newNs.includes('pid'), annotations: config.annotations, seccomp: config.seccomp,
  };
  if (hooks) s.hooks = { poststart: hooks.hooks.poststart, poststop: hooks.hooks.poststop };
  d.make();
  try {
    if (!forRun) {
      const r = addon().mkfifo(d.fifo, 0o622);
      if (r < 0) throw new ToolError(`cannot make ${d.fifo}: ${addon().strerror(-r)}`);
    }
    d.write(s);
    if (config.cgroup) {
      const { dirs, made } = makeCgroups(config.cgroup);
      s.cgroups = made;
      s.cgroupDirs = dirs.map((x) => x.dir);
      d.write(s);
      return { d, s, passed, hooks, steps: plan(config, { ...where, join: cgroupJoinSteps(dirs), cgroups: dirs }) };
    }
  } catch (e) {
    removeCgroups(s.cgroups ?? []);
    d.remove();
    throw e;
  }
  return { d, s, passed, hooks, steps: plan(config, where) };
}

/** The init's PID and start time into the state, once the executor wrote it. */
function recordInit(d: Dir, s: State): number {
  const pid = d.initPid();
  const st = pid === undefined ? undefined : procStat(pid);
  if (pid === undefined || !st) throw new ToolError('the container\'s init is gone before it was started');
  s.pid = pid;
  s.startTime = st.startTime;
  d.write(s);
  return pid;
}

async function create(c: Command): Promise<number> {
  const id = theId(c);
  const p = prepare(c, id, false);
  if ('print' in p) return out(p.print);
  const { d, s, steps, passed, hooks } = p;
  try {
    // the setup's errors come to us (to say and log them); the caller's
    // stderr waits beside them until the init puts it back
    const r = await launch({
      steps, argv: c.argv, passed, captureStderr: true,
      onHooks: hooks?.fd === undefined ? undefined : (pid) => runtimeHooks(hooks, pid),
    });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new ToolError(r.said.at(-1) ?? `container create failed: the setup of its init failed (exit status ${r.status})`);
    for (const line of r.said) process.stderr.write(`tsoci: ${line}\n`);
    const pid = recordInit(d, s);
    const pidFile = c.o.get('pid-file');
    if (typeof pidFile === 'string') writePidFile(pidFile, pid);
    d.unlock();
    return 0;
  } catch (e) {
    killInit(d, s);
    removeCgroups(s.cgroups ?? []);
    d.remove();
    poststop(s);
    throw e;
  }
}

/** prestart, then createRuntime: the runtime's namespaces, the init's host PID (runc's) */
function runtimeHooks(h: HookPlan, pid: number): void {
  const state = hookState(h.state, 'creating', pid);
  runHooks('prestart', h.hooks, state);
  runHooks('createRuntime', h.hooks, state);
}

/** after delete: the poststop hooks, whose failures only warn */
function poststop(s: State): void {
  if (s.hooks?.poststop.length) runHooks('poststop', { ...noHooks(), poststop: s.hooks.poststop }, hookState(s, 'stopped', 0), true);
}

/** SIGKILL the init if it lives, and wait (up to 10 s) until it is gone. */
function killInit(d: Dir, s: State): void {
  if (s.pid === undefined) {
    const pid = d.initPid();
    const st = pid === undefined ? undefined : procStat(pid);
    if (!pid || !st) return;
    s.pid = pid;
    s.startTime = st.startTime;
  }
  if (d.status(s).status === 'stopped') return;
  // through a pidfd of the process that started then: not one that took its PID since
  if (addon().pidfdSignal(s.pid, s.startTime ?? '', 9) < 0) return;
  const end = Date.now() + 10_000;
  while (d.status(s).status !== 'stopped' && Date.now() < end) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
}

async function run(c: Command): Promise<number> {
  const id = theId(c);
  if (c.o.has('detach')) {
    // run -d: create and start, and leave it
    const status = await create(c);
    return status || start({ ...c, name: 'start', operands: [id] });
  }
  const p = prepare(c, id, true);
  if ('print' in p) return out(p.print);
  const { d, s, steps, passed, hooks } = p;
  // the executor's parent forwards SIGINT and SIGTERM to the init; others we pass on to it
  const ended = launch({
    steps, argv: c.argv, passed, captureStderr: false, forward: true,
    onHooks: hooks?.fd === undefined ? undefined : (pid) => runtimeHooks(hooks, pid),
    onStarted: hooks?.startedFd === undefined ? undefined : () => runHooks('poststart', hooks.hooks, hookState(hooks.state, 'running', d.initPid() ?? 0)),
  });
  // `state` and `kill` of it from elsewhere meanwhile
  d.unlock();
  const { status, error } = await ended;
  if (!c.o.has('keep')) {
    d.lock();
    killInit(d, s);
    removeCgroups(s.cgroups ?? []);
    d.remove();
    poststop(s);
  }
  if (error) throw error;
  return status;
}

function start(c: Command): number {
  const id = theId(c);
  const d = new Dir(c.g.root, id);
  d.lock();
  const s = d.read();
  const { status } = d.status(s);
  if (status === 'running') throw new ToolError('cannot start an already running container');
  if (status === 'stopped') throw new ToolError('cannot start a container that has stopped');
  if (status !== 'created') throw new ToolError(`cannot start a container in state ${status}`);
  let fd: number;
  try {
    // a reader waits there unless the init is gone (ENXIO)
    fd = fs.openSync(d.fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENXIO') throw new ToolError('cannot start a container that has stopped');
    throw new ToolError(`cannot open ${d.fifo}: ${(e as Error).message}`);
  }
  fs.writeSync(fd, '0');
  fs.closeSync(fd);
  fs.unlinkSync(d.fifo);
  // poststart: a failure kills the container and fails start (runc's)
  if (s.hooks?.poststart.length) {
    try {
      runHooks('poststart', { ...noHooks(), poststart: s.hooks.poststart }, hookState(s, 'running', s.pid ?? 0));
    } catch (e) {
      killInit(d, s);
      throw e;
    }
  }
  return 0;
}

/** The process `exec` runs: --process's, or config.json's with the command
 * line's changes (runc's: -t, --cwd, -e appended, -u, -g, -c added to the
 * bounding, effective, permitted and ambient sets, --no-new-privs). */
function execProcess(c: Command, s: State): ReturnType<typeof parseProcess> {
  const file = c.o.get('process');
  let proc: Record<string, any>;
  if (typeof file === 'string') {
    try {
      proc = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ToolError(`--process ${file}: ${(e as Error).message}`);
    }
    return parseProcess(proc, s.rootfs);
  }
  if (c.operands.length < 2) throw new UsageError('"exec" requires a command (or --process)');
  try {
    proc = JSON.parse(fs.readFileSync(path.join(s.bundle, 'config.json'), 'utf8')).process ?? {};
  } catch (e) {
    throw new ToolError(`cannot read the container's config.json: ${(e as Error).message}`);
  }
  proc.args = c.operands.slice(1);
  proc.terminal = c.o.has('tty');
  const cwd = c.o.get('cwd');
  if (typeof cwd === 'string') proc.cwd = cwd;
  proc.env = [...(proc.env ?? []), ...(c.all.get('env') ?? [])];
  const user = c.o.get('user');
  if (typeof user === 'string') {
    const m = /^(\d+)(?::(\d+))?$/.exec(user);
    if (!m) throw new ToolError(`--user: expected uid[:gid], got '${user}'`);
    proc.user = { ...(proc.user ?? {}), uid: Number(m[1]), ...(m[2] === undefined ? {} : { gid: Number(m[2]) }) };
  }
  const gids = c.all.get('additional-gids');
  if (gids) proc.user = { ...(proc.user ?? {}), additionalGids: gids.flatMap((g) => g.split(',')).map(Number) };
  const caps = c.all.get('cap');
  if (caps) {
    proc.capabilities ??= {};
    for (const set of ['bounding', 'effective', 'permitted', 'ambient']) proc.capabilities[set] = [...new Set([...(proc.capabilities[set] ?? []), ...caps])];
  }
  if (c.o.has('no-new-privs')) proc.noNewPrivileges = true;
  return parseProcess(proc, s.rootfs);
}

/** The namespaces of the init that are not ours (those `exec` enters). */
function nsFlagsOf(pid: number): number {
  const types: [string, number][] = [['user', 0x10000000], ['mnt', 0x00020000], ['uts', 0x04000000], ['ipc', 0x08000000], ['net', 0x40000000], ['pid', 0x20000000], ['cgroup', 0x02000000]];
  return types.reduce((f, [t, flag]) => (fs.readlinkSync(`/proc/${pid}/ns/${t}`) === fs.readlinkSync(`/proc/self/ns/${t}`) ? f : f | flag), 0);
}

async function exec(c: Command): Promise<number> {
  const id = theId(c, Infinity);
  for (const key of ['process-label', 'apparmor', 'cgroup'] as const) if (c.o.has(key)) throw new ToolError(`--${key} is not supported by tsoci`);
  // runc's exec passes --preserve-fds on, not LISTEN_FDS
  const { passed } = passedFds(c.o.get('preserve-fds'), false);
  const fds = layout(passed);
  const d = new Dir(c.g.root, id);
  d.lock();
  const s = d.read();
  const { status, pid, startTime } = d.status(s);
  if (status === 'stopped' || !pid) throw new ToolError('cannot exec in a stopped container');
  if (status === 'paused' && !c.o.has('ignore-paused')) throw new ToolError('cannot exec in a paused container (use --ignore-paused to override)');
  const p = execProcess(c, s);
  const detach = c.o.has('detach');
  const socket = c.o.get('console-socket');
  if (p.terminal && detach && typeof socket !== 'string') throw new ToolError('cannot allocate tty if tsoci will detach without setting console socket');
  if (p.terminal && !detach) throw new ToolError('process.terminal: tsoci exec gives a terminal only with -d and --console-socket');
  if (!p.terminal && socket !== undefined) throw new ToolError('cannot use console socket if tsoci will not detach or allocate tty');
  const pidFile = c.o.get('pid-file');
  // with -d the executor writes the PID in the state directory, and we write --pid-file (no newline)
  const tmpName = `exec-${process.pid}.pid`;
  const where = {
    pid, startTime, nsFlags: nsFlagsOf(pid), cgroupProcs: (s.cgroupDirs ?? []).map((dir) => path.join(dir, fs.existsSync(path.join(dir, 'tasks')) ? 'tasks' : 'cgroup.procs')),
    pidDir: typeof pidFile === 'string' ? (detach ? d.dir : path.dirname(path.resolve(pidFile))) : undefined,
    pidName: typeof pidFile === 'string' ? (detach ? tmpName : path.basename(pidFile)) : undefined,
    detach, consoleSocket: typeof socket === 'string' ? path.resolve(socket) : undefined,
    callerStderr: detach ? fds.callerStderr : undefined, closeFrom: fds.closeFrom, seccomp: s.seccomp,
  };
  const steps = execPlan(p, where);
  if (c.o.has('dry-run')) return out(print(steps).join('\n') + '\n');
  d.unlock();
  if (detach) {
    const r = await launch({ steps, argv: c.argv, passed, captureStderr: true });
    if (r.status !== 0) throw new ToolError(r.said.at(-1) ?? `exec failed (exit status ${r.status})`);
    if (typeof pidFile === 'string') {
      const tmp = path.join(d.dir, tmpName);
      writePidFile(pidFile, Number(fs.readFileSync(tmp, 'utf8').trim()));
      fs.rmSync(tmp, { force: true });
    }
    return 0;
  }
  return (await launch({ steps, argv: c.argv, passed, captureStderr: false, forward: true })).status;
}

function state(c: Command): number {
  const d = new Dir(c.g.root, theId(c));
  d.lock();
  const s = d.read();
  return out(JSON.stringify(ociState(s, d.status(s)), null, 2));
}

/** "9", "KILL", "sigkill", "SIGKILL" → 9 (runc's parseSignal) */
function parseSignal(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : parseSignalName(text);
  if (n === undefined || n < 1 || n > 64) throw new ToolError(`unknown signal "${text}"`);
  return n;
}

/** Every process in the init's PID namespace (the init's view of "all"). */
function inPidNs(pid: number): number[] {
  const ns = fs.readlinkSync(`/proc/${pid}/ns/pid`);
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((p) => {
    try {
      return fs.readlinkSync(`/proc/${p}/ns/pid`) === ns;
    } catch {
      return false;
    }
  });
}

function kill(c: Command): number {
  const id = theId(c, 2);
  const sig = parseSignal(c.operands[1] ?? 'SIGTERM');
  const d = new Dir(c.g.root, id);
  d.lock();
  const s = d.read();
  const { status, pid, startTime } = d.status(s);
  if (status === 'stopped' || !pid) {
    if (c.o.has('all')) return 0;
    throw new ToolError('container not running');
  }
  // all: the container's cgroups (as runc), else its PID namespace of its own, else the init
  const targets = !c.o.has('all') ? [pid]
    : s.cgroupDirs?.length ? [...new Set([pid, ...s.cgroupDirs.flatMap((dir) => members(dir))])]
      : s.privatePid ? inPidNs(pid) : [pid];
  for (const p of targets) {
    if (p === pid) {
      // the init through a pidfd, if it is still the process status() saw
      const r = addon().pidfdSignal(pid, startTime ?? '', sig);
      if (r < 0 && r !== -errno.ESRCH) throw new ToolError(`kill(${p}, ${sig}): ${addon().strerror(-r)}`);
      continue;
    }
    try {
      process.kill(p, sig);
    } catch {
      // gone meanwhile
    }
  }
  return 0;
}

function del(c: Command): number {
  const id = theId(c);
  const d = new Dir(c.g.root, id);
  try {
    d.lock();
  } catch (e) {
    if (c.o.has('force')) return 0;
    throw e;
  }
  let s: State;
  try {
    s = d.read();
  } catch (e) {
    d.remove(); // a directory without a state: what a failed create left
    if (c.o.has('force')) return 0;
    throw e;
  }
  const { status } = d.status(s);
  if ((status === 'running' || status === 'paused') && !c.o.has('force')) throw new ToolError(`cannot delete container ${id} that is not stopped: ${status}`);
  if (status === 'paused') setFrozen(s.cgroupDirs ?? [], false);
  // created: its init waits for a start that will not come. "creating"
  // under the lock: a create that died before its init was set up
  killInit(d, s);
  if (!['stopped', 'creating'].includes(d.status(s).status)) throw new ToolError(`container ${id}: its init (PID ${s.pid}) did not die of SIGKILL`);
  removeCgroups(s.cgroups ?? []);
  d.remove();
  poststop(s);
  return 0;
}

function list(c: Command): number {
  const rows: Record<string, unknown>[] = [];
  let ids: string[] = [];
  try {
    ids = fs.readdirSync(c.g.root).sort();
  } catch {
    // no root yet: nothing made
  }
  for (const id of ids) {
    let d: Dir;
    try {
      d = new Dir(c.g.root, id);
    } catch {
      continue;
    }
    if (!d.exists()) continue;
    const s = d.read();
    const now = d.status(s);
    rows.push({ ...ociState(s, now), owner: s.owner });
  }
  const format = c.o.get('format') ?? 'table';
  if (c.o.has('quiet')) return out(rows.map((r) => `${r.id}\n`).join(''));
  if (format === 'json') return out(rows.length ? JSON.stringify(rows) + '\n' : 'null\n');
  if (format !== 'table') throw new UsageError(`invalid format option: ${format}`);
  const table = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...rows.map((r) => [r.id, r.pid, r.status, r.bundle, r.created, r.owner].map(String))];
  const widths = table[0].map((_, k) => Math.max(...table.map((row) => row[k].length)));
  return out(table.map((row) => row.map((x, k) => (k < row.length - 1 ? x.padEnd(widths[k] + 3) : x)).join('')).join('\n') + '\n');
}

function pause(c: Command): number {
  const d = new Dir(c.g.root, theId(c));
  d.lock();
  const s = d.read();
  const { status } = d.status(s);
  if (status !== 'running' && status !== 'created') throw new ToolError('container not running');
  setFrozen(s.cgroupDirs ?? [], true);
  return 0;
}

function resume(c: Command): number {
  const d = new Dir(c.g.root, theId(c));
  d.lock();
  const s = d.read();
  if (d.status(s).status !== 'paused') throw new ToolError('container not paused');
  setFrozen(s.cgroupDirs ?? [], false);
  return 0;
}

/** runc's events: a stats line (--stats: one), every --interval, and an
 * "oom" line when the OOM killer struck, until the container stops */
async function events(c: Command): Promise<number> {
  const id = theId(c);
  const every = interval(typeof c.o.get('interval') === 'string' ? (c.o.get('interval') as string) : '5s');
  const d = new Dir(c.g.root, id);
  d.lock();
  const s = d.read();
  d.unlock();
  const dirs = s.cgroupDirs ?? [];
  if (d.status(s).status === 'stopped') throw new ToolError('container not running');
  if (!dirs.length) throw new ToolError('the container has no cgroups to report on (tsoci makes them when linux.resources or linux.cgroupsPath is given)');
  if (c.o.has('stats')) return out(statsLine(id, dirs));
  let ooms = oomKills(dirs);
  for (;;) {
    const now = oomKills(dirs);
    if (now > ooms) fs.writeSync(1, JSON.stringify({ type: 'oom', id }) + '\n');
    ooms = now;
    if (d.status(s).status === 'stopped') return 0;
    fs.writeSync(1, statsLine(id, dirs));
    await new Promise((r) => setTimeout(r, every));
  }
}

function update(c: Command): number {
  const d = new Dir(c.g.root, theId(c));
  d.lock();
  const s = d.read();
  if (d.status(s).status === 'stopped') throw new ToolError('cannot update a stopped container');
  const file = c.o.get('resources');
  updateCgroups(s.cgroupDirs ?? [], resourcesFrom(typeof file === 'string' ? file : undefined, c.o), s.id);
  return 0;
}

/** runc's ps: json, the PIDs (null for none); table, ps's lines of them */
function ps(c: Command): number {
  const id = theId(c, Infinity);
  const d = new Dir(c.g.root, id);
  d.lock();
  const s = d.read();
  const { pid } = d.status(s);
  // no cgroups of its own: its PID namespace's, else the init alone
  const pids = s.cgroupDirs?.length ? cgroupPids(s.cgroupDirs) : !pid ? [] : s.privatePid ? inPidNs(pid) : [pid];
  const format = c.o.get('format') ?? 'table';
  if (format === 'json') return out(pids.length ? JSON.stringify(pids) + '\n' : 'null\n');
  if (format !== 'table') throw new UsageError(`invalid format option: ${format}`);
  return out(psTable(pids, c.operands.slice(1)));
}

function spec(c: Command): number {
  const dir = path.resolve(typeof c.o.get('bundle') === 'string' ? (c.o.get('bundle') as string) : '.');
  const file = path.join(dir, 'config.json');
  if (fs.existsSync(file)) throw new ToolError('File config.json exists. Remove it first');
  fs.writeFileSync(file, JSON.stringify(defaultSpec(SPEC_VERSION, c.o.has('rootless')), null, '\t') + '\n');
  return 0;
}

/** argv → the command's exit status; what it prints is in the returned text. */
export async function main(argv: string[]): Promise<{ status: number; stdout: string; g?: Globals }> {
  stdoutText = '';
  let g: Globals | undefined;
  try {
    const parsed = parseGlobals(argv);
    g = parsed.g;
    if (parsed.print) return { status: 0, stdout: parsed.print };
    const [name, ...words] = parsed.rest;
    if (!name) throw new UsageError('no command given');
    const command = COMMANDS[name];
    if (!command) {
      if (['checkpoint', 'restore'].includes(name)) throw new ToolError(`${name} is not supported by tsoci`);
      throw new UsageError(`unknown command '${name}'`);
    }
    const { o, all, operands } = parseCommand(words, command.options, name === 'exec' || name === 'ps');
    if (g.debug) logRecord(g, 'debug', `tsoci ${argv.join(' ')}`);
    const status = await command.run({ g, name, o, all, operands, argv });
    return { status, stdout: stdoutText, g };
  } catch (e) {
    const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
    if (g) logRecord(g, 'error', message);
    const hint = (e as UsageError).usage ? " (try 'tsoci --help')" : '';
    process.stderr.write(encodeBytes(`tsoci: ${message}${hint}\n`));
    return { status: e instanceof ToolError ? e.status : 1, stdout: stdoutText, g };
  }
}

export { NOT_FOUND };
