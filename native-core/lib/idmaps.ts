// uid and gid maps of a user namespace: the spellings of unshare's options,
// the whole map they make, the kernel's rules for it, and who may write it
// (as root: anything, directly; otherwise shadow's newuidmap/newgidmap, for
// ranges /etc/subuid or /etc/subgid grants).
import fs = require('fs');
import { ToolError } from './errors';
import type { Option } from './getopt';
import { firstSubidRange, userName, type IdRange } from './users';

export type IdKind = 'uid' | 'gid';

/** The map options as unshare spells them, which tsunshare and tsmaproot share. */
export const MAP_OPTIONS: Option[] = [
  { key: 'map-root-user', short: 'r', long: 'map-root-user', arg: 'none' },
  { key: 'map-current-user', short: 'c', long: 'map-current-user', arg: 'none' },
  { key: 'map-user', long: 'map-user', arg: 'required' },
  { key: 'map-group', long: 'map-group', arg: 'required' },
  { key: 'map-users', long: 'map-users', arg: 'required' },
  { key: 'map-groups', long: 'map-groups', arg: 'required' },
];

const ID_END = 2 ** 32 - 1; // (u32)-1 is not an id
/** how many lines the kernel takes in one map (since Linux 4.15) */
export const MAX_MAP_LINES = 340;

/** One --map-users/--map-groups SPEC as ranges: inner:outer:count (or util-linux 2.38's outer,inner,count), auto, subids, all. */
export function parseMapSpec(spec: string, kind: IdKind, self: number): IdRange[] {
  const file = kind === 'uid' ? '/etc/subuid' : '/etc/subgid';
  if (spec === 'auto' || spec === 'subids') {
    const range = firstSubidRange(file, self, userName(self));
    if (!range) throw new ToolError(`no subordinate ${kind}s for ${userName(self) ?? self} in ${file}`);
    const inner = spec === 'auto' ? 0 : range.start;
    return [{ inner, outer: range.start, count: range.count }];
  }
  if (spec === 'all') {
    // the whole of our own map, each id mapped to itself
    const own = fs.readFileSync(`/proc/self/${kind}_map`, 'utf8').trim().split('\n');
    return own.map((line) => {
      const [inner, , count] = line.trim().split(/\s+/).map(Number);
      return { inner, outer: inner, count };
    });
  }
  const m = /^(\d+)([:,])(\d+)\2(\d+)$/.exec(spec);
  if (!m || Number(m[4]) === 0) throw new ToolError(`invalid mapping '${spec}'`);
  const [a, b, count] = [Number(m[1]), Number(m[3]), Number(m[4])];
  return [m[2] === ':' ? { inner: a, outer: b, count } : { inner: b, outer: a, count }];
}

/** The range without the ids that the single --map-user/--map-group entry takes. */
function punch(r: IdRange, inner: number, outer: number): IdRange[] {
  const holes = [inner - r.inner, outer - r.outer].filter((k) => k >= 0 && k < r.count).sort((a, b) => a - b);
  const out: IdRange[] = [];
  let from = 0;
  for (const k of [...holes, r.count]) {
    if (k > from) out.push({ inner: r.inner + from, outer: r.outer + from, count: k - from });
    from = Math.max(from, k + 1);
  }
  return out;
}

/** The whole id map: the single entry first, then the ranges with its ids taken out. */
export function idMap(single: number | undefined, from: number, ranges: IdRange[]): IdRange[] {
  if (single === undefined) return ranges;
  return [{ inner: single, outer: from, count: 1 }, ...ranges.flatMap((r) => punch(r, single, from))];
}

export const mapText = (map: IdRange[]) => map.map((r) => `${r.inner} ${r.outer} ${r.count}\n`).join('');

/** What the kernel would refuse in a map, refused first, in one line. */
export function checkMap(map: IdRange[], kind: IdKind): void {
  if (map.length > MAX_MAP_LINES) throw new ToolError(`the ${kind} map has ${map.length} lines; the kernel takes at most ${MAX_MAP_LINES}`);
  const line = (r: IdRange) => `'${r.inner} ${r.outer} ${r.count}'`;
  for (const r of map) {
    if (r.count < 1 || r.inner + r.count > ID_END || r.outer + r.count > ID_END)
      throw new ToolError(`${kind} map line ${line(r)} is out of range (ids below ${ID_END})`);
  }
  for (const side of ['inner', 'outer'] as const) {
    const sorted = [...map].sort((a, b) => a[side] - b[side]);
    for (let k = 1; k < sorted.length; k++) {
      if (sorted[k][side] < sorted[k - 1][side] + sorted[k - 1].count)
        throw new ToolError(`${kind} map lines ${line(sorted[k - 1])} and ${line(sorted[k])} overlap`);
    }
  }
}

/** Without privilege, each range must be the caller's own id or lie in what
 * /etc/subuid (subgid) grants it: what newuidmap would refuse, refused first. */
export function checkGranted(map: IdRange[], kind: IdKind, self: number): void {
  const file = kind === 'uid' ? '/etc/subuid' : '/etc/subgid';
  const name = userName(self);
  const granted = fs.existsSync(file)
    ? fs.readFileSync(file, 'utf8').split('\n').map((l) => l.split(':'))
        .filter((f) => f.length >= 3 && (f[0] === String(self) || f[0] === name))
        .map((f) => ({ start: Number(f[1]), count: Number(f[2]) }))
    : [];
  for (const r of map) {
    const own = r.count === 1 && r.outer === self;
    if (!own && !granted.some((g) => r.outer >= g.start && r.outer + r.count <= g.start + g.count))
      throw new ToolError(`${kind}s ${r.outer}-${r.outer + r.count - 1} are not ${name ?? self}'s to map (see ${file})`);
  }
}
