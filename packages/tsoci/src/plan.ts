// A Container → the system calls that make it, in runc's order: the steps
// tsunshare takes (a helper writes the maps from the original namespaces,
// unshare, fork) and then tsreexec's (mounts inside the new root, pivot_root,
// credentials, capabilities), from the core's same builders; the init ends
// waiting on the exec FIFO, and `start` lets it exec the program.
import path = require('path');
import {
  devLinkSteps, errno, mapText, mkdirIn, mountIn, nsFlag, sealedExe, MS, O,
  type CgroupDir, type IdRange, type NsType, type Step,
} from 'tscontainer-core';
import { cgroupMountSteps } from './cgroup';
import type { Container, Mount, ProcessSpec } from './config';
import type { SeccompFilter } from 'tscontainer-core';
import { deviceNodeSteps, inUserNs } from './devices';
import { execHookSteps, mountedHookSteps, type HookPlan } from './hooks';

// descriptor slots
const FIFO = 0;
const PIDFILE = 1;
const MAPPER = 2;
const ROOT = 3;
const CONSOLE = 4;
const NSFD = 5; // and on, one per joined namespace

/** what create writes, where (the state directory's files) */
export interface Where {
  /** the exec FIFO: the init waits on it; undefined for `run`, which does not wait */
  fifo?: string;
  /** the state directory, and the name of the file the init's PID goes to */
  stateDir: string;
  pidName: string;
  noPivot: boolean;
  /** the caller's console socket, for a process with a terminal */
  consoleSocket?: string;
  /** the cgroups to join (written before the namespaces are made), and their directories (for a cgroup mount) */
  join?: Step[];
  cgroups?: CgroupDir[];
  /** create: the caller's stderr is on this fd, fd 2 goes to tsoci (which says and logs the setup's errors) until the init is ready */
  callerStderr?: number;
  /** the first fd the program does not get (those below: --preserve-fds, LISTEN_FDS) */
  closeFrom?: number;
  hooks?: HookPlan;
}

/** The maps, written by a helper in the original namespaces once the
 * container's user namespace exists: as root directly, else newuidmap. */
function mapperSteps(uidMap: IdRange[], gidMap: IdRange[], pid: string): Step[] {
  const root = process.geteuid!() === 0;
  const write = (kind: 'uid' | 'gid', map: IdRange[]): Step => (root
    ? { op: 'write', path: `/proc/${pid}/${kind}_map`, data: mapText(map) }
    : { op: 'run', argv: [`new${kind}map`, pid, ...map.flatMap((r) => [r.inner, r.outer, r.count].map(String))] });
  return [write('uid', uidMap), write('gid', gidMap)];
}

/** Each directory above `p` inside the root, made if missing (not again
 * where an earlier mount made or mounted it: `made`). */
function parents(p: string, made: Set<string>): Step[] {
  const parts = p.split('/').filter(Boolean).slice(0, -1);
  const dirs = parts.map((_, i) => '/' + parts.slice(0, i + 1).join('/')).filter((d) => !made.has(d));
  for (const d of dirs) made.add(d);
  return dirs.map((d) => mkdirIn(ROOT, d));
}

function mountSteps(m: Mount, made: Set<string>, c: Container, w: Where): Step[] {
  const steps: Step[] = parents(m.destination, made);
  if (m.dir) made.add(m.destination);
  if (m.fstype === 'cgroup' || m.fstype === 'cgroup2') {
    steps.push(...cgroupMountSteps(ROOT, m.destination, m.flags, w.cgroups ?? [], c.newNs.includes('cgroup')));
  } else if (m.bind) {
    // the flags a bind does not take at once (ro, nosuid, ...) set on it
    // before it is attached: its destination is found once, not again for a remount
    const extra = m.flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
    steps.push(m.dir ? mkdirIn(ROOT, m.destination) : { op: 'touch-in', root: ROOT, path: m.destination },
      { op: 'bind-in', root: ROOT, source: m.source!, path: m.destination, recursive: (m.flags & MS.REC) !== 0, flags: extra });
  } else if (m.copyUp) {
    steps.push(mkdirIn(ROOT, m.destination), { op: 'tmpfs-copyup', root: ROOT, source: m.source ?? 'tmpfs', path: m.destination, flags: m.flags, data: m.data });
  } else {
    steps.push(mkdirIn(ROOT, m.destination), mountIn(ROOT, m.source ?? m.fstype, m.destination, m.fstype, m.flags, m.data));
  }
  if (m.propagation) steps.push(mountIn(ROOT, null, m.destination, null, m.propagation));
  return steps;
}

