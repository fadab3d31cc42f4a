// tsreexec: the in-container init step, run as the program of
// `tsunshare ... --fork`, in the new namespaces. Its options, the usage text,
// and argv → validated ReexecOptions; nothing here changes the system.
import path = require('path');
import {
  ALL_CAPS, callerEnv, Checks, envTable, getopt, mustExist, numericId, parseCaps, print, program,
  ToolError, UsageError, type Option, type Link, type Outcome, type Program, type Tool,
  STANDARD_OPTIONS, helpOrVersion,
} from 'tscontainer-core';
import { plan } from './plan';

export const OPTIONS: Option[] = [
  { key: 'wait', long: 'wait', arg: 'required' },
  { key: 'hostname', long: 'hostname', arg: 'required' },
  { key: 'domainname', long: 'domainname', arg: 'required' },
  { key: 'rootfs', long: 'rootfs', arg: 'required' },
  { key: 'ro-root', long: 'ro-root', arg: 'none' },
  { key: 'proc', long: 'proc', arg: 'none' },
  { key: 'sys', long: 'sys', arg: 'none' },
  { key: 'dev', long: 'dev', arg: 'none' },
  { key: 'tmpfs', long: 'tmpfs', arg: 'required' },
  { key: 'bind', long: 'bind', arg: 'required' },
  { key: 'ro-bind', long: 'ro-bind', arg: 'required' },
  { key: 'lo-up', long: 'lo-up', arg: 'none' },
  { key: 'uid', long: 'uid', arg: 'required' },
  { key: 'gid', long: 'gid', arg: 'required' },
  { key: 'groups', long: 'groups', arg: 'required' },
  { key: 'cap-drop', long: 'cap-drop', arg: 'required' },
  { key: 'cap-add', long: 'cap-add', arg: 'required' },
  { key: 'no-new-privs', long: 'no-new-privs', arg: 'none' },
  { key: 'chdir', long: 'chdir', arg: 'required' },
  { key: 'env', long: 'env', arg: 'required' },
  { key: 'clear-env', long: 'clear-env', arg: 'none' },
  { key: 'die-with-parent', long: 'die-with-parent', arg: 'none' },
  { key: 'init', long: 'init', arg: 'none' },
  ...STANDARD_OPTIONS,
];

export const USAGE = `
Usage:
 tsreexec [options] [--] <program> [<argument>...]

The in-container init step: run as the program of tsunshare --fork, in the
new namespaces, it waits for the host side, sets the container up, and
becomes the program (or stays PID 1 and runs it). Steps run in this order:
wait, become root of the namespace, names, mounts, pivot_root, network,
credentials, capabilities, then the program.

Options:
     --wait <fd>|<fifo>     block until the host side writes one byte (the maps
                              are written, the network is ready); EOF means it
                              failed. Then become uid and gid 0 of the namespace
                              where they are mapped. After tsunshare -U --fork,
                              that needs tsunshare --keep-caps: until the maps
                              are written our uid is unmapped, and exec drops
                              an unmapped process's capabilities
     --hostname <name>      set the hostname (a UTS namespace)
     --domainname <name>    set the NIS domain name
     --rootfs <dir>         the new root: mounts made private, <dir> bound on
                              itself, pivot_root into it, the old root detached
     --ro-root              remount the new root read-only, last
     --proc                 a fresh /proc (for the new PID namespace)
     --sys                  a read-only /sys
     --dev                  a minimal /dev: null zero full random urandom tty,
                              pts (its own instance) and ptmx, shm, fd, stdin,
                              stdout, stderr
     --tmpfs <dir>          a tmpfs on <dir> (repeatable)
     --bind <src>:<dst>     bind <src> (the host's, resolved before the pivot)
                              on <dst> in the new root (repeatable)
     --ro-bind <src>:<dst>  the same, read-only (repeatable)
     --lo-up                bring the loopback interface up
     --uid <uid>            run the program as this user of the namespace
     --gid <gid>            ... and this group
     --groups <gid,...>     ... with these supplementary groups (default none)
     --cap-drop <caps>|all  drop capabilities (comma list: net_raw,CAP_SYS_ADMIN)
     --cap-add <caps>       keep or give these (after --cap-drop)
     --no-new-privs         set no_new_privs: exec gains no privileges
     --chdir <dir>          the working directory of the program
     --env <name>=<value>   set a variable (repeatable)
     --clear-env            start from an empty environment
     --die-with-parent      be killed (SIGKILL) when the parent dies
     --init                 stay as PID 1: run the program as a child, pass
                              signals on, reap every zombie, exit with its status
     --dry-run              print the system calls, in order, and change nothing
 -h, --help                 display this help
 -V, --version              display version
`;

export interface Bind {
  source: string;
  target: string;
  readOnly: boolean;
  dir: boolean;
}

export interface ReexecOptions {
  wait?: { fd: number } | { path: string };
  hostname?: string;
  domainname?: string;
  rootfs?: string;
  roRoot: boolean;
  proc: boolean;
  sys: boolean;
  dev: boolean;
  /** tmpfs and bind mounts, in the order given */
  mounts: ({ tmpfs: string } | Bind)[];
  loUp: boolean;
  uid?: number;
  gid?: number;
  groups?: number[];
  /** the capabilities the program keeps, where any were named */
  caps?: bigint;
  noNewPrivs: boolean;
  chdir?: string;
  env: string[];
  /** the environment the caller gave, which env may differ from */
  callerEnv: string[];
  dieWithParent: boolean;
  init: boolean;
  /** a dry run's refusals, said after its plan */
  problems: string[];
  program: Program;
  dryRun: boolean;
}

