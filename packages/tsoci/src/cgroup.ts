// linux.resources and cgroupsPath through the core's cgroup model (as
// tscgcreate and tscgexec use it): the directories made in Node before the
// plan runs, one in every hierarchy (as runc joins them all), the limits
// written with runc's v1/v2 conversions, the device rules (v1's files, or
// an eBPF program on v2), the init joining them before it forks; delete
// kills what is left and removes them. A `cgroup` mount shows the container
// its own directories.
import fs = require('fs');
import path = require('path');
import { blockIOSet, parseBlockIO } from './blockio';
import { parseHugepageLimits } from './hugepages';
import { cannotOnV1, parseUnified, unifiedControllers } from './unified';
import { deviceProgram } from './devices-bpf';
import {
  addon, checkLimits, errno, joinSteps, knobs, members, mkdirIn, mountIn, readCgroups, ToolError, MS,
  type CgroupDir, type Cgroups, type Limits, type Step,
} from 'tscontainer-core';

export interface CgroupPlan {
  /** "/a/b", under each hierarchy's root; or, `relative`, under tsoci's own cgroup there (runc's rule) */
  path: string;
  relative: boolean;
  limits: Limits;
  /** the controllers the limits need (enabled for it on cgroup v2) */
  controllers: string[];
  /** the devices cgroup's rules, in order: "c 1:3 rwm" to devices.allow or .deny (v1), an eBPF program (v2) */
  devices: DeviceRule[];
  /** linux.resources.unified: cgroup v2 files and their values */
  unified: Record<string, string>;
}

