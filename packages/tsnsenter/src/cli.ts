// tsnsenter's command line: the options table, the usage text, and argv →
// validated NsenterOptions. Nothing here changes the system.
import fs = require('fs');
import path = require('path');
import {
  addon, callerEnv as defaultEnv, Checks, envTable, getopt, nulWords, readProcBytes, mustBeDirectory, numericId, print, program, readMountinfo, readProc,
  ToolError, UsageError, NAMESPACES,
  type NsType, type Option, type Link, type Outcome, type Program, type Tool,
  STANDARD_OPTIONS, helpOrVersion,
} from 'tscontainer-core';
import { plan } from './plan';

export const OPTIONS: Option[] = [
  { key: 'target', short: 't', long: 'target', arg: 'required' },
  { key: 'all', short: 'a', long: 'all', arg: 'none' },
  // unlike unshare, nsenter takes FILE on the short form too: -m/path
  ...NAMESPACES.map((ns) => ({ key: ns.type, short: ns.short, long: ns.long, arg: 'optional' as const })),
  { key: 'net-socket', short: 'N', long: 'net-socket', arg: 'required' },
  { key: 'user-parent', long: 'user-parent', arg: 'none' },
  { key: 'setuid', short: 'S', long: 'setuid', arg: 'required' },
  { key: 'setgid', short: 'G', long: 'setgid', arg: 'required' },
  { key: 'preserve-credentials', long: 'preserve-credentials', arg: 'none' },
  { key: 'keep-caps', long: 'keep-caps', arg: 'none' },
  { key: 'root', short: 'r', long: 'root', arg: 'optional' },
  { key: 'wd', short: 'w', long: 'wd', arg: 'optional' },
  { key: 'wdns', short: 'W', long: 'wdns', arg: 'optional' },
  { key: 'env', short: 'e', long: 'env', arg: 'none' },
  { key: 'no-fork', short: 'F', long: 'no-fork', arg: 'none' },
  { key: 'join-cgroup', short: 'c', long: 'join-cgroup', arg: 'none' },
  { key: 'follow-context', short: 'Z', long: 'follow-context', arg: 'none' },
  ...STANDARD_OPTIONS,
];

export const USAGE = `
Usage:
 tsnsenter [options] [<program> [<argument>...]]

Run a program with namespaces of other processes.
Without a program, run $SHELL (or the user's shell) as a login shell.

Options:
 -a, --all                 enter all namespaces
 -t, --target <pid>[:<inode>]
                           target process to get namespaces from; with :<inode>,
                             only if its pidfd has that inode (no recycled PID:
                             tsunshare --pid-file FILE --pid-inode writes it)
 -m, --mount[=<file>]      enter mount namespace
 -u, --uts[=<file>]        enter UTS namespace (hostname etc)
 -i, --ipc[=<file>]        enter System V IPC namespace
 -n, --net[=<file>]        enter network namespace
 -N, --net-socket <fd>     enter socket's network namespace (use with --target)
 -p, --pid[=<file>]        enter pid namespace
 -C, --cgroup[=<file>]     enter cgroup namespace
 -U, --user[=<file>]       enter user namespace
     --user-parent         enter parent user namespace
 -T, --time[=<file>]       enter time namespace
 -S, --setuid[=<uid>|follow]
                           set uid in entered namespace
 -G, --setgid[=<gid>|follow]
                           set gid in entered namespace
     --preserve-credentials do not touch uids or gids
     --keep-caps           retain capabilities granted in user namespaces
 -r, --root[=<dir>]        set the root directory
 -w, --wd[=<dir>]          set the working directory (opened before entering)
 -W, --wdns[=<dir>]        set the working directory in the entered namespaces
 -e, --env                 inherit environment variables from target process
 -F, --no-fork             do not fork before exec'ing <program>
 -c, --join-cgroup         join the cgroup (v2) of the target process
 -Z, --follow-context      SELinux: not supported by tsnsenter

     --dry-run             print the system calls, in order, and change nothing
 -h, --help                display this help
 -V, --version             display version
`;

/** Where a namespace comes from: the target (through its pidfd) or a file. */
export type NsSource = { from: 'target' } | { from: 'file'; path: string };

export interface NsenterOptions {
  target?: { pid: number; ino?: bigint };
  namespaces: Map<NsType, NsSource>;
  netSocket?: number;
  /** enter the parent (or owning) user namespace instead */
  userParent: boolean;
  setuid?: number;
  setgid?: number;
  preserveCredentials: boolean;
  keepCaps: boolean;
  /** directories: opened before entering (root, wd) or after (wdns) */
  root?: string;
  wd?: string;
  wdns?: string;
  noFork: boolean;
  /** the cgroup.procs file of the target's cgroup v2 */
  joinCgroup?: string;
  env: string[];
  /** the environment the caller gave; with -e, the target whose env replaces it */
  callerEnv: string[];
  envFrom?: number;
  program: Program;
}

