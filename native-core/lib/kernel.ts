// Kernel constants and their names, for plans and for printing them.
import os = require('os');

export const CLONE = {
  NEWTIME: 0x00000080,
  NEWNS: 0x00020000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
} as const;

export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  SYNCHRONOUS: 16,
  REMOUNT: 32,
  MANDLOCK: 64,
  DIRSYNC: 128,
  NOATIME: 1024,
  NODIRATIME: 2048,
  BIND: 4096,
  MOVE: 8192,
  REC: 16384,
  UNBINDABLE: 1 << 17,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
  RELATIME: 1 << 21,
  STRICTATIME: 1 << 24,
} as const;

export const O = { RDONLY: 0, WRONLY: 1, RDWR: 2, DIRECTORY: 0o200000, PATH: 0o10000000 } as const;

export const errno = os.constants.errno;

/** The namespace types, in the order util-linux lists them, with their /proc/PID/ns names. */
export type NsType = 'mnt' | 'uts' | 'ipc' | 'net' | 'pid' | 'user' | 'cgroup' | 'time';
export const NAMESPACES: readonly { type: NsType; flag: number; short: string; long: string }[] = [
  { type: 'mnt', flag: CLONE.NEWNS, short: 'm', long: 'mount' },
  { type: 'uts', flag: CLONE.NEWUTS, short: 'u', long: 'uts' },
  { type: 'ipc', flag: CLONE.NEWIPC, short: 'i', long: 'ipc' },
  { type: 'net', flag: CLONE.NEWNET, short: 'n', long: 'net' },
  { type: 'pid', flag: CLONE.NEWPID, short: 'p', long: 'pid' },
  { type: 'user', flag: CLONE.NEWUSER, short: 'U', long: 'user' },
  { type: 'cgroup', flag: CLONE.NEWCGROUP, short: 'C', long: 'cgroup' },
  { type: 'time', flag: CLONE.NEWTIME, short: 'T', long: 'time' },
];

export function nsFlag(type: NsType): number {
  return NAMESPACES.find((n) => n.type === type)!.flag;
}

function names(table: Record<string, number>, prefix: string, value: number): string {
  if (value === 0) return '0';
  const parts: string[] = [];
  let rest = value;
  for (const [name, bit] of Object.entries(table)) {
    if (bit !== 0 && (rest & bit) === bit) {
      parts.push(prefix + name);
      rest &= ~bit;
    }
  }
  if (rest) parts.push('0x' + rest.toString(16));
  return parts.join('|');
}

export const cloneNames = (flags: number) => names(CLONE, 'CLONE_', flags);
export const mountNames = (flags: number) => names(MS, 'MS_', flags);
export function openNames(flags: number): string {
  return flags === 0 ? 'O_RDONLY' : names({ WRONLY: O.WRONLY, RDWR: O.RDWR, DIRECTORY: O.DIRECTORY, PATH: O.PATH }, 'O_', flags);
}

export function errnoName(n: number): string {
  return Object.entries(errno).find(([, v]) => v === n)?.[0] ?? String(n);
}
