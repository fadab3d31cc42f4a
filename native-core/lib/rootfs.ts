// Steps that build a new root, shared by tsreexec and tsoci: directories,
// files and mounts inside it (resolved as from inside it: root.c), the
// devices a container's /dev holds, bind mounts. `root` is the slot that
// holds an O_PATH fd of the new root.
import { errno, MS } from './kernel';
import type { Step } from './plan';

/** the devices a container's /dev holds: the host's, bound (a user namespace may not mknod) */
export const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];
/** and its links */
export const DEV_LINKS: [string, string][] = [
  ['pts/ptmx', '/dev/ptmx'], ['/proc/self/fd', '/dev/fd'],
  ['/proc/self/fd/0', '/dev/stdin'], ['/proc/self/fd/1', '/dev/stdout'], ['/proc/self/fd/2', '/dev/stderr'],
];

export const mkdirIn = (root: number, path: string, mode = 0o755): Step => ({ op: 'mkdir-in', root, path, mode, ignore: errno.EEXIST });

export const mountIn = (root: number, source: string | null, path: string, fstype: string | null, flags: number, data: string | null = null): Step =>
  ({ op: 'mount-in', root, source, path, fstype, flags, data });

/** DEVICES, each an empty file with the host's device bound on it */
export function deviceSteps(root: number): Step[] {
  return DEVICES.flatMap((d): Step[] => [{ op: 'touch-in', root, path: `/dev/${d}` }, mountIn(root, `/dev/${d}`, `/dev/${d}`, null, MS.BIND)]);
}

/** DEV_LINKS; `ignore`: an errno that is no failure (EEXIST where the root may have them) */
export function devLinkSteps(root: number, ignore?: number): Step[] {
  return DEV_LINKS.map(([target, path]): Step => ({ op: 'symlink-in', root, target, path, ...(ignore === undefined ? {} : { ignore }) }));
}

/** A minimal /dev: a tmpfs, DEVICES, its own devpts instance and ptmx, shm, the links. */
export function devSteps(root: number): Step[] {
  return [
    mkdirIn(root, '/dev'), mountIn(root, 'tmpfs', '/dev', 'tmpfs', MS.NOSUID, 'mode=755,size=64k'),
    ...deviceSteps(root),
    mkdirIn(root, '/dev/pts'), mountIn(root, 'devpts', '/dev/pts', 'devpts', MS.NOSUID | MS.NOEXEC, 'newinstance,ptmxmode=0666,mode=620'),
    mkdirIn(root, '/dev/shm'), mountIn(root, 'tmpfs', '/dev/shm', 'tmpfs', MS.NOSUID | MS.NODEV, 'mode=1777'),
    ...devLinkSteps(root),
  ];
}

export interface BindMount {
  /** the host's path, resolved before the pivot */
  source: string;
  target: string;
  readOnly: boolean;
  /** a directory (else a file is made to bind on) */
  dir: boolean;
  /** MS_REC (rbind); default true */
  recursive?: boolean;
}

/** A bind mount in the new root: its mount point made, bound, then remounted read-only if asked. */
export function bindSteps(root: number, b: BindMount): Step[] {
  const steps: Step[] = [b.dir ? mkdirIn(root, b.target) : { op: 'touch-in', root, path: b.target }, mountIn(root, b.source, b.target, null, MS.BIND | (b.recursive === false ? 0 : MS.REC))];
  if (b.readOnly) steps.push(mountIn(root, null, b.target, null, MS.REMOUNT | MS.BIND | MS.RDONLY));
  return steps;
}
