// A plan: the ordered system calls a tool makes, as data. TypeScript builds it,
// `--dry-run` prints it, tscore-exec runs it (see src/exec/core.h for the wire
// format). Each step's printed form is also its error label: a failing step
// reports "<tool>: <step as printed> failed: <strerror>".
import type { CallerRecord } from './entry';
import { cloneNames, errnoName, mountNames, openNames } from './kernel';
import { describeRtnl, rtnlWords, type RtnlRequest } from './rtnl';
import { capNames } from './caps';
import { describeSeccomp, seccompWords, type SeccompFilter } from './seccomp';
import { signalName } from './signals';
import { slotName, slotNames, type SlotNames } from './slots';

/** An errno that is not a failure for this step, or 'any'. */
export type Ignore = number | 'any';

export type Step = {
  ignore?: Ignore;
  /** errno → the whole error line to say instead of "<step> failed: <strerror>" */
  explain?: Record<number, string>;
  /** what the slot this step fills is called in printed plans (slots.ts);
   * for a helper, what it is for ("writes the maps") */
  as?: string;
} & (
  | { op: 'unshare'; flags: number }
  | { op: 'setns'; slot: number; nstype: number; what: string }
  | { op: 'pidfd-open'; pid: number | 'self' | 'parent'; slot: number }
  | { op: 'check-ino'; slot: number; ino: bigint; what: string }
  | { op: 'pidfd-alive'; slot: number; what: string }
  /** the pidfd in `slot`, opened from `pid`, is the process that started at
   * `startTime` (field 22 of /proc/PID/stat), not a successor to its PID */
  | { op: 'pidfd-check'; slot: number; pid: number; startTime: string; what: string }
  | { op: 'socket-netns'; pidfd: number; fd: number; slot: number }
  | { op: 'ns-get'; from: number; what: 'parent' | 'userns'; slot: number; name: string }
  | { op: 'sethostname'; name: string }
  | { op: 'setdomainname'; name: string }
  /** a NETLINK_ROUTE socket, in the network namespace this process is in now
   * (`where`: "in the target's net namespace", for the printed form) */
  | { op: 'netlink-open'; slot: number; where?: string }
  /** one rtnetlink request on the socket in `sock`, acting in that socket's namespace (rtnl.ts) */
  | { op: 'rtnl'; sock: number; req: RtnlRequest; where?: string }
  /** the PID written in a file (a FIFO waits for its writer), as a pidfd */
  | { op: 'pidfile-read'; path: string; slot: number }
  /** steps that undo the step before, run if a later step fails (not if that
   * step was a request that failed, its error ignored: it did nothing) */
  | { op: 'on-failure'; steps: Step[] }
  | { op: 'open'; path: string; slot: number; flags: number }
  | { op: 'write'; path: string; data: string; /** Node runner only: what undoes it */ undo?: string }
  /** Node runner only (filesteps.ts): cgroup directories and files */
  | { op: 'mkdir'; path: string; mode: number }
  | { op: 'rmdir'; path: string }
  | { op: 'chown'; path: string; uid: number; gid: number; /** each file in the directory `path` instead */ eachFile?: boolean }
  | { op: 'chmod'; path: string; mode: number; eachFile?: boolean }
  /** Node runner only: every process in a cgroup killed, and gone */
  | { op: 'kill-cgroup'; dir: string; via: 'cgroup.kill' | 'signals' }
  | { op: 'mount'; source: string | null; target: string; fstype: string | null; flags: number; data: string | null }
  | { op: 'umount'; target: string; flags: number }
  | { op: 'chroot'; path: string }
  | { op: 'chdir'; path: string }
  | { op: 'fchdir'; slot: number; what: string }
  | { op: 'close'; slot: number; what: string }
  | { op: 'pidfile-open'; dir: string; name: string; slot: number }
  | { op: 'pidfile-write'; slot: number; who: 'self' | 'child'; /** PID:INODE, the inode of its pidfd */ inode?: boolean }
  /** the supplementary groups: none, or these */
  | { op: 'setgroups'; groups?: number[] }
  | { op: 'setgid'; gid: number }
  | { op: 'setuid'; uid: number }
  | { op: 'keep-caps' }
  | { op: 'pdeathsig'; signal: number; slot: number }
  /** the entry state the caller gave, put back just before the program's exec */
  | { op: 'caller'; record: CallerRecord }
  /** the program's environment: data until the exec applies it */
  | { op: 'environ'; vars: string[]; /** for printed plans: how it differs from the caller's (envdiff.ts) */ summary?: string }
  | { op: 'nondumpable' }
  /** a plan's first step: run on from a copy of the executor sealed in
   * memory, so that a container that gets it re-executed cannot write the
   * host's file through /proc/PID/exe */
  | { op: 'sealed-exe' }
  /** the steps that follow are the folded link `argv` of a chain (fold.ts) */
  | { op: 'tool'; name: string; argv: string[]; /** where argv starts in the first link's, as its tail; -1 if it is not */ from: number }
  /** one write(2) to a file an 'open' step opened */
  | { op: 'write-fd'; slot: number; data: string; what: string }
  | { op: 'keep-permitted' }
  | { op: 'no-new-privs' }
  /** each of the five capability sets as given (an OCI process's) */
  | { op: 'capsets'; sets: CapSets }
  /** setrlimit(resource): soft and hard, undefined for RLIM_INFINITY */
  | { op: 'rlimit'; resource: number; name: string; soft?: bigint; hard?: bigint }
  | { op: 'umask'; mode: number }
  /** a seccomp filter, built now; loaded now, or by the exec step just before execve */
  | { op: 'seccomp'; filter: SeccompFilter; load: 'now' | 'exec' }
  /** a connected AF_UNIX socket to a caller's console socket */
  | { op: 'console-connect'; path: string; slot: number }
  /** a pty of /dev/ptmx: its master sent on the socket in `slot`, its slave our stdio and controlling tty */
  | { op: 'console'; slot: number; rows: number; cols: number }
  /** the caller's stderr, kept on `fd` while fd 2 went to the tool, put back on 2 (or only closed) */
  | { op: 'stderr'; fd: number; restore: boolean }
  /** paths inside a new root (its O_PATH fd in `root`), resolved as from inside it */
  | { op: 'mkdir-in'; root: number; path: string; mode: number }
  | { op: 'touch-in'; root: number; path: string }
  /** a device node (or FIFO): mode holds its S_IF* type; made with umask 0, then chowned */
  | { op: 'mknod-in'; root: number; path: string; mode: number; major: number; minor: number; uid: number; gid: number }
  | { op: 'symlink-in'; root: number; target: string; path: string }
  | { op: 'mount-in'; root: number; source: string | null; path: string; fstype: string | null; flags: number; data: string | null }
  /** `source` (the caller's path) bound on `path` inside the root, with `flags` (MS_RDONLY, MS_NOSUID, ...)
   * set before the mount is attached: the path is found once, so no one swaps it between a bind and a remount */
  | { op: 'bind-in'; root: number; source: string; path: string; recursive: boolean; flags: number }
  | { op: 'pivot-root'; root: number; path: string }
  /** an OCI masked path: a read-only empty tmpfs on a directory, /dev/null on a file; missing is fine */
  | { op: 'mask-in'; root: number; path: string }
  /** a tmpfs (`flags` MS_*, `data` its options) made detached, filled with a copy of what the root has at
   * `path` (links as links, owners, modes, times), then attached there: runc's tmpcopyup */
  | { op: 'tmpfs-copyup'; root: number; source: string; path: string; flags: number; data: string | null }
  /** an OCI hook run here: path with args as its argv, env its environment,
   * `state` on its stdin ("pid":{pid} in it: our PID), at most `timeout` s (0: none);
   * its failure fails the plan with one line naming it (`name`) */
  | { op: 'hook'; path: string; args: string[]; env: string[]; timeout: number; state: string; name: string }
  /** one write to an inherited fd: the runtime is told where we are */
  | { op: 'notify'; fd: number; data: string; what: string }
  /** every fd from `fd` up closed at the exec (close-on-exec now) */
  | { op: 'close-from'; fd: number }
  /** block until the host side writes one byte to an inherited fd, a file a
   * step opened (the slot `opened`), or a FIFO */
  | { op: 'wait'; fd?: number; path?: string; opened?: number; what?: string }
  /** in the child of a detaching fork: set up, tell the parent (it exits) */
  | { op: 'ready' }
  /** stay as PID 1: the program runs in a child; signals forwarded, all reaped */
  | { op: 'init' }
  | { op: 'run'; argv: string[] }
  | { op: 'exec'; file: string; argv: string[] }
  /** a child forked now, in the original namespaces, that runs `steps` when released */
  | { op: 'helper'; slot: number; steps: Step[] }
  | { op: 'release'; slot: number }
  /** in the waiting parent of a fork: the number after `key` in `path` now;
   * if the child dies of `signal` and it has grown, say `message` */
  | { op: 'watch-counter'; path: string; key: string; signal: number; message: string }
  /** fork; the parent runs `parent`, lets the child go on, and waits for it;
   * 'detach': the child goes on at once, the parent runs `parent` once the
   * child's `ready` step says so, and exits 0 (an OCI runtime's create) */
  | { op: 'fork'; signals: 'block' | 'forward' | 'relay' | 'none' | 'detach'; untraced: boolean; parent: Step[] }
);

