// linux.resources and cgroupsPath through the core's cgroup model (as
// tscgcreate and tscgexec use it): the directories made in Node before the
// plan runs, the limits written with runc's v1/v2 conversions, the init
// joining them before it forks; delete kills what is left and removes them.
import fs = require('fs');
import path = require('path');
import {
  checkLimits, joinSteps, knobs, members, readCgroups, resolveSpec, ToolError,
  type CgroupDir, type Limits, type Step,
} from 'tscontainer-core';

export interface CgroupPlan {
  /** "/a/b", under each hierarchy's root */
  path: string;
  limits: Limits;
  controllers: string[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function int(v: unknown, field: string, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ToolError(`${field}: expected an integer of at least ${min}`);
  return v;
}

/** linux.resources → Limits; what the model does not carry is refused by name. */
export function parseResources(linux: Json, id: string): CgroupPlan | undefined {
  const r = isObject(linux.resources) ? linux.resources : {};
  const given = typeof linux.cgroupsPath === 'string' && linux.cgroupsPath !== '' ? linux.cgroupsPath : undefined;
  for (const key of Object.keys(r)) {
    if (['memory', 'cpu', 'pids'].includes(key)) continue;
    const v = r[key];
    if (v === null || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0)) continue;
    throw new ToolError(`linux.resources.${key} is not supported by tsoci yet`);
  }
  const l: Limits = { deviceReadBps: [], deviceWriteBps: [] };
  const controllers = new Set<string>(['memory', 'pids']);
  if (isObject(r.memory)) {
    for (const key of Object.keys(r.memory)) {
      if (!['limit', 'swap'].includes(key)) throw new ToolError(`linux.resources.memory.${key} is not supported by tsoci yet`);
    }
    const size = (v: unknown, field: string) => (v === -1 ? 'max' as const : BigInt(int(v, field, 1)));
    if (r.memory.limit !== undefined) l.memory = size(r.memory.limit, 'linux.resources.memory.limit');
    if (r.memory.swap !== undefined) l.memorySwap = size(r.memory.swap, 'linux.resources.memory.swap');
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
  if (isObject(r.pids) && r.pids.limit !== undefined) l.pids = r.pids.limit === -1 || r.pids.limit === 0 ? 'max' : int(r.pids.limit, 'linux.resources.pids.limit', 1);
  const any = l.memory !== undefined || l.memorySwap !== undefined || l.cpus !== undefined || l.cpuShares !== undefined
    || l.pids !== undefined || l.cpusetCpus !== undefined || l.cpusetMems !== undefined;
  if (!any && !given) return undefined;
  checkLimits(l);
  // absolute: under each hierarchy's root; relative too (tsoci is not in a cgroup of its own to nest under)
  const rel = (given ?? `/tsoci/${id}`).replace(/^\/*/, '/');
  if (rel === '/' || rel.split('/').some((p, i) => i > 0 && (p === '' || p === '.' || p === '..'))) throw new ToolError(`linux.cgroupsPath '${given}' is not a cgroup path`);
  if (given?.includes(':') && !given.startsWith('/')) throw new ToolError(`linux.cgroupsPath '${given}' is systemd's slice:prefix:name, which tsoci does not take`);
  return { path: rel, limits: l, controllers: [...controllers] };
}

/** Make the directories (parents too) and write the limits; returns the
 * directories this call made, deepest last, for delete. Undone on failure. */
export function makeCgroups(p: CgroupPlan): { dirs: CgroupDir[]; made: string[] } {
  const cg = readCgroups();
  // and the freezer (v1's), for pause and resume
  const freezer = cg.hierarchies.some((h) => h.version === 1 && h.controllers.includes('freezer')) ? ['freezer'] : [];
  const dirs = resolveSpec(cg, { controllers: [...p.controllers, ...freezer], path: p.path });
  const made: string[] = [];
  try {
    for (const d of dirs) {
      const parts = p.path.split('/').filter(Boolean);
      for (let i = 1; i <= parts.length; i++) {
        const dir = path.join(d.hierarchy.mount, ...parts.slice(0, i));
        if (fs.existsSync(dir)) continue;
        fs.mkdirSync(dir);
        made.push(dir);
      }
      // cpuset v1: a new cgroup starts empty, which no process may join
      if (d.hierarchy.version === 1 && d.controllers.includes('cpuset')) {
        for (const f of ['cpuset.cpus', 'cpuset.mems']) {
          if (!fs.readFileSync(path.join(d.dir, f), 'utf8').trim()) fs.writeFileSync(path.join(d.dir, f), fs.readFileSync(path.join(path.dirname(d.dir), f), 'utf8').trim());
        }
      }
      const current = (file: string) => {
        try {
          return fs.readFileSync(path.join(d.dir, file), 'utf8').trim();
        } catch {
          return '';
        }
      };
      for (const k of knobs(p.limits, d.hierarchy.version, current).filter((k) => d.controllers.includes(k.controller))) {
        try {
          fs.writeFileSync(path.join(d.dir, k.file), k.value);
        } catch (e) {
          throw new ToolError(`linux.resources: write ${k.value} to ${path.join(d.dir, k.file)}: ${(e as Error).message}`);
        }
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
