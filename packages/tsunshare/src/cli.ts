// tsunshare's command line: the options table, the usage text, and argv →
// validated UnshareOptions. Nothing here changes the system.
import path = require('path');
import {
  getopt, parseMapSpec, numericId, parseSignalName, program, uidOf, gidOf,
  callerEnv as defaultEnv, Checks, envTable, mountOf, mustBeDirectory, mustExist, print, ToolError, UsageError, MS, NAMESPACES,
  type IdRange, type NsType, type Option, type Link, type Outcome, type Planned, type Program, type Tool,
  STANDARD_OPTIONS, helpOrVersion,
  MAP_OPTIONS,
} from 'tscontainer-core';
import { plan } from './plan';

const nsOptions: Option[] = NAMESPACES.flatMap((ns) => [
  // util-linux takes FILE only on the long form: -m is a plain flag
  { key: ns.type, short: ns.short, arg: 'none' as const },
  { key: ns.type, long: ns.long, arg: 'optional' as const },
]);

export const OPTIONS: Option[] = [
  ...nsOptions,
  { key: 'fork', short: 'f', long: 'fork', arg: 'none' },
  { key: 'kill-child', long: 'kill-child', arg: 'optional' },
  { key: 'forward-signals', long: 'forward-signals', arg: 'none' },
  { key: 'mount-proc', long: 'mount-proc', arg: 'optional' },
  { key: 'propagation', long: 'propagation', arg: 'required' },
  ...MAP_OPTIONS,
  { key: 'map-auto', long: 'map-auto', arg: 'none' },
  { key: 'map-subids', long: 'map-subids', arg: 'none' },
  { key: 'owner', long: 'owner', arg: 'required' },
  { key: 'setgroups', long: 'setgroups', arg: 'required' },
  { key: 'keep-caps', long: 'keep-caps', arg: 'none' },
  { key: 'root', short: 'R', long: 'root', arg: 'required' },
  { key: 'wd', short: 'w', long: 'wd', arg: 'required' },
  { key: 'setuid', short: 'S', long: 'setuid', arg: 'required' },
  { key: 'setgid', short: 'G', long: 'setgid', arg: 'required' },
  { key: 'monotonic', long: 'monotonic', arg: 'required' },
  { key: 'boottime', long: 'boottime', arg: 'required' },
  { key: 'clear-env', long: 'clear-env', arg: 'none' },
  { key: 'whitelist-env', long: 'whitelist-env', arg: 'required' },
  { key: 'pid-file', long: 'pid-file', arg: 'required' },
  { key: 'pid-inode', long: 'pid-inode', arg: 'none' },
  ...STANDARD_OPTIONS,
];

export const USAGE = `
Usage:
 tsunshare [options] [<program> [<argument>...]]

Run a program with some namespaces unshared from the parent.
Without a program, run $SHELL (or the user's shell) as a login shell.

Options:
 -m, --mount[=<file>]      unshare mounts namespace
 -u, --uts[=<file>]        unshare UTS namespace (hostname etc)
 -i, --ipc[=<file>]        unshare System V IPC namespace
 -n, --net[=<file>]        unshare network namespace
 -p, --pid[=<file>]        unshare pid namespace
 -U, --user[=<file>]       unshare user namespace
 -C, --cgroup[=<file>]     unshare cgroup namespace
 -T, --time[=<file>]       unshare time namespace
                             (=<file> keeps the namespace alive, bound on <file>;
                             umount <file> && rm <file> lets it go)

 -f, --fork                fork before launching <program>
 --kill-child[=<signame>]  when dying, kill the forked child (implies --fork);
                             the default signal is SIGKILL
 --forward-signals         forward SIGINT and SIGTERM to the child (implies --fork)
 --mount-proc[=<dir>]      mount proc filesystem first (implies --mount)
 --propagation slave|shared|private|unchanged
                           modify mount propagation in mount namespace
 -r, --map-root-user       map current user to root (implies --user)
 -c, --map-current-user    map current user to itself (implies --user)
 --map-user=<uid>|<name>   map current user to uid (implies --user)
 --map-group=<gid>|<name>  map current group to gid (implies --user)
 --map-users=<inneruid>:<outeruid>:<count>|auto|subids|all
                           map count users from outeruid to inneruid (implies --user)
 --map-groups=<innergid>:<outergid>:<count>|auto|subids|all
                           map count groups from outergid to innergid (implies --user)
 --map-auto                map users and groups automatically (implies --user)
 --map-subids              map users and groups to their subordinate ids (implies --user)
 --owner <uid>:<gid>       owner of the new user namespace (implies --user)
 --setgroups allow|deny    control the setgroups syscall in user namespaces
 --keep-caps               retain capabilities granted in user namespaces

 -R, --root=<dir>          run the command with root directory set to <dir>
 -w, --wd=<dir>            change working directory to <dir>
 -S, --setuid <uid>        set uid in entered namespace
 -G, --setgid <gid>        set gid in entered namespace
 --monotonic <offset>      set clock monotonic offset (seconds) in time namespaces
 --boottime <offset>       set clock boottime offset (seconds) in time namespaces
 --clear-env               clear the environment before running <program>
 --whitelist-env <list>    clear the environment but for these variables (comma list)

 --pid-file <file>         write the PID that runs <program> to <file> first
                             (atomically; a FIFO is written to, for \`read pid\`)
 --pid-inode               write PID:INODE instead, the inode of its pidfd: the
                             form tsnsenter -t takes to refuse a reused PID
 --dry-run                 print the system calls, in order, and change nothing

 -h, --help                display this help
 -V, --version             display version
`;