/** A path inside the container: absolute, no "..", so it cannot climb out. */
function innerPath(p: string, option: string): string {
  if (!path.isAbsolute(p)) throw new ToolError(`${option}: '${p}' is not an absolute path`);
  if (p.split('/').includes('..')) throw new ToolError(`${option}: '${p}' may not contain '..'`);
  return path.normalize(p);
}

function parseBind(text: string, option: string, readOnly: boolean, checks: Checks): Bind {
  const at = text.indexOf(':');
  if (at <= 0 || at === text.length - 1) throw new ToolError(`${option}: expected <src>:<dst>, got '${text}'`);
  const source = path.resolve(text.slice(0, at));
  const target = innerPath(text.slice(at + 1), option);
  const st = checks.check(() => mustExist(source, `${option}: cannot bind ${source}`), undefined);
  return { source, target, readOnly, dir: st?.isDirectory() ?? true };
}

export function parse(argv: string[], env: string[] = callerEnv()): ReexecOptions | { print: string } {
  const { options, operands } = getopt(argv, OPTIONS);
  const o: ReexecOptions = {
    roRoot: false, proc: false, sys: false, dev: false, mounts: [], loUp: false, noNewPrivs: false,
    env: [], callerEnv: env, dieWithParent: false, init: false, problems: [], dryRun: false, program: { file: '', argv: [] },
  };
  let clearEnv = false;
  const setEnv: string[] = [];
  let drop = 0n;
  let add = 0n;
  let capsNamed = false;
  // a dry run says a missing file after its plan
  const checks = new Checks(options.some((x) => x.key === 'dry-run'));
  for (const { key, value, as } of options) {
    switch (key) {
      case 'help': case 'version': return helpOrVersion(key, 'tsreexec', USAGE, require('../package.json').version);
      case 'wait':
        o.wait = /^\d+$/.test(value!) ? { fd: numericId(value!, 'file descriptor') } : { path: path.resolve(value!) };
        break;
      case 'hostname': o.hostname = value; break;
      case 'domainname': o.domainname = value; break;
      case 'rootfs': o.rootfs = path.resolve(value!); break;
      case 'ro-root': o.roRoot = true; break;
      case 'proc': o.proc = true; break;
      case 'sys': o.sys = true; break;
      case 'dev': o.dev = true; break;
      case 'tmpfs': o.mounts.push({ tmpfs: innerPath(value!, as) }); break;
      case 'bind': case 'ro-bind': o.mounts.push(parseBind(value!, as, key === 'ro-bind', checks)); break;
      case 'lo-up': o.loUp = true; break;
      case 'uid': o.uid = numericId(value!, 'uid'); break;
      case 'gid': o.gid = numericId(value!, 'gid'); break;
      case 'groups': o.groups = value!.split(',').filter(Boolean).map((g) => numericId(g, 'gid')); break;
      case 'cap-drop': drop |= parseCaps(value!, as); capsNamed = true; break;
      case 'cap-add': add |= parseCaps(value!, as); capsNamed = true; break;
      case 'no-new-privs': o.noNewPrivs = true; break;
      case 'chdir': o.chdir = value; break;
      case 'env':
        if (!/^[^=]+=/.test(value!)) throw new ToolError(`--env: expected <name>=<value>, got '${value}'`);
        setEnv.push(value!);
        break;
      case 'clear-env': clearEnv = true; break;
      case 'die-with-parent': o.dieWithParent = true; break;
      case 'init': o.init = true; break;
      case 'dry-run': o.dryRun = true; break;
      default: throw new UsageError(`unhandled option ${as}`);
    }
  }
  if (!operands.length) throw new UsageError('no program given');
  if (o.roRoot && !o.rootfs) throw new ToolError('--ro-root needs --rootfs');
  if (o.rootfs && checks.check(() => mustExist(o.rootfs!, `cannot use ${o.rootfs} as the root`), undefined)?.isDirectory() === false)
    checks.problem(`cannot use ${o.rootfs} as the root: Not a directory`);
  o.problems = checks.problems;
  if (capsNamed) o.caps = (ALL_CAPS & ~drop) | add;
  // --env replaces a variable of the same name; the rest keep their order
  const names = new Set(setEnv.map((kv) => kv.slice(0, kv.indexOf('='))));
  o.env = [...(clearEnv ? [] : env).filter((kv) => !names.has(kv.slice(0, kv.indexOf('=')))), ...setEnv];
  o.program = program(operands, envTable(o.env), process.getuid!());
  return o;
}

export const tsreexec: Tool = {
  name: 'tsreexec',
  plan(argv: string[], link?: Link): Outcome {
    const o = parse(argv, link?.env);
    if ('print' in o) return o;
    const steps = plan(o);
    if (o.dryRun) return { print: print(steps).join('\n') + '\n', problems: o.problems };
    // the program starts in the new root, after the pivot: not folded
    return { steps, env: o.env, foldable: false };
  },
};
