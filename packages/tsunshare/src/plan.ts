// UnshareOptions → the system calls, in util-linux unshare's order.
import path = require('path');
import { envStep, errno, idMap, mapText, nsFlag, sealedExe, withHint, MS, type IdRange, type NsType, type Step } from 'tscontainer-core';
import { PROPAGATION_FLAGS, type UnshareOptions } from './cli';

const PIDFILE = 0;
const BINDER = 1;
const MAPPER = 2;
const PARENT_PIDFD = 3;

/** what /proc/PID/ns/ calls the namespace a process's children will get */
const NS_FILE: Record<NsType, string> = {
  mnt: 'mnt', uts: 'uts', ipc: 'ipc', net: 'net', pid: 'pid_for_children',
  user: 'user', cgroup: 'cgroup', time: 'time_for_children',
};

/** Maps written from outside the new user namespace, by a helper: ranges need
 * privilege in the parent namespace, which we give up by unsharing. As root
 * the helper writes /proc/PID/{u,g}id_map itself; otherwise shadow's
 * newuidmap/newgidmap check /etc/subuid and write them. */
function mapperSteps(o: UnshareOptions, pid: string): Step[] {
  if (o.mapUsers.length === 0 && o.mapGroups.length === 0 && !o.owner) return [];
  const uid = o.owner?.uid ?? o.euid;
  const gid = o.owner?.gid ?? o.egid;
  const uidMap = idMap(o.mapUser, uid, o.mapUsers);
  const gidMap = idMap(o.mapGroup, gid, o.mapGroups);
  const steps: Step[] = [];
  const root = o.euid === 0;
  const write = (kind: 'uid' | 'gid', map: IdRange[]): Step => (root
    ? { op: 'write', path: `/proc/${pid}/${kind}_map`, data: mapText(map) }
    : { op: 'run', argv: [`new${kind}map`, String(pid), ...map.flatMap((r) => [r.inner, r.outer, r.count].map(String))] });
  if (uidMap.length) steps.push(write('uid', uidMap));
  // "deny" only for a lone --map-group, as util-linux: with ranges the
  // namespace's groups are mapped, and setgroups stays the kernel's default
  if (o.mapGroup !== undefined && o.mapGroups.length === 0)
    steps.push({ op: 'write', path: `/proc/${pid}/setgroups`, data: 'deny', ignore: errno.ENOENT });
  if (gidMap.length) steps.push(write('gid', gidMap));
  return steps;
}

/** Single maps the new namespace's first process writes itself, as util-linux does. */
function selfMapSteps(o: UnshareOptions, helperMaps: boolean): Step[] {
  const steps: Step[] = [];
  if (!helperMaps && o.mapUser !== undefined)
    steps.push({ op: 'write', path: '/proc/self/uid_map', data: `${o.mapUser} ${o.euid} 1` });
  if (!helperMaps && o.mapGroup !== undefined) {
    steps.push({ op: 'write', path: '/proc/self/setgroups', data: 'deny', ignore: errno.ENOENT });
    steps.push({ op: 'write', path: '/proc/self/gid_map', data: `${o.mapGroup} ${o.egid} 1` });
  }
  if (o.setgroups) steps.push({ op: 'write', path: '/proc/self/setgroups', data: o.setgroups });
  return steps;
}

/** /proc of the new PID namespace: mounted by a process inside it (after
 * --fork), and by a new user namespace only if it owns that namespace. The
 * classic mistakes fail with EPERM (or ENOMEM): say what to add. */
function procMount(o: UnshareOptions): Step {
  const mount: Step = { op: 'mount', source: 'proc', target: o.mountProc!, fstype: 'proc', flags: MS.NOSUID | MS.NOEXEC | MS.NODEV, data: null };
  if (o.namespaces.has('pid') && !o.fork)
    return withHint(mount, [errno.EPERM, errno.ENOMEM], 'add --fork: without it this process stays outside the new PID namespace, whose /proc it mounts');
  if (o.namespaces.has('user') && !o.namespaces.has('pid'))
    return withHint(mount, [errno.EPERM], 'add -p --fork: a new user namespace may mount only the /proc of a PID namespace it owns');
  return mount;
}

/** The helpers name the process that unshares by "{parent}": its PID when
 * they run (tscore-exec fills it in), which in a folded chain need not be
 * this Node process's. */
const UNSHARER = '{parent}';

