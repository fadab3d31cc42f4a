// linux.resources.unified: cgroup v2 files by name, written as given into
// the container's own cgroup (after the other limits, as runc), each line
// of a value a write of its own. A key names a file of that directory and
// nothing else: no "/" (so no ".." path either), and not "." or "..".
import { ToolError } from 'tscontainer-core';

const FIELD = 'linux.resources.unified';

export function parseUnified(v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ToolError(`${FIELD}: expected an object of file names and values`);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
    if (key.includes('/') || key === '.' || key === '..' || key === '') throw new ToolError(`${FIELD}: key '${key}' must be a file name (no slashes)`);
    if (!/^[^.]+\..+$/.test(key)) throw new ToolError(`${FIELD}: key '${key}' must be in the form CONTROLLER.PARAMETER`);
    if (typeof value !== 'string') throw new ToolError(`${FIELD}.${key}: expected a string`);
    out[key] = value;
  }
  return out;
}

/** the controllers the keys need enabled ("cgroup.*" are the core's own files) */
export const unifiedControllers = (u: Record<string, string>) =>
  [...new Set(Object.keys(u).map((k) => k.slice(0, k.indexOf('.'))))].filter((c) => c !== 'cgroup');

export const cannotOnV1 = () => new ToolError(`${FIELD}: invalid configuration: cannot use unified on cgroup v1 (this host has v1 hierarchies)`);