/** the kernel's limits: PID_MAX_LIMIT, a 64-bit inode, an int fd */
const PID_MAX = 4194304;
const INO_MAX = 0xffffffffffffffffn;
const FD_MAX = 2147483647;

function parseTarget(text: string): { pid: number; ino?: bigint } {
  const m = /^([1-9]\d*)(?::(\d+))?$/.exec(text);
  if (!m || Number(m[1]) > PID_MAX) throw new ToolError(`failed to parse pid: '${text}'`);
  const ino = m[2] === undefined ? undefined : BigInt(m[2]);
  if (ino !== undefined && ino > INO_MAX) throw new ToolError(`failed to parse inode: '${m[2]}' (at most ${INO_MAX})`);
  return { pid: Number(m[1]), ino };
}

/** The id a -S/-G value names: a number, or "follow" the owner of /proc/PID. */
function credential(value: string, what: 'uid' | 'gid', pid: number | undefined): number {
  if (value !== 'follow') return numericId(value, what);
  if (pid === undefined) throw new ToolError(`--set${what} follow needs --target`);
  if (!fs.existsSync(`/proc/${pid}`)) throw new ToolError(`no process ${pid}`);
  const st = fs.statSync(`/proc/${pid}`);
  return what === 'uid' ? st.uid : st.gid;
}

/** The target's cgroup v2 directory's cgroup.procs, as we see it. */
function cgroupProcs(pid: number): string {
  const line = readProc(pid, 'cgroup').split('\n').find((l) => l.startsWith('0::'));
  const mount = readMountinfo().find((m) => m.fstype === 'cgroup2');
  if (!line || !mount) throw new ToolError('--join-cgroup is only supported in cgroup v2');
  return path.join(mount.point, line.slice(3), 'cgroup.procs');
}

const nsIno = (pid: number | 'self', type: string) => fs.statSync(`/proc/${pid}/ns/${type}`).ino;

