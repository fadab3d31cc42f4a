// Users, groups and subordinate ids, read from /etc as shadow's tools read them.
import fs = require('fs');
import { ToolError } from './errors';

const MAX_ID = 0xfffffffe; // (uid_t)-1 means "no change" to the kernel

function lines(file: string): string[][] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/** A decimal id in range, or undefined. */
export function parseId(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n <= MAX_ID ? n : undefined;
}

/** A uid from a number or a user name; what = the message's noun. */
export function uidOf(text: string, what = 'uid'): number {
  const id = parseId(text) ?? lines('/etc/passwd').find((f) => f[0] === text && f.length >= 7)?.map(Number)[2];
  if (id === undefined || Number.isNaN(id)) throw new ToolError(`failed to parse ${what}: '${text}'`);
  return id;
}

export function gidOf(text: string, what = 'gid'): number {
  const id = parseId(text) ?? lines('/etc/group').find((f) => f[0] === text && f.length >= 3)?.map(Number)[2];
  if (id === undefined || Number.isNaN(id)) throw new ToolError(`failed to parse ${what}: '${text}'`);
  return id;
}

/** A strictly numeric id (util-linux's -S/-G take no names). */
export function numericId(text: string, what: string): number {
  const id = parseId(text);
  if (id === undefined) throw new ToolError(`failed to parse ${what}: '${text}'`);
  return id;
}

export function userName(uid: number): string | undefined {
  return lines('/etc/passwd').find((f) => Number(f[2]) === uid)?.[0];
}

export function loginShell(uid: number): string | undefined {
  return lines('/etc/passwd').find((f) => Number(f[2]) === uid)?.[6] || undefined;
}

export interface IdRange {
  inner: number;
  outer: number;
  count: number;
}

/** The first range /etc/subuid (or subgid) grants this user, by name or number. */
export function firstSubidRange(file: string, id: number, name: string | undefined): { start: number; count: number } | undefined {
  const line = lines(file).find((f) => f.length >= 3 && (f[0] === String(id) || (name !== undefined && f[0] === name)));
  if (!line) return undefined;
  const start = parseId(line[1]);
  const count = parseId(line[2]);
  return start === undefined || !count ? undefined : { start, count };
}
