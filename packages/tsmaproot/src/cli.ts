// tsmaproot: the parent side of a container's user namespace. Write the uid
// and gid maps of a process that waits in a new user namespace (as shadow's
// newuidmap/newgidmap, spelled as unshare's --map-* options), then,
// optionally, exec a program.
import fs = require('fs');
import path = require('path');
import {
  addon, callerEnv, checkGranted, envTable, checkMap, getopt, gidOf, idMap, mustExist, parseMapSpec, print, program, uidOf,
  ToolError, UsageError, type IdRange, type Option, type Link, type Outcome, type Step, type Program, type Tool,
  STANDARD_OPTIONS, helpOrVersion,
  MAP_OPTIONS,
} from 'tscontainer-core';
import { plan } from './plan';

export const OPTIONS: Option[] = [
  ...MAP_OPTIONS,
  { key: 'setgroups', long: 'setgroups', arg: 'required' },
  { key: 'pid-file', long: 'pid-file', arg: 'required' },
  ...STANDARD_OPTIONS,
];

export const USAGE = `
Usage:
 tsmaproot [options] <pid>[:<inode>] [<program> [<argument>...]]
 tsmaproot [options] --pid-file <file> [<program> [<argument>...]]
 tsmaproot [options] tsunshare [<tsunshare option>...] [<program>...]

Write the uid and gid maps of a process in a new user namespace, from
outside it (the parent side of a container), then run the program, if any.
Given tsunshare instead of a PID, the maps are for the user namespace that
tsunshare creates: they become its own --map-* options.
As root any ranges are written; otherwise they must be your own id or lie in
what /etc/subuid and /etc/subgid grant you, and newuidmap/newgidmap write them.

Options:
 -r, --map-root-user        map root to your user and group (the default)
 -c, --map-current-user     map your user and group to themselves
     --map-user=<uid>|<name>
                            map this user to your user
     --map-group=<gid>|<name>
                            map this group to your group
     --map-users=<inner>:<outer>:<count>
                            map a range of users (repeatable; also auto, subids)
     --map-groups=<inner>:<outer>:<count>
                            map a range of groups (repeatable; also auto, subids)
     --setgroups allow|deny whether setgroups(2) is allowed in the namespace
     --pid-file <file>      read the PID from a file (a FIFO waits for its writer,
                              as written by tsunshare --fork --pid-file)
     --dry-run              print the system calls, in order, and change nothing
 -h, --help                 display this help
 -V, --version              display version
`;

export interface MaprootOptions {
  pid: number;
  /** the inode its pidfd must have (PID:INODE): a reused PID is refused */
  ino?: bigint;
  uidMap: IdRange[];
  gidMap: IdRange[];
  setgroups?: 'allow' | 'deny';
  /** write as root, or through newuidmap/newgidmap */
  privileged: boolean;
  program?: Program;
  dryRun: boolean;
}

/** PID, or PID:INODE (the inode of its pidfd, as tsunshare --pid-inode writes it) */
function parsePid(text: string, from: string): { pid: number; ino?: bigint } {
  const t = text.trim();
  const m = /^([1-9]\d{0,6})(?::(\d{1,20}))?$/.exec(t);
  if (!m || Number(m[1]) > 4194304) throw new ToolError(`failed to parse pid${from}: '${t}'`);
  return { pid: Number(m[1]), ino: m[2] === undefined ? undefined : BigInt(m[2]) };
}

/** The target must wait, maps unwritten, in a user namespace that ours owns. */
function checkTarget(pid: number): void {
  if (!fs.existsSync(`/proc/${pid}`)) throw new ToolError(`no process ${pid}`);
  const nsFile = `/proc/${pid}/ns/user`;
  const own = fs.statSync('/proc/self/ns/user').ino;
  if (fs.statSync(nsFile).ino === own) throw new ToolError(`process ${pid} is in our own user namespace, not a new one`);
  if (addon().userNsParent(nsFile) !== own) throw new ToolError(`process ${pid} is not in a user namespace that ours owns`);
  for (const kind of ['uid', 'gid']) {
    if (fs.readFileSync(`/proc/${pid}/${kind}_map`, 'utf8').trim())
      throw new ToolError(`the ${kind} map of process ${pid} is written already`);
  }
}