/** bit N = capability N */
export interface CapSets {
  bounding: bigint;
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  ambient: bigint;
}

const q = (s: string | null) => (s === null ? 'NULL' : JSON.stringify(s));

/** The step as a C call, the way a learner would read it; `names` are the
 * plan's slot names (slots.ts), for the steps that use a slot. */
export function describe(s: Step, names?: SlotNames): string {
  const fills = (slot: number) => s.as ?? `fd#${slot}`;
  switch (s.op) {
    case 'unshare': return `unshare(${cloneNames(s.flags)})`;
    case 'setns': return `setns(${s.what}, ${cloneNames(s.nstype)})`;
    case 'pidfd-open': return `pidfd_open(${s.pid === 'self' ? 'getpid()' : s.pid === 'parent' ? 'getppid()' : s.pid}) as ${fills(s.slot)}`;
    case 'check-ino': return `fstat(${s.what}).st_ino == ${s.ino}`;
    case 'pidfd-alive': return `poll(${s.what}): still running`;
    case 'pidfd-check': return `/proc/${s.pid}/stat: started at ${s.startTime}, and poll(${s.what}): still running`;
    case 'socket-netns': return `ioctl(pidfd_getfd(${slotName(names, s.pidfd)}, ${s.fd}), SIOCGSKNS) as ${fills(s.slot)}`;
    case 'ns-get': return `ioctl(${s.name}, ${s.what === 'parent' ? 'NS_GET_PARENT' : 'NS_GET_USERNS'}) as ${fills(s.slot)}`;
    case 'sethostname': return `sethostname(${q(s.name)})`;
    case 'setdomainname': return `setdomainname(${q(s.name)})`;
    case 'netlink-open': return `socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) as fd#${s.slot}${s.where ? ` ${s.where}` : ''}`;
    case 'rtnl': return describeRtnl(s.req, s.where ? ` ${s.where}` : '');
    case 'pidfile-read': return `read a PID from ${q(s.path)}, pidfd_open(it) as fd#${s.slot}`;
    case 'on-failure': return 'if a later step fails, undo what the step above made:';
    case 'open': return `open(${q(s.path)}, ${openNames(s.flags)}|O_CLOEXEC) as ${fills(s.slot)}`;
    case 'write': return `write(${q(s.path)}, ${q(s.data)})`;
    case 'mkdir': return `mkdir(${q(s.path)}, 0${s.mode.toString(8)})`;
    case 'rmdir': return `rmdir(${q(s.path)})`;
    case 'chown': return `chown(${s.eachFile ? `each file in ${q(s.path)}` : q(s.path)}, ${s.uid}, ${s.gid})`;
    case 'chmod': return `chmod(${s.eachFile ? `each file in ${q(s.path)}` : q(s.path)}, 0${s.mode.toString(8)})`;
    case 'kill-cgroup': return s.via === 'cgroup.kill'
      ? `write(${q(s.dir + '/cgroup.kill')}, "1"), then wait until ${q(s.dir + '/cgroup.procs')} is empty`
      : `kill(each pid in ${q(s.dir + '/cgroup.procs')}, SIGKILL) until it is empty`;
    case 'mount': return `mount(${q(s.source)}, ${q(s.target)}, ${q(s.fstype)}, ${mountNames(s.flags)}, ${q(s.data)})`;
    case 'umount': return `umount2(${q(s.target)}, ${s.flags})`;
    case 'chroot': return `chroot(${q(s.path)})`;
    case 'chdir': return `chdir(${q(s.path)})`;
    case 'fchdir': return `fchdir(${s.what})`;
    case 'close': return `close(${s.what})`;
    case 'pidfile-open': return `open(${q(s.dir)}) for the pid file ${q(s.name)} as ${fills(s.slot)}`;
    case 'pidfile-write': return `write the pid of the ${s.who === 'self' ? 'program (getpid())' : 'child'}${s.inode ? ' and its pidfd\'s inode (PID:INODE)' : ''} to the pid file (${slotName(names, s.slot)})`;
    case 'setgroups': return s.groups?.length ? `setgroups(${s.groups.length}, [${s.groups.join(', ')}])` : 'setgroups(0, NULL)';
    case 'setgid': return `setgid(${s.gid})`;
    case 'setuid': return `setuid(${s.uid})`;
    case 'keep-caps': return 'capset(inheritable = permitted); prctl(PR_CAP_AMBIENT_RAISE, each permitted cap)';
    case 'pdeathsig': return `prctl(PR_SET_PDEATHSIG, ${signalName(s.signal)}); exit if the parent (${slotName(names, s.slot)}) is gone`;
    case 'caller': return 'at exec: the signal dispositions, mask, RLIMIT_NOFILE and stdio flags the caller gave';
    case 'environ': return `at exec: ${s.summary ?? `an environment of ${s.vars.length} variables`}`;
    case 'nondumpable': return 'prctl(PR_SET_DUMPABLE, 0)';
    case 'sealed-exe': return 'execveat(a copy of /proc/self/exe in a memfd sealed against writing), unless run from one';
    case 'tool': return `${s.argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}: folded, run in this process`;
    case 'write-fd': return `write(${slotName(names, s.slot)} (${s.what}), ${q(s.data)})`;
    case 'keep-permitted': return 'prctl(PR_SET_KEEPCAPS, 1)';
    case 'no-new-privs': return 'prctl(PR_SET_NO_NEW_PRIVS, 1)';
    case 'capsets': return `capabilities: ${(['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const).map((k) => `${k} ${capNames(s.sets[k])}`).join('; ')}`;
    case 'rlimit': return `setrlimit(${s.name}, {${s.soft ?? 'RLIM_INFINITY'}, ${s.hard ?? 'RLIM_INFINITY'}})`;
    case 'umask': return `umask(0${s.mode.toString(8)})`;
    case 'seccomp': return describeSeccomp(s.filter, s.load);
    case 'stderr': return s.restore ? `dup2(fd ${s.fd}, 2), close(fd ${s.fd}): the caller's stderr is the program's again` : `close(fd ${s.fd}), the caller's stderr (the terminal is the program's)`;
    case 'console-connect': return `connect(socket(AF_UNIX, SOCK_STREAM), ${q(s.path)}) as ${fills(s.slot)}`;
    case 'console': return `open("/dev/ptmx"), its master sent to ${slotName(names, s.slot)} (SCM_RIGHTS); setsid(); the slave as stdio and controlling terminal${s.rows && s.cols ? ` (${s.cols}x${s.rows})` : ''}`;
    case 'mkdir-in': return `mkdir(${q(s.path)} in the new root, 0${s.mode.toString(8)})`;
    case 'touch-in': return `create ${q(s.path)} in the new root`;
    case 'mknod-in': return `mknod(${q(s.path)} in the new root, 0${s.mode.toString(8)}, makedev(${s.major}, ${s.minor})), chown(${s.uid}, ${s.gid})`;
    case 'symlink-in': return `symlink(${q(s.target)}, ${q(s.path)} in the new root)`;
    case 'mount-in': return `mount(${q(s.source)}, ${q(s.path)} in the new root, ${q(s.fstype)}, ${mountNames(s.flags)}, ${q(s.data)})`;
    case 'bind-in': return `bind ${q(s.source)} on ${q(s.path)} in the new root${s.recursive ? ' (recursive)' : ''}, ${s.flags ? `${mountNames(s.flags)} set ` : ''}before it is attached (open_tree, mount_setattr, move_mount)`;
    case 'pivot-root': return `pivot_root(${q(s.path)}), the old root detached`;
    case 'mask-in': return `mask ${q(s.path)} in the new root (read-only empty tmpfs, or /dev/null)`;
    case 'tmpfs-copyup': return `a tmpfs ${q(s.source)} (${mountNames(s.flags)}, ${q(s.data)}) made detached (fsopen, fsmount), filled with a copy of ${q(s.path)} of the new root, then attached there (move_mount)`;
    case 'hook': return `run the ${s.name}: ${[s.path, ...s.args.slice(1)].map((a) => JSON.stringify(a)).join(' ')}, the state on its stdin${s.timeout ? `, for ${s.timeout} s at most` : ''}; its failure is ours`;
    case 'notify': return `write(fd ${s.fd}, ${q(s.data)}): ${s.what}`;
    case 'close-from': return `close_range(${s.fd}, ~0U, CLOSE_RANGE_CLOEXEC): no other descriptor reaches the program`;
    case 'wait': return `wait for the host side: read(${s.path !== undefined ? q(s.path) : s.opened !== undefined ? (s.what ?? slotName(names, s.opened)) : `fd ${s.fd}`}, 1 byte)`;
    case 'ready': return 'tell the waiting parent: set up (it writes the pid file and exits)';
    case 'init': return 'fork(): stay as init (PID 1), forward signals to the program, reap every child, exit with the program\'s status';
    case 'run': return `run ${JSON.stringify(s.argv)} and wait for it`;
    case 'exec': return `execvp(${q(s.file)}, ${JSON.stringify(s.argv)})`;
    case 'helper': return s.as === undefined
      ? `fork() helper#${s.slot}, which waits in the original namespaces`
      : `fork() a helper that ${s.as} from the original namespaces, once released`;
    case 'release': return `release ${slotName(names, s.slot, 'helper')} and wait for it`;
    case 'watch-counter': return `read ${q(s.key)} in ${q(s.path)}: if the child dies of ${signalName(s.signal)} and it grew, say ${q(s.message)}`;
    case 'fork': return 'fork()';
  }
}

