// `tsoci update`: new limits for a running container's cgroups, as runc
// takes them: --resources FILE (or - for stdin), a runtime-spec
// linux.resources object, then the flags over it; read with create's own
// parser, written with the core's v1/v2 conversions into the directories
// the container is in.
import fs = require('fs');
import path = require('path');
import { knobs, readCgroups, readOr, ToolError, type Hierarchy } from 'tscontainer-core';
import { parseResources, sysMessage, writeKnob, writeUnified } from '../cgroup';
import { cannotOnV1 } from '../unified';

type Json = Record<string, any>;

/** the flags, by option key: where each goes in linux.resources */
export const UPDATE_FLAGS: Record<string, [string, string]> = {
  memory: ['memory', 'limit'], 'memory-swap': ['memory', 'swap'], 'cpu-period': ['cpu', 'period'], 'cpu-quota': ['cpu', 'quota'],
  'cpu-share': ['cpu', 'shares'], 'cpuset-cpus': ['cpu', 'cpus'], 'cpuset-mems': ['cpu', 'mems'], 'pids-limit': ['pids', 'limit'],
  'blkio-weight': ['blockIO', 'weight'],
};

/** "512m", "1g", "-1" → bytes (memory flags, runc's units) */
function bytes(text: string, flag: string): number {
  const m = /^(-1|\d+)([kmg]?)b?$/i.exec(text);
  if (!m) throw new ToolError(`--${flag}: expected a size (bytes, or with k, m or g), got '${text}'`);
  return m[1] === '-1' ? -1 : Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase());
}

/** linux.resources from --resources (a file, or - for stdin) and the flags */
export function resourcesFrom(file: string | undefined, flags: Map<string, string | true>): Json {
  let r: Json = {};
  if (file !== undefined) {
    try {
      r = JSON.parse(fs.readFileSync(file === '-' ? 0 : file, 'utf8'));
    } catch (e) {
      throw new ToolError(`--resources ${file}: ${(e as Error).message}`);
    }
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new ToolError(`--resources ${file}: expected a JSON object (linux.resources)`);
  }
  for (const [flag, [group, key]] of Object.entries(UPDATE_FLAGS)) {
    const v = flags.get(flag);
    if (typeof v !== 'string') continue;
    r[group] = { ...(r[group] ?? {}) };
    if (group === 'memory') r[group][key] = bytes(v, flag);
    else if (key === 'cpus' || key === 'mems') r[group][key] = v;
    else if (/^-?\d+$/.test(v)) r[group][key] = Number(v);
    else throw new ToolError(`--${flag}: expected a number, got '${v}'`);
  }
  return r;
}

/** The hierarchy a directory is in (the longest mount point above it). */
function hierarchyOf(hs: Hierarchy[], dir: string): Hierarchy | undefined {
  return hs.filter((h) => dir === h.mount || dir.startsWith(h.mount + '/')).sort((a, b) => b.mount.length - a.mount.length)[0];
}

/** Write the limits asked into the container's cgroup directories; a limit
 * whose controller none of them has is refused by name. */
export function updateCgroups(dirs: string[], r: Json, id: string): void {
  const plan = parseResources({ resources: r }, id, '');
  if (!plan) return;
  if (!dirs.length) throw new ToolError('the container has no cgroups to update (tsoci makes them when linux.resources or linux.cgroupsPath is given)');
  const cg = readCgroups();
  if (Object.keys(plan.unified).length && cg.mode !== 'unified') throw cannotOnV1();
  const wanted = new Map<string, boolean>();
  for (const dir of dirs) {
    const h = hierarchyOf(cg.hierarchies, dir);
    if (!h) continue;
    const has = (controller: string) => (h.version === 1 ? h.controllers.includes(controller) : readOr(path.join(dir, 'cgroup.controllers'), '').split(' ').includes(controller));
    for (const k of knobs(plan.limits, h.version, (file) => readOr(path.join(dir, file), ''))) {
      const name = k.controller === 'blkio' ? 'io' : k.controller; // v1's name for io
      wanted.set(name, (wanted.get(name) ?? false) || has(k.controller));
      if (!has(k.controller)) continue;
      try {
        writeKnob(path.join(dir, k.file), k.value);
      } catch (e) {
        throw new ToolError(`${k.option}: write ${k.value} to ${path.join(dir, k.file)}: ${sysMessage(e)}`);
      }
    }
    if (h.version === 2) writeUnified(dir, plan.unified);
    // the device rules only when asked (else create's, linux.devices' allows with them, stay)
    if (h.version === 1 && has('devices') && Array.isArray(r.devices)) {
      for (const rule of plan.devices) fs.writeFileSync(path.join(dir, rule.allow ? 'devices.allow' : 'devices.deny'), rule.rule);
    }
  }
  for (const [controller, done] of wanted) if (!done) throw new ToolError(`the container has no ${controller} cgroup to update`);
}