export interface DeviceRule {
  allow: boolean;
  rule: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function int(v: unknown, field: string, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ToolError(`${field}: expected an integer of at least ${min}`);
  return v;
}

/** runc's AllowedDevices, after the spec's rules: mknod of any device, and
 * null, random, full, tty, zero, urandom, the ptys, ptmx, tun */
const ALLOWED_DEVICES = ['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:8 rwm', 'c 1:7 rwm', 'c 5:0 rwm', 'c 1:5 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 5:2 rwm', 'c 10:200 rwm'];

/** linux.resources.devices (and an allow rule for each of linux.devices) →
 * v1 rules: as runc, every device denied first, runc's allowed ones last */
function deviceRules(r: Json, linux: Json): DeviceRule[] {
  const rules: DeviceRule[] = [{ allow: false, rule: 'a' }];
  const num = (v: unknown, field: string) => (v === undefined || v === null || v === -1 ? '*' : String(int(v, field)));
  for (const [i, d] of (Array.isArray(r.devices) ? r.devices : []).entries()) {
    const field = `linux.resources.devices[${i}]`;
    if (!isObject(d)) throw new ToolError(`${field}: expected an object`);
    if (typeof d.allow !== 'boolean') throw new ToolError(`${field}.allow: expected true or false`);
    const type = d.type ?? 'a';
    if (type !== 'a' && type !== 'c' && type !== 'b') throw new ToolError(`${field}.type: expected a, c or b, got '${String(type)}'`);
    const access = d.access ?? 'rwm';
    if (typeof access !== 'string' || !/^[rwm]{1,3}$/.test(access)) throw new ToolError(`${field}.access: expected letters of rwm, got '${String(access)}'`);
    // "a": every device (the kernel takes no numbers with it)
    rules.push({ allow: d.allow, rule: type === 'a' ? 'a' : `${type} ${num(d.major, `${field}.major`)}:${num(d.minor, `${field}.minor`)} ${access}` });
  }
  // the container's own devices may be used (runc allows each)
  for (const d of Array.isArray(linux.devices) ? linux.devices : []) {
    // "u" (unbuffered) is a character device too; "p" (a FIFO) is no device
    if (isObject(d) && ['c', 'u', 'b'].includes(d.type as string) && Number.isInteger(d.major) && Number.isInteger(d.minor)) {
      rules.push({ allow: true, rule: `${d.type === 'b' ? 'b' : 'c'} ${d.major}:${d.minor} rwm` });
    }
  }
  return [...rules, ...ALLOWED_DEVICES.map((rule) => ({ allow: true, rule }))];
}

/** linux.resources → Limits; what the model does not carry is refused by
 * name. Every container gets a cgroup, as with runc (its device rules deny
 * by default): cgroupsPath, else one named after the id and the bundle
 * (ids are unique within one --root only) beneath tsoci's own cgroup. */
export function parseResources(linux: Json, id: string, bundle: string): CgroupPlan {
  const r = isObject(linux.resources) ? linux.resources : {};
  const given = typeof linux.cgroupsPath === 'string' && linux.cgroupsPath !== '' ? linux.cgroupsPath : undefined;
  for (const key of Object.keys(r)) {
    if (['memory', 'cpu', 'pids', 'devices', 'blockIO', 'hugepageLimits', 'unified'].includes(key)) continue;
    const v = r[key];
    if (v === null || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0)) continue;
    throw new ToolError(`linux.resources.${key} is not supported by tsoci yet`);
  }
  const l: Limits = { deviceReadBps: [], deviceWriteBps: [] };
  const controllers = new Set<string>();
  if (isObject(r.memory)) {
    for (const key of Object.keys(r.memory)) {
      if (!['limit', 'swap'].includes(key)) throw new ToolError(`linux.resources.memory.${key} is not supported by tsoci yet`);
    }
    const size = (v: unknown, field: string) => (v === -1 ? 'max' as const : BigInt(int(v, field, 1)));
    if (r.memory.limit !== undefined) l.memory = size(r.memory.limit, 'linux.resources.memory.limit');
    if (r.memory.swap !== undefined) l.memorySwap = size(r.memory.swap, 'linux.resources.memory.swap');
    if (l.memory !== undefined || l.memorySwap !== undefined) controllers.add('memory');
  }
  if (isObject(r.cpu)) {
    for (const key of Object.keys(r.cpu)) {
      if (!['shares', 'quota', 'period', 'cpus', 'mems'].includes(key)) throw new ToolError(`linux.resources.cpu.${key} is not supported by tsoci yet`);
    }
    if (r.cpu.shares !== undefined) l.cpuShares = int(r.cpu.shares, 'linux.resources.cpu.shares', 2);
    if (r.cpu.quota !== undefined && r.cpu.quota !== -1) {
      const period = r.cpu.period === undefined ? 100_000 : int(r.cpu.period, 'linux.resources.cpu.period', 1000);
      l.cpus = int(r.cpu.quota, 'linux.resources.cpu.quota', 1000) / period;
    }
    if (typeof r.cpu.cpus === 'string' && r.cpu.cpus) l.cpusetCpus = r.cpu.cpus;
    if (typeof r.cpu.mems === 'string' && r.cpu.mems) l.cpusetMems = r.cpu.mems;
    if (l.cpuShares !== undefined || l.cpus !== undefined) controllers.add('cpu');
    if (l.cpusetCpus !== undefined || l.cpusetMems !== undefined) controllers.add('cpuset');
  }
  if (isObject(r.pids) && r.pids.limit !== undefined) {
    l.pids = r.pids.limit === -1 || r.pids.limit === 0 ? 'max' : int(r.pids.limit, 'linux.resources.pids.limit', 1);
    controllers.add('pids');
  }
  parseBlockIO(r.blockIO, l);
  if (blockIOSet(l)) controllers.add('io');
  l.hugetlb = parseHugepageLimits(r.hugepageLimits);
  if (l.hugetlb.length) controllers.add('hugetlb');
  const unified = parseUnified(r.unified);
  for (const c of unifiedControllers(unified)) controllers.add(c);
  checkLimits(l);
  if (given?.includes(':') && !given.startsWith('/')) throw new ToolError(`linux.cgroupsPath '${given}' is systemd's slice:prefix:name, which tsoci does not take`);
  const name = `tsoci-${id}-${fnv1a(bundle)}`;
  const rel = (given ?? name).replace(/^\/*/, '/');
  if (rel === '/' || rel.split('/').some((p, i) => i > 0 && (p === '' || p === '.' || p === '..'))) throw new ToolError(`linux.cgroupsPath '${given}' is not a cgroup path`);
  return { path: rel, relative: !given?.startsWith('/'), limits: l, controllers: [...controllers], devices: deviceRules(r, linux), unified };
}

/** 32-bit FNV-1a of `text`, as 8 hex digits: tells two bundles of one
 * container id apart in a cgroup's name (no need of a cryptographic hash,
 * whose module costs every tsoci start ~3 ms) */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** tsoci's own cgroup in each hierarchy (/proc/self/cgroup): by v1 controller, and v2's ("") */
function ownCgroups(): Map<string, string> {
  const own = new Map<string, string>();
  for (const line of fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m) for (const c of m[1].split(',')) own.set(c, m[2]);
  }
  return own;
}

/** The container's directory in every hierarchy: v1 ones with all their
 * controllers; v2 with those the limits need (none on a hybrid host, where
 * v1 has them). */
export function cgroupDirs(p: CgroupPlan, cg: Cgroups = readCgroups()): CgroupDir[] {
  const own = p.relative ? ownCgroups() : new Map<string, string>();
  return cg.hierarchies.map((h) => {
    // relative: beneath our own cgroup; on cgroup v2 beneath its parent, as
    // runc (ours holds processes, so it may enable no controller for children)
    const mine = own.get(h.version === 1 ? h.controllers[0] : '') ?? '/';
    const base = !p.relative ? '/' : h.version === 2 && cg.mode === 'unified' ? path.posix.dirname(mine) : mine;
    const at = path.posix.join(base, p.path);
    return {
      hierarchy: h, path: at, dir: path.join(h.mount, at),
      controllers: h.version === 1 ? h.controllers : cg.mode === 'hybrid' ? [] : p.controllers.filter((c) => h.controllers.includes(c)),
    };
  });
}

/** the config's field a controller's limits come from, for messages */
const FIELDS: Record<string, string> = {
  memory: 'linux.resources.memory', cpu: 'linux.resources.cpu', cpuset: 'linux.resources.cpu', pids: 'linux.resources.pids',
  blkio: 'linux.resources.blockIO', io: 'linux.resources.blockIO', hugetlb: 'linux.resources.hugepageLimits',
};

const readOr = (file: string) => {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
};

/** A write to a cgroup file that is there (never created: a knob the kernel
 * lacks is ENOENT, as runc reports it) */
export function writeKnob(file: string, value: string): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY);
  try {
    fs.writeSync(fd, value);
  } finally {
    fs.closeSync(fd);
  }
}