function ignoreWord(i: Ignore | undefined): string {
  return i === undefined ? '0' : i === 'any' ? '*' : String(i);
}

function args(s: Step, names: SlotNames): string[] {
  switch (s.op) {
    case 'unshare': return [String(s.flags)];
    case 'setns': return [String(s.slot), String(s.nstype)];
    case 'pidfd-open': return [String(s.pid), String(s.slot)];
    case 'check-ino': return [String(s.slot), String(s.ino)];
    case 'pidfd-alive': return [String(s.slot)];
    case 'pidfd-check': return [String(s.slot), String(s.pid), s.startTime];
    case 'socket-netns': return [String(s.pidfd), String(s.fd), String(s.slot)];
    case 'ns-get': return [String(s.from), s.what, String(s.slot)];
    case 'sethostname': case 'setdomainname': return [s.name];
    case 'netlink-open': return [String(s.slot)];
    case 'rtnl': {
      const [kind, words] = rtnlWords(s.req);
      return [String(s.sock), kind, String(words.length), ...words];
    }
    case 'pidfile-read': return [s.path, String(s.slot)];
    case 'on-failure': {
      const words = encode(s.steps);
      return [String(words.length), ...words];
    }
    case 'open': return [s.path, String(s.slot), String(s.flags)];
    case 'write': return [s.path, s.data];
    case 'mkdir': case 'rmdir': case 'chown': case 'chmod': case 'kill-cgroup':
      throw new Error(`${s.op} is done in Node, not by tscore-exec`);
    case 'mount': return [s.source ?? '', s.target, s.fstype ?? '', String(s.flags), s.data ?? ''];
    case 'umount': return [s.target, String(s.flags)];
    case 'chroot': case 'chdir': return [s.path];
    case 'fchdir': case 'close': return [String(s.slot)];
    case 'pidfile-open': return [s.dir, s.name, String(s.slot)];
    case 'pidfile-write': return [String(s.slot), s.inode ? 'inode' : 'pid'];
    case 'tool': return [s.name, String(s.from)];
    case 'keep-caps': case 'nondumpable': case 'sealed-exe': case 'keep-permitted': case 'no-new-privs': case 'init': case 'ready': return [];
    case 'capsets': return [s.sets.bounding, s.sets.effective, s.sets.permitted, s.sets.inheritable, s.sets.ambient].map((m) => m.toString(16));
    case 'rlimit': return [String(s.resource), s.soft === undefined ? '-1' : String(s.soft), s.hard === undefined ? '-1' : String(s.hard)];
    case 'umask': return [s.mode.toString(8)];
    case 'seccomp': {
      const words = seccompWords(s.filter);
      return [s.load, String(words.length), ...words];
    }
    case 'console-connect': return [s.path, String(s.slot)];
    case 'stderr': return [String(s.fd), s.restore ? '1' : '0'];
    case 'console': return [String(s.slot), String(s.rows), String(s.cols)];
    case 'mask-in': return [String(s.root), s.path];
    case 'tmpfs-copyup': return [String(s.root), s.source, s.path, String(s.flags), s.data ?? ''];
    case 'setgroups': return [String(s.groups?.length ?? 0), ...(s.groups ?? []).map(String)];
    case 'write-fd': return [String(s.slot), s.data];
    case 'mkdir-in': return [String(s.root), s.path, String(s.mode)];
    case 'touch-in': return [String(s.root), s.path];
    case 'mknod-in': return [String(s.root), s.path, String(s.mode), String(s.major), String(s.minor), String(s.uid), String(s.gid)];
    case 'symlink-in': return [String(s.root), s.target, s.path];
    case 'mount-in': return [String(s.root), s.source ?? '', s.path, s.fstype ?? '', String(s.flags), s.data ?? ''];
    case 'bind-in': return [String(s.root), s.source, s.path, s.recursive ? '1' : '0', String(s.flags)];
    case 'pivot-root': return [String(s.root)];
    case 'hook': return [s.path, String(s.timeout), s.state, s.name, String(1 + s.args.length + s.env.length), String(s.args.length), ...s.args, ...s.env];
    case 'notify': return [String(s.fd), s.data];
    case 'close-from': return [String(s.fd)];
    case 'wait': return s.path !== undefined ? ['path', s.path] : s.opened !== undefined ? ['slot', String(s.opened)] : ['fd', String(s.fd)];
    case 'caller': return [s.record.ignored, s.record.blocked, ...s.record.nofile, ...s.record.stdio.map(String)];
    case 'environ': return [String(s.vars.length), ...s.vars];
    case 'setgid': return [String(s.gid)];
    case 'setuid': return [String(s.uid)];
    case 'pdeathsig': return [String(s.signal), String(s.slot)];
    case 'run': return [String(s.argv.length), ...s.argv];
    case 'exec': return [s.file, String(s.argv.length), ...s.argv];
    case 'release': return [String(s.slot)];
    case 'watch-counter': return [s.path, s.key, String(s.signal), s.message];
    case 'helper': return [String(s.slot), String(s.steps.length), ...encode(s.steps, names)];
    case 'fork': return [s.signals, s.untraced ? '1' : '0', String(s.parent.length), ...encode(s.parent, names)];
  }
}

