// pause and resume: the container's cgroups frozen by the kernel's freezer
// (v1's freezer.state FROZEN/THAWED, v2's cgroup.freeze 1/0), waited on
// until the kernel says every task is stopped (or runs again), as runc does.
import fs = require('fs');
import path = require('path');
import { ToolError } from 'tscontainer-core';

interface Freezer {
  dir: string;
  version: 1 | 2;
}

/** The freezer among the container's cgroup directories: v1's hierarchy, else v2's. */
function freezerOf(dirs: string[]): Freezer | undefined {
  const v1 = dirs.find((d) => fs.existsSync(path.join(d, 'freezer.state')));
  if (v1) return { dir: v1, version: 1 };
  const v2 = dirs.find((d) => fs.existsSync(path.join(d, 'cgroup.freeze')));
  return v2 ? { dir: v2, version: 2 } : undefined;
}

function read(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** What the freezer says now: every task stopped (v2: cgroup.events' "frozen 1"). */
function settled(f: Freezer, on: boolean): boolean {
  if (f.version === 1) return read(path.join(f.dir, 'freezer.state')).trim() === (on ? 'FROZEN' : 'THAWED');
  return /^frozen 1$/m.test(read(path.join(f.dir, 'cgroup.events'))) === on;
}

/** The container is paused: its freezer asks for frozen (FREEZING counts, as runc). */
export function isFrozen(dirs: string[]): boolean {
  const f = freezerOf(dirs);
  if (!f) return false;
  return f.version === 1
    ? ['FROZEN', 'FREEZING'].includes(read(path.join(f.dir, 'freezer.state')).trim())
    : read(path.join(f.dir, 'cgroup.freeze')).trim() === '1';
}

const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Freeze (or thaw) and wait until the kernel has; a freeze that does not
 * settle in 5 s is undone and refused. */
export function setFrozen(dirs: string[], on: boolean): void {
  const f = freezerOf(dirs);
  if (!f) throw new ToolError('the container has no freezer cgroup (tsoci makes its cgroups when linux.resources or linux.cgroupsPath is given)');
  const file = path.join(f.dir, f.version === 1 ? 'freezer.state' : 'cgroup.freeze');
  const value = f.version === 1 ? (on ? 'FROZEN' : 'THAWED') : on ? '1' : '0';
  const end = Date.now() + 5000;
  for (;;) {
    try {
      // v1: each write of FROZEN tries again to stop the tasks still running
      fs.writeFileSync(file, value);
    } catch (e) {
      throw new ToolError(`cannot write ${value} to ${file}: ${(e as Error).message}`);
    }
    if (settled(f, on)) return;
    if (Date.now() > end) break;
    pause(10);
  }
  if (on) setFrozen(dirs, false);
  throw new ToolError(`the container's cgroup ${f.dir} did not ${on ? 'freeze' : 'thaw'} within 5 s`);
}
