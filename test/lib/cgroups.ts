// Cgroups for tests: a base path beneath this process's own cgroup (in the
// memory hierarchy, where the machine puts us; elsewhere we sit at the root),
// and a teardown that kills what is inside and removes every directory the
// test caused, parents made on the way included. Nothing else is touched.
import fs = require('fs');
import path = require('path');
import type { Test } from 'tap';

export const V1 = '/sys/fs/cgroup';
/** v1 (or hybrid) hierarchies are mounted: the v1 test files run */
export const v1Host = fs.existsSync('/sys/fs/cgroup/memory/cgroup.procs');
// the v2 one of a hybrid host too: tsoci (as runc) makes its cgroups there as well
const hierarchies = () => fs.readdirSync(V1).filter((h) => fs.existsSync(path.join(V1, h, 'cgroup.procs')));

export function ownCgroup(controller: string): string {
  const line = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller));
  return line ? line.split(':')[2] : '/';
}

let n = 0;

/** A fresh cgroup path for this test; the directories under it are the test's. */
export function cgroupBase(t: Test): string {
  const base = path.posix.join(ownCgroup('memory'), `tsns-test-${process.pid}-${n++}`);
  // which of its parents exist now, in each hierarchy: the others are ours to remove
  const parents = base.split('/').filter(Boolean).slice(0, -1).map((_, i, all) => '/' + all.slice(0, i + 1).join('/'));
  const existed = new Map(hierarchies().map((h) => [h, parents.filter((p) => fs.existsSync(path.join(V1, h, p)))]));
  t.teardown(() => {
    for (const h of hierarchies()) {
      removeTree(path.join(V1, h, base));
      for (const p of [...parents].reverse()) {
        if (!existed.get(h)?.includes(p)) try { fs.rmdirSync(path.join(V1, h, p)); } catch { /* not ours, or not empty */ }
      }
    }
  });
  return base;
}

export function removeTree(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeTree(path.join(dir, e.name));
  for (let i = 0; i < 100; i++) {
    const procs = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    if (procs.length === 0) break;
    for (const p of procs) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  fs.rmdirSync(dir);
}

export const knob = (h: string, cgroup: string, file: string) => fs.readFileSync(path.join(V1, h, cgroup, file), 'utf8').trim();
export const exists = (h: string, cgroup: string) => fs.existsSync(path.join(V1, h, cgroup));
