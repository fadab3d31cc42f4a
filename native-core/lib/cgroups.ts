// The host's cgroup hierarchies, read from the mount table and checked by
// filesystem magic, and `-g controllers:path` specs resolved to directories.
// Shared by tscgcreate, tscgdelete and tscgexec; reads only, and builds the
// steps that join cgroups.
import fs = require('fs');
import path = require('path');
import { ToolError } from './errors';
import { readMountinfo } from './mountinfo';
import type { Step } from './plan';

const CGROUP_SUPER_MAGIC = 0x27e0eb;
const CGROUP2_SUPER_MAGIC = 0x63677270;

export type CgroupMode = 'legacy' | 'hybrid' | 'unified';

export interface Hierarchy {
  version: 1 | 2;
  /** where it is mounted (its root as we see it) */
  mount: string;
  /** v1: the controllers bound to it ("name=systemd" for a named one); v2: those it offers */
  controllers: string[];
}

export interface Cgroups {
  mode: CgroupMode;
  hierarchies: Hierarchy[];
}

/** The hierarchies mounted in our mount namespace (each one once, at its root). */
export function readCgroups(mountinfo = '/proc/self/mountinfo'): Cgroups {
  const hierarchies: Hierarchy[] = [];
  const seen = new Set<string>();
  for (const m of readMountinfo(mountinfo)) {
    if ((m.fstype !== 'cgroup' && m.fstype !== 'cgroup2') || m.root !== '/' || seen.has(m.device)) continue;
    if (fs.statfsSync(m.point).type !== (m.fstype === 'cgroup' ? CGROUP_SUPER_MAGIC : CGROUP2_SUPER_MAGIC)) continue;
    seen.add(m.device);
    if (m.fstype === 'cgroup') {
      const known = /^(cpu|cpuacct|cpuset|memory|devices|freezer|net_cls|net_prio|blkio|perf_event|hugetlb|pids|rdma|misc|name=.*)$/;
      hierarchies.push({ version: 1, mount: m.point, controllers: m.superOptions.split(',').filter((o) => known.test(o)) });
    } else {
      const offered = fs.readFileSync(path.join(m.point, 'cgroup.controllers'), 'utf8').trim();
      hierarchies.push({ version: 2, mount: m.point, controllers: offered ? offered.split(' ') : [] });
    }
  }
  const v1 = hierarchies.some((h) => h.version === 1);
  const v2 = hierarchies.some((h) => h.version === 2);
  if (!v1 && !v2) throw new ToolError('no cgroup hierarchy is mounted');
  return { mode: v1 && v2 ? 'hybrid' : v2 ? 'unified' : 'legacy', hierarchies };
}

/** One directory a spec names: a cgroup in one hierarchy, for these controllers. */
export interface CgroupDir {
  hierarchy: Hierarchy;
  /** the path as the user gave it, normalised: "/a/b" */
  path: string;
  dir: string;
  controllers: string[];
}

export interface CgroupSpec {
  controllers: string[];
  path: string;
}

/** "memory,pids:a/b" → controllers and a normalised path; refuses escapes. */
export function parseSpec(text: string): CgroupSpec {
  const colon = text.indexOf(':');
  if (colon < 0) throw new ToolError(`bad cgroup '${text}': expected <controllers>:<path>`);
  // ":path" names no controller: the cgroup v2 hierarchy itself (as libcgroup)
  const controllers = colon === 0 ? [] : text.slice(0, colon).split(',');
  const rel = text.slice(colon + 1);
  if (controllers.some((c) => c === '')) throw new ToolError(`bad cgroup '${text}': empty controller name`);
  if (rel === '') throw new ToolError(`bad cgroup '${text}': no path`);
  const parts = rel.replace(/^\/+/, '').split('/');
  if (rel !== '/' && parts.some((p) => p === '' || p === '.' || p === '..'))
    throw new ToolError(`bad cgroup path '${rel}': no empty, '.' or '..' components`);
  return { controllers, path: rel === '/' ? '/' : '/' + parts.join('/') };
}

/** The directories a spec names, one a hierarchy. `*` is every hierarchy but
 * (as libcgroup) the v2 one of a hybrid host. */