export type Propagation = 'private' | 'shared' | 'slave' | 'unchanged';
export const PROPAGATION_FLAGS: Record<Exclude<Propagation, 'unchanged'>, number> = {
  private: MS.REC | MS.PRIVATE,
  shared: MS.REC | MS.SHARED,
  slave: MS.REC | MS.SLAVE,
};

export interface UnshareOptions {
  /** the namespaces to unshare, each with its persistence file if any */
  namespaces: Map<NsType, string | undefined>;
  fork: boolean;
  killChild?: number;
  forwardSignals: boolean;
  mountProc?: string;
  propagation: Propagation;
  /** the ids the user's own euid/egid (or --owner's) maps to */
  mapUser?: number;
  mapGroup?: number;
  mapUsers: IdRange[];
  mapGroups: IdRange[];
  owner?: { uid: number; gid: number };
  setgroups?: 'allow' | 'deny';
  keepCaps: boolean;
  root?: string;
  wd?: string;
  setuid?: number;
  setgid?: number;
  monotonic?: bigint;
  boottime?: bigint;
  pidFile?: string;
  /** the pid file gets PID:INODE */
  pidInode: boolean;
  /** a dry run's refusals, said after its plan */
  problems: string[];
  dryRun: boolean;
  env: string[];
  /** the environment the caller gave, which env may differ from */
  callerEnv: string[];
  program: Program;
  /** the caller's effective ids, which single maps map from */
  euid: number;
  egid: number;
}

function parseOffset(text: string, what: string): bigint {
  if (!/^[+-]?\d+$/.test(text)) throw new ToolError(`failed to parse ${what} offset: '${text}'`);
  const n = BigInt(text);
  if (n < -(2n ** 63n) || n >= 2n ** 63n) throw new ToolError(`failed to parse ${what} offset: '${text}'`);
  return n;
}

