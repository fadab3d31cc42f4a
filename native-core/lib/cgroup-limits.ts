// Portable limits → the knobs that carry them on cgroup v1 and on v2, with
// runc's conversions (OCI runtime spec semantics).
import fs = require('fs');
import { ToolError } from './errors';

export type Size = bigint | 'max';

export interface DeviceRate {
  device: string; // "MAJ:MIN"
  rate: bigint;
}

export interface Limits {
  memory?: Size;
  /** memory + swap, as docker's --memory-swap and v1's memsw */
  memorySwap?: Size;
  cpus?: number;
  cpuWeight?: number;
  cpuShares?: number;
  pids?: number | 'max';
  cpusetCpus?: string;
  cpusetMems?: string;
  deviceReadBps: DeviceRate[];
  deviceWriteBps: DeviceRate[];
  deviceReadIops?: DeviceRate[];
  deviceWriteIops?: DeviceRate[];
  /** blkio weight, 10..1000 (v1's scale; converted for v2's io.weight) */
  blkioWeight?: number;
  /** v1 only (cfq's blkio.leaf_weight) */
  blkioLeafWeight?: number;
  blkioWeightDevice?: DeviceWeight[];
  /** hugetlb limits by page size as the kernel names it ("2MB") */
  hugetlb?: { pageSize: string; limit: bigint }[];
}

export interface DeviceWeight {
  device: string; // "MAJ:MIN"
  weight?: number;
  leafWeight?: number;
}

export interface Knob {
  controller: string;
  file: string;
  value: string;
  /** the option it comes from, for messages */
  option: string;
}

const UNITS: Record<string, bigint> = { '': 1n, k: 1n << 10n, m: 1n << 20n, g: 1n << 30n, t: 1n << 40n, p: 1n << 50n };

/** A size as docker reads it: bytes, or a number (a fraction too) with k, m,
 * g, t or p, each a power of 1024, and an optional i and b (512m, 1.5G,
 * 10Mi, 64MiB); rounded down to whole bytes. "max" or -1: no limit. */
export function parseSize(text: string, option: string): Size {
  if (text === 'max' || text === '-1') return 'max';
  const m = /^(\d+)(?:\.(\d+))?(?:([kmgtp])i?)?b?$/i.exec(text);
  if (!m) throw new ToolError(`${option}: bad size '${text}' (bytes, or a number with k, m, g, t or p, as 512m, 1.5G, 10Mi; or max)`);
  const [, whole, fraction = '', unit = ''] = m;
  return (BigInt(whole + fraction) * UNITS[unit.toLowerCase()]) / 10n ** BigInt(fraction.length);
}

/** A whole number within what the kernel takes; `or` names another word it takes ("max"). */
export function parseCount(text: string, option: string, min: number, max: number, or?: string): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max)
    throw new ToolError(`${option}: bad number '${text}' (a whole number from ${min} to ${max}${or ? `, or ${or}` : ''})`);
  return Number(text);
}

/** The most PIDs a system can have (PID_MAX_LIMIT): pids.max takes 0 to this. */
export const PID_MAX_LIMIT = 4194304;

/** "/dev/sda:10M" or "8:0:10M" */
export function parseDeviceRate(text: string, option: string): DeviceRate {
  const at = text.lastIndexOf(':');
  const dev = text.slice(0, at);
  const rate = parseSize(text.slice(at + 1), option);
  if (at <= 0 || rate === 'max') throw new ToolError(`${option}: bad value '${text}' (expected <device>:<rate>)`);
  if (/^\d+:\d+$/.test(dev)) return { device: dev, rate };
  let st: fs.Stats;
  try {
    st = fs.statSync(dev);
  } catch {
    throw new ToolError(`${option}: no such device '${dev}'`);
  }
  if (!st.isBlockDevice()) throw new ToolError(`${option}: '${dev}' is not a block device`);
  const major = (st.rdev >> 8) & 0xfff;
  const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
  return { device: `${major}:${minor}`, rate };
}

