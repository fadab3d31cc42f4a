// NsenterOptions → the system calls, in util-linux nsenter's order: open
// everything first (the target's pidfd, then what belongs to it), check the
// target still lives, enter, then root, directory and credentials, and fork
// when a pid namespace was entered.
import os = require('os');
import { envStep, errno, nsFlag, sealedExe, withMessage, O, type NsType, type Step } from 'tscontainer-core';
import type { NsenterOptions } from './cli';

const PIDFD = 0;
const ROOT = 1;
const WD = 2;
const NETSOCK = 3;
const USER_FROM = 4;
const USER_PARENT = 5;
const FIRST_NS_SLOT = 6;

/** util-linux's order for entering by file: the user namespace first in the second pass */
const ENTER_ORDER: NsType[] = ['user', 'cgroup', 'ipc', 'uts', 'net', 'pid', 'mnt', 'time'];

function kernelAtLeast(major: number, minor: number): boolean {
  const [a, b] = os.release().split('.').map((x) => parseInt(x, 10));
  return a > major || (a === major && b >= minor);
}

export function plan(o: NsenterOptions, self: number, kernel = { pidfd: kernelAtLeast(5, 3), setnsPidfd: kernelAtLeast(5, 8) }): Step[] {
  // from here until the exec, this process will stand in the target's
  // namespaces: keep the target's processes out of it (/proc/PID/*, ptrace)
  const steps: Step[] = [{ op: 'nondumpable' }];
  // a program found in the target's files (its mounts, a root or directory
  // of its) may be "#!/proc/self/exe": this executable, run again in the
  // target and dumpable; then let it be a sealed copy, not the host's file
  // (CVE-2019-5736)
  if (o.namespaces.has('mnt') || o.root || o.wd || o.wdns) steps.unshift(sealedExe());
  const t = o.target;
  // "0": the writer, whichever process runs the step (in a folded chain, not Node's)
  if (o.joinCgroup) steps.push({ op: 'write', path: o.joinCgroup, data: '0' });

  // the target, pinned by a pidfd before anything else is read from its /proc
  const pidfd = t !== undefined && kernel.pidfd;
  if (pidfd) {
    steps.push(withMessage({ op: 'pidfd-open', pid: t.pid, slot: PIDFD, as: 'pidfd' }, errno.ESRCH, `no process ${t.pid}`));
    if (t.ino !== undefined) {
      const check: Step = { op: 'check-ino', slot: PIDFD, ino: t.ino, what: `pidfd of ${t.pid}` };
      steps.push(withMessage(check, errno.ESRCH, `PID ${t.pid} is no longer the process ${t.pid}:${t.ino} named: that one ended, and the PID now belongs to another`));
    }
  } else if (t?.ino !== undefined) {
    throw new Error('-t PID:INODE needs pidfds (Linux 5.3)');
  }

  // directories named by the caller, opened before entering: they "tunnel" into the new root
  const dirFlags = O.RDONLY | O.DIRECTORY;
  if (o.root) steps.push({ op: 'open', path: o.root, slot: ROOT, flags: dirFlags, as: 'rootfd' });
  if (o.wd) steps.push({ op: 'open', path: o.wd, slot: WD, flags: dirFlags, as: 'wdfd' });

  // namespaces entered through an fd: files, and the target's own where setns(pidfd) is missing
  const viaPidfd: NsType[] = [];
  const viaFd: { type: NsType; slot: number; name: string }[] = [];
  let slot = FIRST_NS_SLOT;
  for (const [type, source] of o.namespaces) {
    if (source.from === 'target' && kernel.setnsPidfd) {
      viaPidfd.push(type);
      continue;
    }
    const file = source.from === 'file' ? source.path : `/proc/${t!.pid}/ns/${type}`;
    steps.push({ op: 'open', path: file, slot, flags: O.RDONLY, as: `nsfd[${type}]` });
    viaFd.push({ type, slot: slot++, name: file });
  }
  if (o.netSocket !== undefined) {
    steps.push({ op: 'socket-netns', pidfd: PIDFD, fd: o.netSocket, slot: NETSOCK, as: 'nsfd[net]' });
    viaFd.push({ type: 'net', slot: NETSOCK, name: `nsfd[net] (of fd ${o.netSocket} of ${t!.pid})` });
  }
  if (o.userParent) {
    // with a user namespace: its parent instead; else the owner of another one
    const fromUser = o.namespaces.has('user');
    const base = fromUser ? 'user' : [...o.namespaces.keys()][0];
    const known = viaFd.find((f) => f.type === base);
    const from = known?.slot ?? USER_FROM;
    if (!known) steps.push({ op: 'open', path: `/proc/${t!.pid}/ns/${base}`, slot: USER_FROM, flags: O.RDONLY, as: `nsfd[${base}]` });
    const owner = fromUser ? 'nsfd[parent user]' : 'nsfd[owning user]';
    steps.push({ op: 'ns-get', from, what: fromUser ? 'parent' : 'userns', slot: USER_PARENT, name: known?.name ?? `/proc/${t!.pid}/ns/${base}`, as: owner });
    viaPidfd.splice(0, viaPidfd.length, ...viaPidfd.filter((x) => x !== 'user'));
    viaFd.splice(0, viaFd.length, ...viaFd.filter((x) => x.type !== 'user'), { type: 'user', slot: USER_PARENT, name: owner });
  }
  if (pidfd) steps.push(withMessage({ op: 'pidfd-alive', slot: PIDFD, what: `pidfd of ${t.pid}` }, errno.ESRCH, `process ${t.pid} ended while its namespaces were being opened`));

  // entering a user namespace as ourselves: drop our supplementary groups
  // first, while we may (its setgroups may be "deny"); again after, below
  const user = o.namespaces.has('user') || o.userParent;
  if (user && !o.preserveCredentials) steps.push({ op: 'setgroups', ignore: 'any' });

  // enter
  if (viaPidfd.length) {
    steps.push({ op: 'setns', slot: PIDFD, nstype: viaPidfd.reduce((f, x) => f | nsFlag(x), 0), what: `pidfd of ${t!.pid}` });
  }
  const ordered = [...viaFd].sort((a, b) => ENTER_ORDER.indexOf(a.type) - ENTER_ORDER.indexOf(b.type));
  const setns = (f: (typeof viaFd)[number]): Step => ({ op: 'setns', slot: f.slot, nstype: nsFlag(f.type), what: f.name });
  // first pass: all but the user namespace, with our own privileges, errors
  // forgiven; second: the user namespace, then what failed before
  steps.push(...ordered.filter((f) => f.type !== 'user').map((f) => ({ ...setns(f), ignore: 'any' as const })));
  steps.push(...ordered.map(setns));

  // With a new root and no directory named, the program starts at that
  // root. util-linux keeps the directory it had (after entering a mount
  // namespace, that namespace's root), which is outside the new root when
  // no mount namespace is entered or the target only chroot()ed: the
  // container's processes would reach the host through /proc/PID/cwd
  // (CVE-2024-21626's class). "/" of the new root is never outside it.
  if (o.root) steps.push({ op: 'fchdir', slot: ROOT, what: `rootfd (${o.root})` }, { op: 'chroot', path: '.' });
  if (o.wd) steps.push({ op: 'fchdir', slot: WD, what: `wdfd (${o.wd})` });
  else if (o.wdns) steps.push({ op: 'chdir', path: o.wdns });
  else if (o.root) steps.push({ op: 'chdir', path: '/' });

  // entering a user namespace makes us root there, unless told otherwise
  const gid = o.setgid ?? (user && !o.preserveCredentials ? 0 : undefined);
  const uid = o.setuid ?? (user && !o.preserveCredentials ? 0 : undefined);
  if (gid !== undefined) {
    // setgroups is refused where the target's namespace denies it: not an error
    if (!o.preserveCredentials) steps.push({ op: 'setgroups', ignore: errno.EPERM });
    steps.push({ op: 'setgid', gid });
  }
  if (uid !== undefined) steps.push({ op: 'setuid', uid });
  if (o.keepCaps && user) steps.push({ op: 'keep-caps' });
  // a change of credentials resets dumpable to fs.suid_dumpable (which a
  // host may set to 1): once more, after the last of them
  if (gid !== undefined || uid !== undefined || (o.keepCaps && user)) steps.push({ op: 'nondumpable' });

  if ((o.namespaces.has('pid')) && !o.noFork) steps.push({ op: 'fork', signals: 'none', untraced: true, parent: [] });
  // -e: the target's environment, applied at the exec
  steps.push(...envStep(o.callerEnv, o.env, o.envFrom === undefined ? undefined : `process ${o.envFrom}`));
  steps.push({ op: 'exec', file: o.program.file, argv: o.program.argv });
  return steps;
}