export function parse(argv: string[], callerEnv: string[] = defaultEnv()): UnshareOptions | { print: string } {
  const { options, operands } = getopt(argv, OPTIONS);
  const euid = process.geteuid!();
  const egid = process.getegid!();
  const o: UnshareOptions = {
    namespaces: new Map(), fork: false, forwardSignals: false, propagation: 'private',
    mapUsers: [], mapGroups: [], keepCaps: false, pidInode: false, problems: [], dryRun: false, env: [], callerEnv,
    program: { file: '', argv: [] }, euid, egid,
  };
  let clearEnv = false;
  let whitelist: string[] | undefined;

  for (const { key, value, as } of options) {
    switch (key) {
      case 'help': case 'version': return helpOrVersion(key, 'tsunshare', USAGE, require('../package.json').version);
      case 'mnt': case 'uts': case 'ipc': case 'net': case 'pid': case 'user': case 'cgroup': case 'time':
        o.namespaces.set(key, value === undefined || value === '' ? o.namespaces.get(key) : path.resolve(value));
        break;
      case 'fork': o.fork = true; break;
      case 'kill-child': {
        const sig = value === undefined ? 9 : parseSignalName(value);
        if (sig === undefined) throw new ToolError(`unknown signal: ${value}`);
        o.killChild = sig;
        o.fork = true;
        break;
      }
      case 'forward-signals': o.forwardSignals = true; o.fork = true; break;
      case 'mount-proc':
        o.mountProc = value || '/proc';
        if (!o.namespaces.has('mnt')) o.namespaces.set('mnt', undefined);
        break;
      case 'propagation':
        if (!['private', 'shared', 'slave', 'unchanged'].includes(value!)) throw new ToolError(`unsupported propagation mode: ${value}`);
        o.propagation = value as Propagation;
        break;
      case 'map-root-user': o.mapUser = 0; o.mapGroup = 0; break;
      case 'map-current-user': o.mapUser = euid; o.mapGroup = egid; break;
      case 'map-user': o.mapUser = uidOf(value!); break;
      case 'map-group': o.mapGroup = gidOf(value!); break;
      case 'map-users': o.mapUsers.push(...parseMapSpec(value!, 'uid', euid)); break;
      case 'map-groups': o.mapGroups.push(...parseMapSpec(value!, 'gid', euid)); break;
      case 'map-auto': case 'map-subids': {
        const spec = key === 'map-auto' ? 'auto' : 'subids';
        o.mapUsers.push(...parseMapSpec(spec, 'uid', euid));
        o.mapGroups.push(...parseMapSpec(spec, 'gid', euid));
        break;
      }
      case 'owner': {
        const m = /^([^:]+):([^:]+)$/.exec(value!);
        if (!m) throw new ToolError(`failed to parse owner: '${value}' (expected <uid>:<gid>)`);
        o.owner = { uid: uidOf(m[1], 'owner uid'), gid: gidOf(m[2], 'owner gid') };
        break;
      }
      case 'setgroups':
        if (value !== 'allow' && value !== 'deny') throw new ToolError(`unsupported --setgroups argument '${value}'`);
        o.setgroups = value;
        break;
      case 'keep-caps': o.keepCaps = true; break;
      case 'root': o.root = value; break;
      case 'wd': o.wd = value; break;
      case 'setuid': o.setuid = numericId(value!, 'uid'); break;
      case 'setgid': o.setgid = numericId(value!, 'gid'); break;
      case 'monotonic': o.monotonic = parseOffset(value!, 'monotonic'); break;
      case 'boottime': o.boottime = parseOffset(value!, 'boottime'); break;
      case 'clear-env': clearEnv = true; break;
      case 'whitelist-env': whitelist = value!.split(',').filter(Boolean); break;
      case 'pid-file': o.pidFile = path.resolve(value!); break;
      case 'pid-inode': o.pidInode = true; break;
      case 'dry-run': o.dryRun = true; break;
      default: throw new UsageError(`unhandled option ${as}`);
    }
  }

  // implications, as util-linux has them
  const mapsIds = o.mapUser !== undefined || o.mapGroup !== undefined || o.mapUsers.length > 0 || o.mapGroups.length > 0;
  if ((mapsIds || o.owner) && !o.namespaces.has('user')) o.namespaces.set('user', undefined);
  if (o.mapGroup !== undefined && o.setgroups === 'allow')
    throw new ToolError('options --setgroups=allow and --map-group are mutually exclusive');
  if ((o.monotonic !== undefined || o.boottime !== undefined) && !o.namespaces.has('time'))
    throw new ToolError('options --monotonic and --boottime require unsharing of a time namespace (-T)');

  // refuse now what would fail halfway: nothing has been changed yet (a
  // dry run says a missing file after its plan)
  const checks = new Checks(o.dryRun);
  const check = <T>(f: () => T) => checks.check(f, undefined);
  for (const [type, file] of o.namespaces) {
    if (file === undefined) continue;
    if (!check(() => mustExist(file, `cannot keep the ${type} namespace on '${file}'`))) continue;
    if (type === 'pid' && !o.fork)
      throw new ToolError(`--pid=${file} needs --fork: a pid namespace has no process to keep it before the fork`);
    if (type === 'mnt' && mountOf(file)?.tags.some((t) => t.startsWith('shared:')))
      throw new ToolError(`cannot keep the mount namespace on '${file}': it is on a shared mount (make that mount private first)`);
  }
  if (o.root) check(() => mustBeDirectory(o.root!, `cannot change root directory to '${o.root}'`));
  const inRoot = (p: string) => (o.root ? path.join(o.root, p) : p);
  if (o.wd && (!o.root || path.isAbsolute(o.wd))) check(() => mustBeDirectory(inRoot(o.wd!), `cannot change directory to ${o.wd}`));
  if (o.mountProc)
    check(() => mustBeDirectory(inRoot(o.mountProc!), o.root ? `cannot mount proc on ${o.mountProc} inside the new root: ${inRoot(o.mountProc!)}` : `cannot mount proc on ${o.mountProc}`));
  if (o.pidInode && !o.pidFile) throw new ToolError('--pid-inode needs --pid-file');
  if (o.pidFile) check(() => mustBeDirectory(path.dirname(o.pidFile!), `cannot write the pid file ${o.pidFile}`));
  o.problems = checks.problems;

  const env = envTable(callerEnv);
  const kept = whitelist?.filter((k) => env[k] !== undefined).map((k) => `${k}=${env[k]}`);
  o.env = kept ?? (clearEnv ? [] : callerEnv);
  o.program = program(operands, env, process.getuid!());
  return o;
}

export const tsunshare: Tool = {
  name: 'tsunshare',
  plan(argv: string[], link?: Link): Outcome {
    const o = parse(argv, link?.env);
    if ('print' in o) return o;
    const steps = plan(o);
    const planned: Planned = {
      steps, env: o.env,
      // a new root or directory, or other credentials: the next link must
      // plan from there, as that user
      foldable: !o.root && !o.wd && o.setuid === undefined && o.setgid === undefined,
    };
    return o.dryRun ? { print: print(steps).join('\n') + '\n', problems: o.problems, plan: planned } : planned;
  },
};