/** cpu.shares (v1, 2..262144) → cpu.weight (v2, 1..10000), as runc and crun convert. */
export function sharesToWeight(shares: number): number {
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  return Math.ceil(10 ** ((l * l + 125 * l) / 612 - 7 / 34));
}

/** The inverse of sharesToWeight, for a weight on a v1 host. */
export function weightToShares(weight: number): number {
  const l = (-125 + Math.sqrt(125 * 125 + 4 * 612 * (Math.log10(weight) + 7 / 34))) / 2;
  return Math.min(262144, Math.max(2, Math.round(2 ** l)));
}

const PERIOD = 100000;

/** The knob writes that set these limits on a cgroup of this version, in
 * order; `current` reads one of its knobs as it is now ('' if it has none). */
export function knobs(l: Limits, version: 1 | 2, current: (file: string) => string = () => ''): Knob[] {
  const out: Knob[] = [];
  const k = (controller: string, file: string, value: string | number | bigint, option: string) =>
    out.push({ controller, file, value: String(value), option });
  const v1size = (s: Size) => (s === 'max' ? '-1' : s);
  if (l.memory !== undefined)
    k('memory', version === 1 ? 'memory.limit_in_bytes' : 'memory.max', version === 1 ? v1size(l.memory) : l.memory, '--memory');
  if (l.memorySwap !== undefined) {
    if (version === 1) {
      k('memory', 'memory.memsw.limit_in_bytes', v1size(l.memorySwap), '--memory-swap');
    } else {
      // v2 limits swap alone: memory+swap minus memory
      const swap = l.memorySwap === 'max' || l.memory === undefined || l.memory === 'max' ? 'max' : l.memorySwap - l.memory;
      k('memory', 'memory.swap.max', swap, '--memory-swap');
    }
  }
  // v1 keeps memsw ≥ memory at every write: a memory limit raised above the
  // current memsw one goes in after the new memsw (as runc orders the two;
  // `out` holds just these two writes here)
  const memsw = current('memory.memsw.limit_in_bytes');
  if (version === 1 && l.memory !== undefined && /^\d+$/.test(memsw) && (l.memory === 'max' || l.memory > BigInt(memsw))) out.reverse();
  if (l.cpus !== undefined) {
    const quota = Math.round(l.cpus * PERIOD);
    if (version === 1) {
      k('cpu', 'cpu.cfs_period_us', PERIOD, '--cpus');
      k('cpu', 'cpu.cfs_quota_us', quota, '--cpus');
    } else {
      k('cpu', 'cpu.max', `${quota} ${PERIOD}`, '--cpus');
    }
  }
  if (l.cpuShares !== undefined)
    k('cpu', version === 1 ? 'cpu.shares' : 'cpu.weight', version === 1 ? l.cpuShares : sharesToWeight(l.cpuShares), '--cpu-shares');
  if (l.cpuWeight !== undefined)
    k('cpu', version === 1 ? 'cpu.shares' : 'cpu.weight', version === 1 ? weightToShares(l.cpuWeight) : l.cpuWeight, '--cpu-weight');
  if (l.pids !== undefined) k('pids', 'pids.max', l.pids, '--pids');
  if (l.cpusetCpus !== undefined) k('cpuset', 'cpuset.cpus', l.cpusetCpus, '--cpuset-cpus');
  if (l.cpusetMems !== undefined) k('cpuset', 'cpuset.mems', l.cpusetMems, '--cpuset-mems');
  blkioKnobs(l, version, current, k);
  for (const [list, dir, unit] of [
    [l.deviceReadBps, 'read', 'bps'], [l.deviceWriteBps, 'write', 'bps'], [l.deviceReadIops ?? [], 'read', 'iops'], [l.deviceWriteIops ?? [], 'write', 'iops'],
  ] as const) {
    for (const d of list) {
      if (version === 1) k('blkio', `blkio.throttle.${dir}_${unit}_device`, `${d.device} ${d.rate}`, `--device-${dir}-${unit}`);
      else k('io', 'io.max', `${d.device} ${dir === 'read' ? 'r' : 'w'}${unit}=${d.rate}`, `--device-${dir}-${unit}`);
    }
  }
  // each limit also to the reservation's file where the kernel has it (5.7+), as runc
  for (const h of l.hugetlb ?? []) {
    const [file, rsvd] = version === 1
      ? [`hugetlb.${h.pageSize}.limit_in_bytes`, `hugetlb.${h.pageSize}.rsvd.limit_in_bytes`]
      : [`hugetlb.${h.pageSize}.max`, `hugetlb.${h.pageSize}.rsvd.max`];
    k('hugetlb', file, h.limit, '--hugetlb');
    if (current(rsvd) !== '') k('hugetlb', rsvd, h.limit, '--hugetlb');
  }
  return out;
}