/** linux.resources.unified into a v2 directory: each line of a value written alone */
export function writeUnified(dir: string, unified: Record<string, string>): void {
  for (const [key, value] of Object.entries(unified)) {
    for (const line of value.split('\n').filter((l, i, all) => l !== '' || all.length === 1)) {
      try {
        writeKnob(path.join(dir, key), line);
      } catch (e) {
        throw new ToolError(`linux.resources.unified: cannot set '${key}' to '${line}': ${sysMessage(e)}`);
      }
    }
  }
}

/** a Node error as the C library says it ("Operation not supported", not libuv's "... on socket") */
export const sysMessage = (e: unknown) => {
  const n = (e as NodeJS.ErrnoException).errno;
  return typeof n === 'number' ? addon().strerror(-n) : (e as Error).message;
};

function write(file: string, value: string, field = 'linux.resources'): void {
  try {
    writeKnob(file, value);
  } catch (e) {
    throw new ToolError(`${field}: write ${value} to ${file}: ${sysMessage(e)}`);
  }
}

/** Make the directories (parents too) and write the limits; returns the
 * directories this call made, deepest last, for delete. Undone on failure. */
export function makeCgroups(p: CgroupPlan): { dirs: CgroupDir[]; made: string[] } {
  const cg = readCgroups();
  const dirs = cgroupDirs(p, cg);
  // no v1 devices hierarchy: the rules go to cgroup v2 as an eBPF program
  const bpf = p.devices.length > 0 && !dirs.some((d) => d.hierarchy.version === 1 && d.controllers.includes('devices'));
  if (Object.keys(p.unified).length && cg.mode !== 'unified') throw cannotOnV1();
  for (const c of p.controllers) {
    // v1 calls io blkio
    if (dirs.some((d) => d.controllers.includes(c) || (c === 'io' && d.controllers.includes('blkio')))) continue;
    const where = cg.mode === 'hybrid' && cg.hierarchies.some((h) => h.version === 2 && h.controllers.includes(c))
      ? ': this hybrid host has it on cgroup v2 only, where tsoci (as runc) sets no limits' : '';
    throw new ToolError(`${FIELDS[c] ?? 'linux.resources.unified'}: cannot set a limit of the ${c} controller, which no cgroup hierarchy of this host offers${where}`);
  }
  const made: string[] = [];
  try {
    for (const d of dirs) {
      const parts = d.path.split('/').filter(Boolean);
      for (let i = 1; i <= parts.length; i++) {
        const dir = path.join(d.hierarchy.mount, ...parts.slice(0, i));
        const parent = path.dirname(dir);
        // v2: a controller reaches a cgroup only if each ancestor enables it for its children
        if (d.hierarchy.version === 2) {
          const on = readOr(path.join(parent, 'cgroup.subtree_control')).split(' ');
          for (const c of d.controllers) if (!on.includes(c)) write(path.join(parent, 'cgroup.subtree_control'), `+${c}`, 'linux.cgroupsPath');
        }
        if (fs.existsSync(dir)) continue;
        fs.mkdirSync(dir);
        made.push(dir);
        // cpuset v1: a new cgroup starts with no CPU and no memory node, which no process may join
        if (d.hierarchy.version === 1 && d.controllers.includes('cpuset')) {
          for (const f of ['cpuset.cpus', 'cpuset.mems']) if (!readOr(path.join(dir, f))) write(path.join(dir, f), readOr(path.join(parent, f)), 'linux.cgroupsPath');
        }
      }
      for (const k of knobs(p.limits, d.hierarchy.version, (file) => readOr(path.join(d.dir, file))).filter((k) => d.controllers.includes(k.controller))) {
        write(path.join(d.dir, k.file), k.value, FIELDS[k.controller]);
      }
      if (d.hierarchy.version === 2) writeUnified(d.dir, p.unified);
      if (d.hierarchy.version === 1 && d.controllers.includes('devices')) {
        for (const r of p.devices) write(path.join(d.dir, r.allow ? 'devices.allow' : 'devices.deny'), r.rule, 'linux.resources.devices');
      }
      if (bpf && d.hierarchy.version === 2) {
        const r = addon().cgroupDevices(d.dir, deviceProgram(p.devices));
        if (r < 0) throw new ToolError(`linux.resources.devices: cannot attach their eBPF program to ${d.dir}: ${addon().strerror(-r)}`);
      }
    }
  } catch (e) {
    removeCgroups(made);
    throw e;
  }
  return { dirs, made };
}