export function plan(o: UnshareOptions): Step[] {
  const pid = UNSHARER;
  // a program found in another root or directory (-R, -w) may be
  // "#!/proc/self/exe": then a sealed copy of this executable runs there,
  // not the host's file (CVE-2019-5736, as tsnsenter and tsreexec --rootfs)
  const steps: Step[] = o.root || o.wd ? [sealedExe()] : [];
  const has = (t: NsType) => o.namespaces.has(t);

  // opened first, so the pid file lands where the caller named it
  if (o.pidFile) steps.push({ op: 'pidfile-open', dir: path.dirname(o.pidFile), name: path.basename(o.pidFile), slot: PIDFILE, as: 'pidfile' });

  // namespace files are bound from the original namespaces, by a helper
  const persist = [...o.namespaces].filter((e): e is [NsType, string] => e[1] !== undefined);
  if (persist.length) {
    steps.push({
      op: 'helper', slot: BINDER, as: 'binds the namespace files',
      steps: persist.map(([type, file]) => ({
        op: 'mount', source: `/proc/${pid}/ns/${NS_FILE[type]}`, target: file, fstype: null, flags: MS.BIND, data: null,
      })),
    });
  }
  const mapper = mapperSteps(o, pid);
  if (mapper.length) steps.push({ op: 'helper', slot: MAPPER, as: 'writes the maps', steps: mapper });

  if (o.owner) {
    steps.push({ op: 'setgroups' }, { op: 'setgid', gid: o.owner.gid }, { op: 'setuid', uid: o.owner.uid });
  }

  const flags = [...o.namespaces.keys()].reduce((f, t) => f | nsFlag(t), 0);
  if (flags) steps.push({ op: 'unshare', flags });
  if (mapper.length) steps.push({ op: 'release', slot: MAPPER });

  // offsets must be set before any process lives in the time namespace
  if (o.boottime !== undefined) steps.push({ op: 'write', path: '/proc/self/timens_offsets', data: `7 ${o.boottime} 0` });
  if (o.monotonic !== undefined) steps.push({ op: 'write', path: '/proc/self/timens_offsets', data: `1 ${o.monotonic} 0` });

  const bind: Step[] = persist.length ? [{ op: 'release', slot: BINDER }] : [];
  if (o.fork) {
    if (o.killChild !== undefined) steps.push({ op: 'pidfd-open', pid: 'self', slot: PARENT_PIDFD, as: 'pidfd[parent]' });
    const parent: Step[] = [...bind];
    if (o.pidFile) parent.push({ op: 'pidfile-write', slot: PIDFILE, who: 'child', inode: o.pidInode });
    steps.push({ op: 'fork', signals: o.forwardSignals ? 'forward' : 'block', untraced: false, parent });
    // the parent writes the pid file; the child lets go of it, so that a
    // FIFO's reader sees its end even while the child is not yet exec'd
    // (a folded chain's next link may wait first)
    if (o.pidFile) steps.push({ op: 'close', slot: PIDFILE, what: 'the pid file' });
  } else {
    steps.push(...bind);
  }

  // from here on: the process that becomes the program
  steps.push(...selfMapSteps(o, mapper.length > 0));
  if (has('mnt') && o.propagation !== 'unchanged')
    steps.push({ op: 'mount', source: 'none', target: '/', fstype: null, flags: PROPAGATION_FLAGS[o.propagation], data: null });
  if (o.root) {
    steps.push({ op: 'chroot', path: o.root }, { op: 'chdir', path: o.wd ?? '/' });
  } else if (o.wd) {
    steps.push({ op: 'chdir', path: o.wd });
  }
  if (o.mountProc) {
    if (!o.root && o.propagation !== 'private')
      steps.push({ op: 'mount', source: 'none', target: o.mountProc, fstype: null, flags: MS.PRIVATE | MS.REC, data: null, ignore: errno.EINVAL });
    steps.push(procMount(o));
  }
  // written while we still have the caller's credentials
  if (o.pidFile && !o.fork) steps.push({ op: 'pidfile-write', slot: PIDFILE, who: 'self', inode: o.pidInode });
  if (o.setgid !== undefined) steps.push({ op: 'setgroups' }, { op: 'setgid', gid: o.setgid });
  if (o.setuid !== undefined) steps.push({ op: 'setuid', uid: o.setuid });
  if (o.keepCaps && has('user')) steps.push({ op: 'keep-caps' });
  // after the credentials: changing them clears the parent-death signal
  if (o.fork && o.killChild !== undefined) steps.push({ op: 'pdeathsig', signal: o.killChild, slot: PARENT_PIDFD });
  // --clear-env, --whitelist-env: applied at the exec, shown where it happens
  steps.push(...envStep(o.callerEnv, o.env));
  steps.push({ op: 'exec', file: o.program.file, argv: o.program.argv });
  return steps;
}