export function resolveSpec(cg: Cgroups, spec: CgroupSpec): CgroupDir[] {
  const dirs = new Map<Hierarchy, CgroupDir>();
  const take = (h: Hierarchy, ctrl: string) => {
    const d = dirs.get(h) ?? { hierarchy: h, path: spec.path, dir: path.join(h.mount, spec.path), controllers: [] };
    if (!d.controllers.includes(ctrl)) d.controllers.push(ctrl);
    dirs.set(h, d);
  };
  if (spec.controllers.length === 0) {
    const v2 = cg.hierarchies.find((x) => x.version === 2);
    if (!v2) throw new ToolError(`no cgroup v2 hierarchy is mounted, for '${spec.path}' without controllers`);
    dirs.set(v2, { hierarchy: v2, path: spec.path, dir: path.join(v2.mount, spec.path), controllers: [] });
  }
  for (const ctrl of spec.controllers) {
    if (ctrl === '*') {
      for (const h of cg.hierarchies) {
        if (cg.mode === 'hybrid' && h.version === 2) continue;
        take(h, h.controllers[0] ?? '');
      }
      continue;
    }
    // a v1 hierarchy binding it, else the v2 one offering it
    const h = cg.hierarchies.find((x) => x.version === 1 && x.controllers.includes(ctrl))
      ?? cg.hierarchies.find((x) => x.version === 2 && x.controllers.includes(ctrl));
    if (!h) {
      const v2 = cg.hierarchies.find((x) => x.version === 2);
      const why = v2 && cg.mode !== 'legacy' ? ' (not bound to a v1 hierarchy nor offered by cgroup v2)' : '';
      throw new ToolError(`controller '${ctrl}' is not mounted${why}`);
    }
    take(h, ctrl);
  }
  return [...dirs.values()];
}

/** The directories several specs name, each once, with the controllers of every spec that names it. */
export function resolveSpecs(cg: Cgroups, specs: string[]): CgroupDir[] {
  const dirs = new Map<string, CgroupDir>();
  for (const spec of specs) {
    for (const d of resolveSpec(cg, parseSpec(spec))) {
      const known = dirs.get(d.dir);
      dirs.set(d.dir, known ? { ...known, controllers: [...new Set([...known.controllers, ...d.controllers])] } : d);
    }
  }
  return [...dirs.values()];
}

/** "memory,pids:/a/b": a cgroup as messages name it. */
export const cgroupName = (d: CgroupDir) => `${d.controllers.join(',')}:${d.path}`;

/** A file's contents, trimmed; `fallback` if it cannot be read. */
export function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return fallback;
  }
}

/** The file that takes processes, which `tscgcreate -t` hands to a user: v1
 * tasks (it moves one thread), v2 cgroup.procs (a whole process). */
export const procsFile = (d: CgroupDir) => path.join(d.dir, d.hierarchy.version === 1 ? 'tasks' : 'cgroup.procs');

/** Refuse a cgroup no process may join: on v2, one that enables controllers
 * for its children (now, or, `enabling`, by the plan that makes it). */
export function checkJoinable(d: CgroupDir, enabling: string[] = []): void {
  if (d.hierarchy.version !== 2 || d.path === '/') return;
  const enabled = [...readOr(path.join(d.dir, 'cgroup.subtree_control'), '').split(' '), ...enabling].filter(Boolean);
  if (enabled.length)
    throw new ToolError(`cannot join ${cgroupName(d)}: it has controllers enabled for its children (${enabled.join(' ')}), and cgroup v2 puts processes only in leaves`);
}

/** The writes that move this process into the cgroups: made by tscore-exec
 * just before its exec, so the PID is kept. It is single-threaded, so on v1
 * the one thread `tasks` moves is the whole process: and `tasks` is the file
 * a delegated user owns (as libcgroup's cgexec writes it). */
export function joinSteps(dirs: CgroupDir[]): Step[] {
  // "0": the process that writes, whichever it is when the step runs (in a
  // folded chain, perhaps a child forked by an earlier link)
  return dirs.map((d) => ({ op: 'write', path: procsFile(d), data: '0' }));
}

/** The PIDs in a cgroup directory (its own, not its children's). */
export function members(dir: string): number[] {
  try {
    return fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
