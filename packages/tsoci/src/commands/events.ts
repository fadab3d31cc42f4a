// `tsoci events`: a container's statistics from its cgroups, as runc prints
// them: one {"type":"stats","id","data"} line (--stats), or one every
// --interval, with an {"type":"oom"} line when the kernel's OOM killer has
// struck in it since, until the container stops. Files of v1 hierarchies
// (cpuacct, cpu, memory, pids) and of v2 (cpu.stat, memory.*, pids.*).
import fs = require('fs');
import path = require('path');
import { readOr, ToolError } from 'tscontainer-core';

type Json = Record<string, unknown>;

/** the directory among them that has this file */
function find(dirs: string[], file: string): string | undefined {
  const dir = dirs.find((d) => fs.existsSync(path.join(d, file)));
  return dir && path.join(dir, file);
}

/** a counter; past 2^53 a bigint, printed exactly (statsLine) */
const num = (text: string): number | bigint => {
  if (!/^\d+$/.test(text)) return 0;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
};

/** "key value" lines as numbers */
function table(file: string | undefined): Record<string, number | bigint> {
  const out: Record<string, number | bigint> = {};
  for (const line of (file ? readOr(file, '') : '').split('\n')) {
    const [k, v] = line.split(' ');
    if (k && /^\d+$/.test(v ?? '')) out[k] = num(v);
  }
  return out;
}

const n = (v: number | bigint | undefined) => Number(v ?? 0);

const read = (dirs: string[], file: string) => {
  const f = find(dirs, file);
  return f ? readOr(f, '') : '';
};

/** v1 limits read 2^63-ish for none, v2 "max": both mean none */
const limit = (text: string) => (text === 'max' ? 2n ** 64n - 1n : num(text));

export function stats(dirs: string[]): Json {
  const tick = 1e9 / 100; // USER_HZ, in ns (cpuacct.stat counts ticks)
  const v2cpu = table(find(dirs, 'cpu.stat'));
  const acct = table(find(dirs, 'cpuacct.stat'));
  const v1 = find(dirs, 'cpuacct.usage') !== undefined;
  const cpu = {
    usage: v1
      ? {
          total: num(read(dirs, 'cpuacct.usage')),
          percpu: read(dirs, 'cpuacct.usage_percpu').split(/\s+/).filter(Boolean).map(Number),
          kernel: n(acct.system) * tick,
          user: n(acct.user) * tick,
        }
      : { total: n(v2cpu.usage_usec) * 1000, kernel: n(v2cpu.system_usec) * 1000, user: n(v2cpu.user_usec) * 1000 },
    throttling: {
      periods: v2cpu.nr_periods ?? 0,
      throttled_periods: v2cpu.nr_throttled ?? 0,
      throttled_time: v2cpu.throttled_time ?? n(v2cpu.throttled_usec) * 1000,
    },
  };
  const memV1 = find(dirs, 'memory.usage_in_bytes') !== undefined;
  const memory = memV1
    ? {
        usage: { usage: num(read(dirs, 'memory.usage_in_bytes')), max: num(read(dirs, 'memory.max_usage_in_bytes')), limit: limit(read(dirs, 'memory.limit_in_bytes')), failcnt: num(read(dirs, 'memory.failcnt')) },
        swap: { usage: num(read(dirs, 'memory.memsw.usage_in_bytes')), max: num(read(dirs, 'memory.memsw.max_usage_in_bytes')), limit: limit(read(dirs, 'memory.memsw.limit_in_bytes')), failcnt: num(read(dirs, 'memory.memsw.failcnt')) },
        raw: table(find(dirs, 'memory.stat')),
      }
    : {
        usage: { usage: num(read(dirs, 'memory.current')), max: num(read(dirs, 'memory.peak')), limit: limit(read(dirs, 'memory.max')), failcnt: 0 },
        swap: { usage: num(read(dirs, 'memory.swap.current')), limit: limit(read(dirs, 'memory.swap.max')) },
        raw: table(find(dirs, 'memory.stat')),
      };
  const pidsMax = read(dirs, 'pids.max');
  return { cpu, memory, pids: { current: num(read(dirs, 'pids.current')), limit: pidsMax === 'max' ? 0 : num(pidsMax) } };
}

/** how many OOM kills the kernel counts in the container's memory cgroup */
export function oomKills(dirs: string[]): number {
  return n(table(find(dirs, 'memory.oom_control')).oom_kill ?? table(find(dirs, 'memory.events')).oom_kill);
}

/** "5s", "500ms", "1m" → ms (runc's --interval, a Go duration) */
export function interval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!m || Number(m[1]) <= 0) throw new ToolError(`--interval: expected a duration such as 5s or 500ms, got '${text}'`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

/** one line of JSON; counters past 2^53 exact, as runc's uint64 */
export const statsLine = (id: string, dirs: string[]) =>
  JSON.stringify({ type: 'stats', id, data: stats(dirs) }, (_, v) => (typeof v === 'bigint' ? `\u0000${v}` : v)).replace(/"\\u0000(\d+)"/g, '$1') + '\n';