/** /dev is not bound from the host: the container's devices and links go in it (runc's rule) */
const setupDev = (c: Container) => !c.mounts.some((m) => m.destination === '/dev' && m.bind);

/** linux.seccomp, loaded where runc loads it. Loading a filter needs
 * no_new_privs or CAP_SYS_ADMIN (seccomp(2)): without no_new_privs it is
 * loaded before the credentials and capabilities change ('now', and the
 * steps after it must pass it); with it, as late as can be: the exec step
 * loads it just before execve, so the program's own calls are all it sees. */
function seccompSteps(f: SeccompFilter | undefined, p: ProcessSpec, at: 'before-credentials' | 'after-no-new-privs'): Step[] {
  if (!f || (at === 'before-credentials') === p.noNewPrivileges) return [];
  return [{ op: 'seccomp', filter: f, load: p.noNewPrivileges ? 'exec' : 'now' }];
}

export function plan(c: Container, w: Where): Step[] {
  // what the container gets re-executed (a "#!/proc/self/exe" program) is a sealed copy
  const steps: Step[] = [sealedExe(), { op: 'nondumpable' }];
  const userNs = c.newNs.includes('user') || c.joinNs.some((j) => j.type === 'user');

  // opened while we are the host's root, so the container's root (another
  // uid, maybe) need not reach them: the init inherits them
  if (w.fifo) steps.push({ op: 'open', path: w.fifo, slot: FIFO, flags: O.RDWR, as: 'the exec FIFO' });
  steps.push({ op: 'pidfile-open', dir: w.stateDir, name: w.pidName, slot: PIDFILE, as: 'the init\'s pid file' });
  if (c.terminal && w.consoleSocket) steps.push({ op: 'console-connect', path: w.consoleSocket, slot: CONSOLE, as: 'the console socket' });

  // the container's cgroups, joined while we are the host's root: the init inherits them
  steps.push(...(w.join ?? []));
  // limits that need the host's privilege to raise: set here, inherited
  for (const r of c.rlimits) steps.push({ op: 'rlimit', resource: r.resource, name: r.name, soft: r.soft, hard: r.hard });
  if (c.oomScoreAdj !== undefined) steps.push({ op: 'write', path: '/proc/self/oom_score_adj', data: String(c.oomScoreAdj) });

  // namespaces joined by path: opened first, entered before the new ones are
  // made (the user namespace first), while we still have the host's privilege
  const joins = [...c.joinNs].sort((a, b) => Number(b.type === 'user') - Number(a.type === 'user'));
  for (const [k, j] of joins.entries()) steps.push({ op: 'open', path: j.path, slot: NSFD + k, flags: O.RDONLY, as: `nsfd[${j.type}]` });
  for (const [k, j] of joins.entries()) steps.push({ op: 'setns', slot: NSFD + k, nstype: nsFlag(j.type), what: `nsfd[${j.type}]` });

  const maps = c.newNs.includes('user');
  if (maps) steps.push({ op: 'helper', slot: MAPPER, as: 'writes the maps', steps: mapperSteps(c.uidMap, c.gidMap, '{parent}') });
  const flags = c.newNs.reduce((f, t: NsType) => f | nsFlag(t), 0);
  if (flags) steps.push({ op: 'unshare', flags });
  if (maps) steps.push({ op: 'release', slot: MAPPER });

  // the init: PID 1 of a new PID namespace. create's process waits until it
  // is set up, writes its PID and exits; `run` waits for it instead
  steps.push({
    op: 'fork', signals: w.fifo ? 'detach' : 'forward', untraced: false,
    parent: [{ op: 'pidfile-write', slot: PIDFILE, who: 'child' }],
  });
  steps.push({ op: 'close', slot: PIDFILE, what: 'the pid file' });
  // the init becomes the namespace's root, where 0 is mapped (the parent
  // stays the host's uid, to write the pid file in the state directory)
  if (userNs) {
    steps.push(
      { op: 'setgroups', ignore: errno.EPERM },
      { op: 'setgid', gid: 0, ignore: errno.EINVAL },
      { op: 'setuid', uid: 0, ignore: errno.EINVAL },
    );
  }

  if (c.hostname !== undefined) steps.push({ op: 'sethostname', name: c.hostname });
  if (c.domainname !== undefined) steps.push({ op: 'setdomainname', name: c.domainname });

  // mounts: ours never reach the host (rslave by default), the rootfs bound
  // on itself (pivot_root wants a mount point) and opened after that
  steps.push(
    { op: 'mount', source: null, target: '/', fstype: null, flags: c.rootPropagation, data: null },
    { op: 'mount', source: c.rootfs, target: c.rootfs, fstype: null, flags: MS.BIND | MS.REC, data: null },
    { op: 'open', path: c.rootfs, slot: ROOT, flags: O.PATH | O.DIRECTORY, as: 'rootfd' },
  );
  const made = new Set<string>();
  for (const m of c.mounts) steps.push(...mountSteps(m, made, c, w));
  // in a user namespace mknod is refused: the host's nodes are bound instead
  if (setupDev(c)) steps.push(...deviceNodeSteps(ROOT, c.devices, userNs || inUserNs()), ...devLinkSteps(ROOT, errno.EEXIST));
  // the mounts made: prestart, createRuntime (tsoci), createContainer (here)
  steps.push(...mountedHookSteps(w.hooks, ROOT));

  if (w.noPivot) {
    // runc's --no-pivot: the root moved onto / and chrooted into
    steps.push(
      { op: 'fchdir', slot: ROOT, what: 'rootfd' },
      { op: 'mount', source: '.', target: '/', fstype: null, flags: MS.MOVE, data: null },
      { op: 'chroot', path: '.' },
      { op: 'chdir', path: '/' },
    );
  } else {
    steps.push({ op: 'pivot-root', root: ROOT, path: c.rootfs });
  }

  // inside: sysctls, then the paths made read-only or masked (runc's order)
  for (const [key, value] of c.sysctl) steps.push({ op: 'write', path: `/proc/sys/${key.replaceAll('.', '/')}`, data: value });
  for (const p of c.readonlyPaths) {
    steps.push(
      { ...mountIn(ROOT, p, p, null, MS.BIND | MS.REC), ignore: errno.ENOENT },
      { ...mountIn(ROOT, null, p, null, MS.REMOUNT | MS.BIND | MS.RDONLY), ignore: errno.ENOENT },
    );
  }
  for (const p of c.maskedPaths) steps.push({ op: 'mask-in', root: ROOT, path: p });
  // the terminal: of the container's own devpts, before the credentials
  // change; its slave bound on /dev/console (runc's, for the init)
  if (c.terminal && w.consoleSocket) {
    steps.push(
      { op: 'console', slot: CONSOLE, rows: c.consoleSize?.height ?? 0, cols: c.consoleSize?.width ?? 0 },
      { op: 'touch-in', root: ROOT, path: '/dev/console' }, mountIn(ROOT, '/proc/self/fd/0', '/dev/console', null, MS.BIND),
    );
  }
  if (c.readonlyRoot) steps.push(mountIn(ROOT, null, '/', null, MS.REMOUNT | MS.BIND | MS.RDONLY));
  steps.push({ op: 'close', slot: ROOT, what: 'rootfd' });

  // credentials: groups and gid while we may, the permitted set kept across
  // a setuid away from root for the capabilities asked, then the sets
  steps.push(...seccompSteps(c.seccomp, c, 'before-credentials'));
  steps.push({ op: 'setgroups', groups: c.additionalGids }, { op: 'setgid', gid: c.gid });
  if (c.uid !== 0 && c.caps) steps.push({ op: 'keep-permitted' });
  steps.push({ op: 'setuid', uid: c.uid });
  if (c.caps) steps.push({ op: 'capsets', sets: c.caps });
  if (c.noNewPrivileges) steps.push({ op: 'no-new-privs' });
  steps.push(...seccompSteps(c.seccomp, c, 'after-no-new-privs'));
  steps.push({ op: 'chdir', path: c.cwd });
  if (c.umask !== undefined) steps.push({ op: 'umask', mode: c.umask });

  steps.push({ op: 'environ', vars: c.env, summary: `process.env (${c.env.length} variables), nothing inherited` });
  if (w.callerStderr !== undefined) steps.push({ op: 'stderr', fd: w.callerStderr, restore: !(c.terminal && w.consoleSocket) });
  if (w.fifo) steps.push({ op: 'ready' }, { op: 'wait', opened: FIFO, what: 'the exec FIFO (until tsoci start)' });
  steps.push(...execHookSteps(w.hooks), { op: 'close-from', fd: w.closeFrom ?? 3 });
  steps.push({ op: 'exec', file: c.file, argv: c.args });
  return steps;
}

