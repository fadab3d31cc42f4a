// linux.devices and the devices runc always gives a container: nodes in its
// /dev, made with mknod (mode, owner as asked), or, in a user namespace
// (where mknod of a device is refused), the host's node of that path bound
// on an empty file, as runc does. Made only when /dev is not bound from the
// host (runc's rule), each path resolved inside the root.
import fs = require('fs');
import { errno, mkdirIn, mountIn, ToolError, MS, type Step } from 'tscontainer-core';

export interface Device {
  /** inside the container, absolute */
  path: string;
  /** c (u: unbuffered, made as c), b, or p (a FIFO) */
  type: 'c' | 'b' | 'u' | 'p';
  major: number;
  minor: number;
  /** the permission bits (default 0666) */
  mode: number;
  uid: number;
  gid: number;
}

/** runc's: null, zero, full, tty, urandom, random; 0666, root's */
export const DEFAULT_DEVICES: Device[] = ([
  ['/dev/null', 1, 3], ['/dev/zero', 1, 5], ['/dev/full', 1, 7], ['/dev/tty', 5, 0], ['/dev/urandom', 1, 9], ['/dev/random', 1, 8],
] as const).map(([p, major, minor]) => ({ path: p, type: 'c', major, minor, mode: 0o666, uid: 0, gid: 0 }));

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function uint(v: unknown, field: string, max = 2 ** 32 - 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new ToolError(`${field}: expected an integer from 0 to ${max}`);
  return v;
}

/** linux.devices, checked; then the defaults a given path does not replace. */
export function parseDevices(v: unknown): Device[] {
  if (v !== undefined && v !== null && !Array.isArray(v)) throw new ToolError('linux.devices: expected an array');
  const given = (v ?? []).map((d: unknown, i: number): Device => {
    const field = `linux.devices[${i}]`;
    if (!isObject(d)) throw new ToolError(`${field}: expected an object`);
    if (typeof d.path !== 'string' || !d.path.startsWith('/')) throw new ToolError(`${field}.path: expected an absolute path`);
    const parts = d.path.split('/').filter(Boolean);
    if (!parts.length || parts.includes('..') || parts.includes('.')) throw new ToolError(`${field}.path: '${d.path}' is not a file's path (no '.' or '..')`);
    const type = d.type;
    if (type !== 'c' && type !== 'b' && type !== 'u' && type !== 'p') throw new ToolError(`${field}.type: expected c, b, u or p, got '${String(type)}'`);
    const number = (x: unknown, name: string) => (type === 'p' && x === undefined ? 0 : uint(x, `${field}.${name}`));
    return {
      path: '/' + parts.join('/'),
      type,
      major: number(d.major, 'major'),
      minor: number(d.minor, 'minor'),
      // runc: the type bits in fileMode are ignored, the rest kept
      mode: d.fileMode === undefined ? 0o666 : uint(d.fileMode, `${field}.fileMode`) & 0o7777,
      uid: d.uid === undefined ? 0 : uint(d.uid, `${field}.uid`),
      gid: d.gid === undefined ? 0 : uint(d.gid, `${field}.gid`),
    };
  });
  return [...DEFAULT_DEVICES.filter((x) => !given.some((d: Device) => d.path === x.path)), ...given];
}

/** This runtime runs in a user namespace other than the initial one (runc's check: not the whole identity map). */
export function inUserNs(): boolean {
  try {
    return !/^\s*0\s+0\s+4294967295\s*$/.test(fs.readFileSync('/proc/self/uid_map', 'utf8'));
  } catch {
    return false;
  }
}

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

/** Each device: its directories, then mknod (and its owner), or the host's node bound. */
export function deviceNodeSteps(root: number, devices: Device[], bind: boolean): Step[] {
  const steps: Step[] = [];
  const made = new Set<string>();
  for (const d of devices) {
    const parts = d.path.split('/').filter(Boolean).slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const dir = '/' + parts.slice(0, i).join('/');
      if (!made.has(dir)) steps.push(mkdirIn(root, dir));
      made.add(dir);
    }
    if (bind) {
      steps.push({ op: 'touch-in', root, path: d.path }, mountIn(root, d.path, d.path, null, MS.BIND));
    } else {
      const kind = d.type === 'b' ? S_IFBLK : d.type === 'p' ? S_IFIFO : S_IFCHR;
      // one there already is kept (runc's)
      steps.push({ op: 'mknod-in', root, path: d.path, mode: kind | d.mode, major: d.major, minor: d.minor, uid: d.uid, gid: d.gid, ignore: errno.EEXIST });
    }
  }
  return steps;
}
