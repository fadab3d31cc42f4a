// /proc/self/mountinfo, parsed once for every tool that needs the mount table.
import fs = require('fs');

export interface Mount {
  /** major:minor of the filesystem: one per cgroup hierarchy, however often mounted */
  device: string;
  /** the directory of the filesystem that is mounted here */
  root: string;
  point: string;
  /** optional fields: shared:N, master:N, propagate_from:N, unbindable */
  tags: string[];
  fstype: string;
  source: string;
  superOptions: string;
}

const unescape = (s: string) => s.replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));

export function readMountinfo(file = '/proc/self/mountinfo'): Mount[] {
  const mounts: Mount[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    if (dash < 6) continue;
    mounts.push({
      device: f[2], root: unescape(f[3]), point: unescape(f[4]), tags: f.slice(6, dash),
      fstype: f[dash + 1], source: unescape(f[dash + 2]), superOptions: f[dash + 3],
    });
  }
  return mounts;
}

/** The mount a path lives on: the last mounted of the deepest mount points above it. */
export function mountOf(file: string, mounts = readMountinfo()): Mount | undefined {
  const real = fs.realpathSync(file);
  let best: Mount | undefined;
  for (const m of mounts) {
    const inside = real === m.point || real.startsWith(m.point === '/' ? '/' : m.point + '/');
    if (inside && m.point.length >= (best?.point.length ?? 0)) best = m;
  }
  return best;
}