/** The init joins them before it forks (tscgexec's join steps). */
export const cgroupJoinSteps = (dirs: CgroupDir[]): Step[] => joinSteps(dirs);

/** A `cgroup` mount at `target` (opened as `root`'s slot): on cgroup v2 the
 * container's own directory (a new cgroup2 mount in a cgroup namespace of
 * its own); else a tmpfs with each v1 hierarchy's directory bound in it
 * under the host's name for it (runc's layout), read-only as asked. */
export function cgroupMountSteps(root: number, target: string, flags: number, dirs: CgroupDir[], cgroupNs: boolean): Step[] {
  const extra = flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
  const v1 = dirs.filter((d) => d.hierarchy.version === 1);
  const steps: Step[] = [mkdirIn(root, target)];
  if (!v1.length) {
    const v2 = dirs.find((d) => d.hierarchy.version === 2);
    if (!v2) return steps;
    if (cgroupNs) return [...steps, mountIn(root, 'cgroup2', target, 'cgroup2', extra)];
    return [...steps, mountIn(root, v2.dir, target, null, MS.BIND), mountIn(root, null, target, null, MS.REMOUNT | MS.BIND | extra)];
  }
  steps.push(mountIn(root, 'tmpfs', target, 'tmpfs', extra & ~MS.RDONLY, 'mode=755'));
  for (const d of v1) {
    const name = path.basename(d.hierarchy.mount);
    const at = path.posix.join(target, name);
    steps.push(mkdirIn(root, at), mountIn(root, d.dir, at, null, MS.BIND), mountIn(root, null, at, null, MS.REMOUNT | MS.BIND | extra));
    // "cpu,cpuacct" is also reached as cpu and cpuacct
    if (name.includes(',')) {
      for (const c of name.split(',')) steps.push({ op: 'symlink-in', root, target: name, path: path.posix.join(target, c), ignore: errno.EEXIST });
    }
  }
  return steps;
}

/** Kill what is left in the directories a create made, and remove them (deepest first). */
export function removeCgroups(made: string[]): void {
  for (const dir of [...made].reverse()) {
    for (let i = 0; i < 500; i++) {
      const left = members(dir);
      if (!left.length) break;
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
    try {
      fs.rmdirSync(dir);
    } catch {
      // not empty of children another made, or gone
    }
  }
}