export const pidFileName = 'init.pid';
export const fifoName = 'exec.fifo';
export const stateFile = (dir: string) => path.join(dir, 'state.json');

/** where and how `exec` runs a process in a container */
export interface ExecWhere {
  /** the init's host PID and start time, and the namespaces of it that are not ours */
  pid: number;
  startTime?: string;
  nsFlags: number;
  /** the cgroups' files that take a process */
  cgroupProcs: string[];
  /** the pid file: a directory and a name */
  pidDir?: string;
  pidName?: string;
  detach: boolean;
  consoleSocket?: string;
  callerStderr?: number;
  /** the first fd the process does not get (those below: --preserve-fds) */
  closeFrom?: number;
  /** the container's filter (its linux.seccomp, kept in its state) */
  seccomp?: SeccompFilter;
}

/** `exec`: the container's namespaces entered with one setns(pidfd) (as
 * tsnsenter enters a process's), its cgroups joined, then a fork (a new or
 * joined PID namespace holds only children) that takes the process's
 * credentials, capabilities, directory and environment and execs. */
export function execPlan(p: ProcessSpec, w: ExecWhere): Step[] {
  const INIT = 5;
  const steps: Step[] = [sealedExe(), { op: 'nondumpable' }];
  if (w.pidDir) steps.push({ op: 'pidfile-open', dir: w.pidDir, name: w.pidName!, slot: PIDFILE, as: 'the pid file' });
  if (p.terminal && w.consoleSocket) steps.push({ op: 'console-connect', path: w.consoleSocket, slot: CONSOLE, as: 'the console socket' });
  for (const r of p.rlimits) steps.push({ op: 'rlimit', resource: r.resource, name: r.name, soft: r.soft, hard: r.hard });
  if (p.oomScoreAdj !== undefined) steps.push({ op: 'write', path: '/proc/self/oom_score_adj', data: String(p.oomScoreAdj) });
  for (const file of w.cgroupProcs) steps.push({ op: 'write', path: file, data: '0' });
  steps.push({ op: 'pidfd-open', pid: w.pid, slot: INIT, as: 'pidfd[init]' });
  // the init tsoci checked, not a process that took its PID since
  if (w.startTime !== undefined) {
    steps.push({ op: 'pidfd-check', slot: INIT, pid: w.pid, startTime: w.startTime, what: 'pidfd[init]', explain: { [errno.ESRCH]: 'cannot exec in a stopped container' } });
  }
  if (w.nsFlags) steps.push({ op: 'setns', slot: INIT, nstype: w.nsFlags, what: 'pidfd[init]' });
  steps.push({ op: 'close', slot: INIT, what: 'pidfd[init]' });
  steps.push({
    op: 'fork', signals: w.detach ? 'detach' : 'forward', untraced: false,
    parent: w.pidDir ? [{ op: 'pidfile-write', slot: PIDFILE, who: 'child' }] : [],
  });
  if (w.pidDir) steps.push({ op: 'close', slot: PIDFILE, what: 'the pid file' });
  if (p.terminal && w.consoleSocket) steps.push({ op: 'console', slot: CONSOLE, rows: p.consoleSize?.height ?? 0, cols: p.consoleSize?.width ?? 0 });
  steps.push(...seccompSteps(w.seccomp, p, 'before-credentials'));
  steps.push({ op: 'setgroups', groups: p.additionalGids }, { op: 'setgid', gid: p.gid });
  if (p.uid !== 0 && p.caps) steps.push({ op: 'keep-permitted' });
  steps.push({ op: 'setuid', uid: p.uid });
  if (p.caps) steps.push({ op: 'capsets', sets: p.caps });
  if (p.noNewPrivileges) steps.push({ op: 'no-new-privs' });
  steps.push(...seccompSteps(w.seccomp, p, 'after-no-new-privs'));
  steps.push({ op: 'chdir', path: p.cwd });
  if (p.umask !== undefined) steps.push({ op: 'umask', mode: p.umask });
  steps.push({ op: 'environ', vars: p.env, summary: `process.env (${p.env.length} variables), nothing inherited` });
  if (w.callerStderr !== undefined) steps.push({ op: 'stderr', fd: w.callerStderr, restore: !(p.terminal && w.consoleSocket) });
  if (w.detach) steps.push({ op: 'ready' });
  steps.push({ op: 'close-from', fd: w.closeFrom ?? 3 }, { op: 'exec', file: p.file, argv: p.args });
  return steps;
}