/** The chain form: tsunshare, with these maps as its own options. */
export interface MaprootChain {
  chain: Program;
  dryRun: boolean;
}

export function parse(argv: string[], env: string[] = callerEnv()): MaprootOptions | MaprootChain | { print: string } {
  const { options, operands } = getopt(argv, OPTIONS);
  const euid = process.geteuid!();
  const egid = process.getegid!();
  let mapUser: number | undefined;
  let mapGroup: number | undefined;
  const mapUsers: IdRange[] = [];
  const mapGroups: IdRange[] = [];
  let setgroups: 'allow' | 'deny' | undefined;
  let pidFile: string | undefined;
  let dryRun = false;
  for (const { key, value, as } of options) {
    switch (key) {
      case 'help': case 'version': return helpOrVersion(key, 'tsmaproot', USAGE, require('../package.json').version);
      case 'map-root-user': mapUser = 0; mapGroup = 0; break;
      case 'map-current-user': mapUser = euid; mapGroup = egid; break;
      case 'map-user': mapUser = uidOf(value!); break;
      case 'map-group': mapGroup = gidOf(value!); break;
      case 'map-users': mapUsers.push(...parseMapSpec(value!, 'uid', euid)); break;
      case 'map-groups': mapGroups.push(...parseMapSpec(value!, 'gid', euid)); break;
      case 'setgroups':
        if (value !== 'allow' && value !== 'deny') throw new ToolError(`unsupported --setgroups argument '${value}'`);
        setgroups = value;
        break;
      case 'pid-file': pidFile = value; break;
      case 'dry-run': dryRun = true; break;
      default: throw new UsageError(`unhandled option ${as}`);
    }
  }
  if (mapUser === undefined && mapGroup === undefined && !mapUsers.length && !mapGroups.length) {
    mapUser = 0; // -r is the default
    mapGroup = 0;
  }
  // The chain form, `tsmaproot [options] tsunshare ...`: no PID yet, the
  // maps are for the user namespace that tsunshare creates. They become its
  // own --map-* options (its helper writes them from the original
  // namespaces), so the chain means the same folded or not.
  if (pidFile === undefined && operands.length && !/^\d/.test(operands[0])) {
    if (path.basename(operands[0]) !== 'tsunshare')
      throw new UsageError(`expected a PID, or tsunshare (for the namespace it creates), not '${operands[0]}'`);
    const maps = options.filter((x) => x.key.startsWith('map-') || x.key === 'setgroups')
      .map((x) => (x.value === undefined ? `--${x.key}` : `--${x.key}=${x.value}`));
    const argv = [operands[0], ...(maps.length ? maps : ['--map-root-user']), ...operands.slice(1)];
    return { chain: { file: operands[0], argv }, dryRun };
  }
  let pid: { pid: number; ino?: bigint };
  if (pidFile !== undefined) {
    // a FIFO: read blocks until tsunshare has written it
    pid = parsePid(fs.readFileSync(mustExist(pidFile, `cannot read ${pidFile}`) && pidFile, 'utf8'), ` in ${pidFile}`);
  } else {
    if (!operands.length) throw new UsageError('no PID given');
    pid = parsePid(operands.shift()!, '');
  }
  const o: MaprootOptions = {
    ...pid, setgroups, dryRun, privileged: euid === 0,
    uidMap: idMap(mapUser, euid, mapUsers),
    gidMap: idMap(mapGroup, egid, mapGroups),
    program: operands.length ? program(operands, envTable(env), euid) : undefined,
  };
  checkMap(o.uidMap, 'uid');
  checkMap(o.gidMap, 'gid');
  if (!o.privileged) {
    checkGranted(o.uidMap, 'uid', euid);
    checkGranted(o.gidMap, 'gid', egid);
  }
  checkTarget(o.pid);
  return o;
}

export const tsmaproot: Tool = {
  name: 'tsmaproot',
  plan(argv: string[], link?: Link): Outcome {
    const env = link?.env ?? callerEnv();
    const o = parse(argv, env);
    if ('print' in o) return o;
    const steps: Step[] = 'chain' in o ? [{ op: 'exec', ...o.chain }] : plan(o);
    if (o.dryRun) return { print: print(steps).join('\n') + '\n', plan: { steps, env } };
    return { steps, env };
  },
};
