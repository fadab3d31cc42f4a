// ReexecOptions → the system calls, in the order runc's init and bubblewrap
// use; each group says why it stands where it does.
import { bindSteps, devSteps, envStep, errno, mkdirIn, mountIn as mountInRoot, MS, O, sealedExe, type Step } from 'tscontainer-core';
import type { ReexecOptions } from './cli';

const PARENT_PIDFD = 0;
const ROOT = 1;
const NETLINK = 2;

// the new root's builders are the core's (rootfs.ts), shared with tsoci
const mkdir = (path: string) => mkdirIn(ROOT, path);
const mountIn = (source: string | null, path: string, fstype: string | null, flags: number, data: string | null = null): Step =>
  mountInRoot(ROOT, source, path, fstype, flags, data);

export function plan(o: ReexecOptions): Step[] {
  // the program comes from the new root, an image's: were it "#!/proc/self/exe"
  // this executable would run again in the container, dumpable (and --init
  // stays there as PID 1): let that be a sealed copy, not the host's file
  // (CVE-2019-5736)
  const steps: Step[] = o.rootfs ? [sealedExe()] : [];

  // first, so that a host side that dies never leaves us waiting for it
  if (o.dieWithParent) {
    // the parent as it is when this runs (in a folded chain, not Node's)
    steps.push({ op: 'pidfd-open', pid: 'parent', slot: PARENT_PIDFD, as: 'pidfd[parent]' }, { op: 'pdeathsig', signal: 9, slot: PARENT_PIDFD });
  }

  // the host side writes our maps (and builds the network) while we wait;
  // then we are the namespace's root, where 0 is mapped (EINVAL: it is not)
  if (o.wait) steps.push({ op: 'wait', ...o.wait });
  steps.push(
    { op: 'setgroups', ignore: errno.EPERM },
    { op: 'setgid', gid: 0, ignore: errno.EINVAL },
    { op: 'setuid', uid: 0, ignore: errno.EINVAL },
  );

  if (o.hostname !== undefined) steps.push({ op: 'sethostname', name: o.hostname });
  if (o.domainname !== undefined) steps.push({ op: 'setdomainname', name: o.domainname });

  // mounts: private first, so none of ours reaches the namespace we came
  // from; the new root bound on itself (pivot_root wants a mount point) and
  // opened after that, so that paths inside it resolve in the bound tree
  const mounts = o.rootfs || o.proc || o.sys || o.dev || o.mounts.length > 0;
  if (mounts) {
    steps.push({ op: 'mount', source: null, target: '/', fstype: null, flags: MS.REC | MS.PRIVATE, data: null });
    if (o.rootfs) steps.push({ op: 'mount', source: o.rootfs, target: o.rootfs, fstype: null, flags: MS.BIND | MS.REC, data: null });
    steps.push({ op: 'open', path: o.rootfs ?? '/', slot: ROOT, flags: O.PATH | O.DIRECTORY, as: 'rootfd' });
    if (o.proc) steps.push(mkdir('/proc'), mountIn('proc', '/proc', 'proc', MS.NOSUID | MS.NODEV | MS.NOEXEC));
    if (o.sys) steps.push(mkdir('/sys'), mountIn('sysfs', '/sys', 'sysfs', MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RDONLY));
    if (o.dev) steps.push(...devSteps(ROOT));
    // binds take their sources from the old root: before the pivot
    for (const m of o.mounts) steps.push(...('tmpfs' in m ? [mkdir(m.tmpfs), mountIn('tmpfs', m.tmpfs, 'tmpfs', MS.NOSUID | MS.NODEV)] : bindSteps(ROOT, m)));
    if (o.rootfs) steps.push({ op: 'pivot-root', root: ROOT, path: o.rootfs });
    // last of the mounts: everything above is made inside it
    if (o.roRoot) steps.push(mountIn(null, '/', null, MS.REMOUNT | MS.BIND | MS.RDONLY));
  }

  if (o.loUp) steps.push({ op: 'netlink-open', slot: NETLINK }, { op: 'rtnl', sock: NETLINK, req: { kind: 'link-up', name: 'lo' } });

  // credentials: groups and gid while we may still change them; keep the
  // permitted set across a setuid away from root, for the capabilities asked
  if (o.uid !== undefined || o.gid !== undefined || o.groups) steps.push({ op: 'setgroups', groups: o.groups ?? [] });
  if (o.gid !== undefined) steps.push({ op: 'setgid', gid: o.gid });
  if (o.uid !== undefined && o.uid !== 0 && o.caps) steps.push({ op: 'keep-permitted' });
  if (o.uid !== undefined) steps.push({ op: 'setuid', uid: o.uid });
  if (o.caps !== undefined) {
    const m = o.caps; // these and no others, in every set
    steps.push({ op: 'capsets', sets: { bounding: m, effective: m, permitted: m, inheritable: m, ambient: m } });
  }
  // after the capabilities: no_new_privs does not touch the ambient set
  if (o.noNewPrivs) steps.push({ op: 'no-new-privs' });
  if (o.chdir !== undefined) steps.push({ op: 'chdir', path: o.chdir });

  // Node's threads took the PIDs after ours before the tool became
  // tscore-exec: give the program PID 2 again, as a container's users expect
  if (o.init && o.proc) steps.push({ op: 'write', path: '/proc/sys/kernel/ns_last_pid', data: '1', ignore: 'any' });
  if (o.init) steps.push({ op: 'init' });
  // --env, --clear-env: applied at the exec, shown where it happens
  steps.push(...envStep(o.callerEnv, o.env));
  steps.push({ op: 'exec', file: o.program.file, argv: o.program.argv });
  return steps;
}