/** blkio weight 10..1000 → io.weight 1..10000, as runc converts it */
export const blkioToIoWeight = (w: number) => 1 + Math.floor(((w - 10) * 9999) / 990);

type Put = (controller: string, file: string, value: string | number | bigint, option: string) => void;

/** The weights, as runc places them: v1 in blkio.weight[_device] (cfq) if
 * the cgroup has it, else blkio.bfq.weight[_device], leaf ones in
 * blkio.leaf_weight[_device]; v2 in io.bfq.weight (per device only where it
 * takes them, 5.4+) if it has it, else the converted weight in io.weight,
 * with no per-device or leaf weight. */
function blkioKnobs(l: Limits, version: 1 | 2, current: (file: string) => string, k: Put): void {
  const devices = l.blkioWeightDevice ?? [];
  if (version === 1) {
    const base = current('blkio.weight') !== '' ? 'blkio.weight' : 'blkio.bfq.weight';
    if (l.blkioWeight !== undefined) k('blkio', base, l.blkioWeight, '--blkio-weight');
    if (l.blkioLeafWeight !== undefined) k('blkio', 'blkio.leaf_weight', l.blkioLeafWeight, '--blkio-leaf-weight');
    for (const d of devices) {
      if (d.weight !== undefined) k('blkio', `${base}_device`, `${d.device} ${d.weight}`, '--blkio-weight-device');
      if (d.leafWeight !== undefined) k('blkio', 'blkio.leaf_weight_device', `${d.device} ${d.leafWeight}`, '--blkio-weight-device');
    }
    return;
  }
  const bfq = current('io.bfq.weight');
  if (l.blkioWeight !== undefined) {
    if (bfq !== '') k('io', 'io.bfq.weight', l.blkioWeight, '--blkio-weight');
    else k('io', 'io.weight', blkioToIoWeight(l.blkioWeight), '--blkio-weight');
  }
  // a kernel with per-device bfq weights shows "default N" (and devices), an older one a bare number
  if (bfq !== '' && !/^\d+$/.test(bfq)) {
    for (const d of devices) if (d.weight !== undefined) k('io', 'io.bfq.weight', `${d.device} ${d.weight}`, '--blkio-weight-device');
  }
}

/** Validate limits that depend on each other. */
export function checkLimits(l: Limits): void {
  if (l.memory === 0n) throw new ToolError('--memory: 0 bytes would kill every process in the cgroup (max means no limit)');
  if (l.memorySwap !== undefined && l.memorySwap !== 'max') {
    if (l.memory === undefined) throw new ToolError('--memory-swap needs --memory (it is memory plus swap)');
    if (l.memory === 'max' || l.memorySwap < l.memory) throw new ToolError('--memory-swap must be at least --memory');
  }
  if (l.cpuShares !== undefined && l.cpuWeight !== undefined) throw new ToolError('--cpu-shares and --cpu-weight are mutually exclusive');
}
