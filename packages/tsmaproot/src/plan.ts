// MaprootOptions → the system calls. The target is pinned by a pidfd first;
// as root its map files are opened, the pidfd is checked still alive (so the
// files are its own, not a successor's), and each is written once. Without
// privilege, newuidmap/newgidmap write them (they check /etc/subuid).
import { errno, mapText, withMessage, O, type IdRange, type Step } from 'tscontainer-core';
import type { MaprootOptions } from './cli';

const PIDFD = 0;
const SETGROUPS = 1;
const UID_MAP = 2;
const GID_MAP = 3;

export function plan(o: MaprootOptions): Step[] {
  const { pid } = o;
  const steps: Step[] = [withMessage({ op: 'pidfd-open', pid, slot: PIDFD, as: 'pidfd' }, errno.ESRCH, `no process ${pid}`)];
  if (o.ino !== undefined) {
    const check: Step = { op: 'check-ino', slot: PIDFD, ino: o.ino, what: `pidfd of ${pid}` };
    steps.push(withMessage(check, errno.ESRCH, `PID ${pid} is no longer the process ${pid}:${o.ino} named: that one ended, and the PID now belongs to another`));
  }
  const alive = withMessage<Step>({ op: 'pidfd-alive', slot: PIDFD, what: `pidfd of ${pid}` }, errno.ESRCH, `process ${pid} ended before its maps were written`);
  if (o.privileged) {
    // setgroups comes before gid_map: the kernel fixes it once a gid map exists
    const files: [number, string, string | undefined][] = [
      [SETGROUPS, 'setgroups', o.setgroups],
      [UID_MAP, 'uid_map', o.uidMap.length ? mapText(o.uidMap) : undefined],
      [GID_MAP, 'gid_map', o.gidMap.length ? mapText(o.gidMap) : undefined],
    ];
    const writes = files.filter((f): f is [number, string, string] => f[2] !== undefined);
    for (const [slot, file] of writes) steps.push({ op: 'open', path: `/proc/${pid}/${file}`, slot, flags: O.WRONLY, as: `fd[${file}]` });
    steps.push(alive);
    for (const [slot, file, data] of writes) steps.push({ op: 'write-fd', slot, data, what: `/proc/${pid}/${file}` });
  } else {
    steps.push(alive);
    const run = (kind: 'uid' | 'gid', map: IdRange[]): Step => ({
      op: 'run', argv: [`new${kind}map`, String(pid), ...map.flatMap((r) => [r.inner, r.outer, r.count].map(String))],
    });
    if (o.setgroups) steps.push({ op: 'write', path: `/proc/${pid}/setgroups`, data: o.setgroups });
    if (o.uidMap.length) steps.push(run('uid', o.uidMap));
    if (o.gidMap.length) steps.push(run('gid', o.gidMap));
  }
  if (o.program) steps.push({ op: 'exec', file: o.program.file, argv: o.program.argv });
  return steps;
}