/** A step's LABEL word: as printed, then its explanations (src/exec/report.c). */
function label(s: Step, names: SlotNames): string {
  return describe(s, names) + Object.entries(s.explain ?? {}).map(([errno, line]) => `\x1f${errno}\x1f${line}`).join('');
}

/** The plan as tscore-exec's argv words. */
export function encode(steps: Step[], names: SlotNames = slotNames(steps)): string[] {
  return steps.flatMap((s) => [s.op, label(s, names), ignoreWord(s.ignore), ...args(s, names)]);
}

/** The plan as `--dry-run` prints it: one call a line, in order; what a
 * helper, a fork's waiting parent and its child run, indented under it. */
export function print(steps: Step[], indent = '', names: SlotNames = slotNames(steps)): string[] {
  const lines: string[] = [];
  for (const [i, s] of steps.entries()) {
    const note = s.ignore === undefined ? '' : `  (${s.ignore === 'any' ? 'any error' : errnoName(s.ignore)} ignored)`;
    lines.push(indent + describe(s, names) + note);
    if (s.op === 'on-failure') {
      lines.push(...print(s.steps, indent + '  undo: '));
    } else if (s.op === 'helper') {
      lines.push(...print(s.steps, indent + '  helper: ', names));
    } else if (s.op === 'fork') {
      if (s.signals === 'detach') {
        lines[lines.length - 1] += ': the parent waits until the child is ready, runs the steps marked parent, exits 0';
        lines.push(...print(s.parent, indent + '  parent: ', names));
        lines.push(...print(steps.slice(i + 1), indent + '  child: ', names));
        break;
      }
      lines.push(...print(s.parent, indent + '  parent: ', names));
      const signals = {
        block: 'SIGINT and SIGTERM blocked', forward: 'SIGINT and SIGTERM forwarded', none: 'signals left alone',
        relay: 'SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1 and SIGUSR2 that a process sends it passed on',
      }[s.signals];
      lines.push(`${indent}  parent: waitpid(child${s.untraced ? ', WUNTRACED' : ''}), ${signals}; exit with its status (128+N if killed by signal N)`);
      // the rest of the plan is the child's
      lines.push(...print(steps.slice(i + 1), indent + '  child: ', names));
      break;
    } else if (s.op === 'init') {
      lines.push(...print(steps.slice(i + 1), indent + '  child: ', names));
      break;
    }
  }
  return lines;
}