export function parse(argv: string[], callerEnv: string[] = defaultEnv()): NsenterOptions | { print: string; problems?: string[] } {
  const { options, operands } = getopt(argv, OPTIONS);
  const o: NsenterOptions = {
    namespaces: new Map(), userParent: false, preserveCredentials: false, keepCaps: false,
    noFork: false, env: [], callerEnv, program: { file: '', argv: [] },
  };
  let all = false;
  let joinCgroup = false;
  let copyEnv = false;
  let setuid: string | undefined;
  let setgid: string | undefined;
  let root: string | true | undefined;
  let wd: string | true | undefined;
  let wdns: string | true | undefined;

  for (const { key, value, as } of options) {
    switch (key) {
      case 'help': case 'version': return helpOrVersion(key, 'tsnsenter', USAGE, require('../package.json').version);
      case 'target':
        if (o.target) throw new ToolError('--target may be given only once');
        o.target = parseTarget(value!);
        break;
      case 'all': all = true; break;
      case 'mnt': case 'uts': case 'ipc': case 'net': case 'pid': case 'user': case 'cgroup': case 'time':
        o.namespaces.set(key, value ? { from: 'file', path: path.resolve(value) } : { from: 'target' });
        break;
      case 'net-socket':
        if (!/^\d+$/.test(value!) || Number(value) > FD_MAX) throw new ToolError(`failed to parse file descriptor: '${value}'`);
        o.netSocket = Number(value);
        break;
      case 'user-parent': o.userParent = true; break;
      case 'setuid': setuid = value; break;
      case 'setgid': setgid = value; break;
      case 'preserve-credentials': o.preserveCredentials = true; break;
      case 'keep-caps': o.keepCaps = true; break;
      case 'root': root = value || true; break;
      case 'wd': wd = value || true; break;
      case 'wdns': wdns = value || true; break;
      case 'env': copyEnv = true; break;
      case 'no-fork': o.noFork = true; break;
      case 'join-cgroup': joinCgroup = true; break;
      case 'follow-context':
        throw new ToolError('--follow-context is not supported: tsnsenter has no SELinux support');
      case 'dry-run': break;
      default: throw new UsageError(`unhandled option ${as}`);
    }
  }
  const dryRun = options.some((x) => x.key === 'dry-run');
  const pid = o.target?.pid;
  const needsTarget = (what: string) => {
    if (pid === undefined) throw new ToolError(`no target PID specified for ${what}`);
    return pid;
  };

  if (wd !== undefined && wdns !== undefined) throw new ToolError('mutually exclusive arguments: --wdns --wd');
  if (pid !== undefined && !fs.existsSync(`/proc/${pid}`)) throw new ToolError(`no process ${pid}`);

  if (all) {
    const target = needsTarget('--all');
    for (const ns of NAMESPACES) {
      if (o.namespaces.has(ns.type) || !fs.existsSync(`/proc/self/ns/${ns.type}`)) continue;
      // setns() into one's own user namespace fails: skip it, as util-linux does
      if (ns.type === 'user' && nsIno(target, 'user') === nsIno('self', 'user')) continue;
      o.namespaces.set(ns.type, { from: 'target' });
    }
  }
  if (o.netSocket !== undefined) {
    needsTarget('--net-socket');
    if (o.namespaces.get('net')?.from === 'file') throw new ToolError('--net-socket and --net=<file> are mutually exclusive');
    o.namespaces.delete('net');
  }
  if (o.namespaces.size === 0 && o.netSocket === undefined) throw new UsageError('no namespace specified');
  if (o.userParent && o.namespaces.size === 0) throw new ToolError('--user-parent needs a namespace to find the user namespace from');

  // every namespace file must be a namespace of the named type (a dry run
  // says a missing one after its plan)
  const checks = new Checks(dryRun);
  for (const [type, source] of o.namespaces) {
    const long = NAMESPACES.find((n) => n.type === type)!.long;
    if (source.from === 'target') {
      needsTarget(`--${long}`);
      continue;
    }
    const found = addon().nsType(source.path);
    const expected = NAMESPACES.find((n) => n.type === type)!.flag;
    if (found < 0 && found !== -25) {
      checks.problem(`cannot open ${source.path}: ${addon().strerror(-found)}`);
      continue;
    }
    if (found !== expected) {
      const actual = NAMESPACES.find((n) => n.flag === found);
      throw new ToolError(`${source.path} is not a ${type} namespace${actual ? ` (it is a ${actual.type} namespace)` : ''}`);
    }
  }

  if (root !== undefined) o.root = root === true ? `/proc/${needsTarget('--root')}/root` : root;
  if (wd !== undefined) o.wd = wd === true ? `/proc/${needsTarget('--wd')}/cwd` : wd;
  // the target's directory is a path of the container's: it means
  // something only inside its mount namespace
  if (wdns === true && !o.namespaces.has('mnt')) throw new ToolError('--wdns without a directory needs --mount: the target\'s directory is a path in its mount namespace');
  if (wdns !== undefined) o.wdns = wdns === true ? fs.readlinkSync(`/proc/${needsTarget('--wdns')}/cwd`) : wdns;
  if (o.root) checks.check(() => mustBeDirectory(o.root!, `cannot open ${o.root}`), undefined);
  if (o.wd) checks.check(() => mustBeDirectory(o.wd!, `cannot open ${o.wd}`), undefined);
  if (setuid !== undefined) o.setuid = credential(setuid, 'uid', pid);
  if (setgid !== undefined) o.setgid = credential(setgid, 'gid', pid);
  if (joinCgroup) o.joinCgroup = cgroupProcs(needsTarget('--join-cgroup'));

  // the target's environment is the container's: data for the program's
  // exec, never this process's (see tscore-exec's environ step)
  // The target's environment steers the program's loader (LD_PRELOAD,
  // LD_LIBRARY_PATH...) and PATH: outside the target's mount namespace the
  // program would be a host binary, run as we are, under the container's
  // control. util-linux allows it; we refuse it.
  if (copyEnv && !o.namespaces.has('mnt'))
    throw new ToolError('--env needs --mount: the target\'s environment would steer a program of the host\'s files (LD_PRELOAD, PATH)');
  const targetEnv = copyEnv ? nulWords(readProcBytes(needsTarget('--env'), 'environ')) : undefined;
  o.env = targetEnv ?? callerEnv;
  if (targetEnv) o.envFrom = pid;
  // with --env the program, or the shell, comes from the target's environment
  o.program = program(operands, envTable(o.env), process.getuid!());
  return dryRun ? { print: print(plan(o, process.pid)).join('\n') + '\n', problems: checks.problems } : o;
}

export const tsnsenter: Tool = {
  name: 'tsnsenter',
  plan(argv: string[], link?: Link): Outcome {
    const o = parse(argv, link?.env);
    if ('print' in o) return o;
    // the next link plans inside the namespaces entered: never folded
    return { steps: plan(o, process.pid), env: o.env, foldable: false };
  },
};
