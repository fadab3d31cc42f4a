// A program run inside cgroups, and waited for. The join is the child's: a
// small native parent stays outside the cgroups, waits, passes on what is
// sent to it, and returns the program's status; and when the program dies
// of SIGKILL while a memory cgroup's OOM-kill counter grows, it says so,
// for nothing else would ("Killed", status 137, is all a shell shows).
// Without the fork (tscgexec -F, as libcgroup's cgexec) the process itself
// joins and becomes the program, keeping its PID, and nobody is left to say.
import fs = require('fs');
import path = require('path');
import { joinSteps, type CgroupDir } from './cgroups';
import type { Step } from './plan';
import type { Program } from './program';

const SIGKILL = 9;

/** Where a cgroup counts its OOM kills, if it has the memory controller. */
function oomCounter(d: CgroupDir): string | undefined {
  if (d.hierarchy.version === 1) return d.hierarchy.controllers.includes('memory') ? path.join(d.dir, 'memory.oom_control') : undefined;
  const events = path.join(d.dir, 'memory.events');
  return d.controllers.includes('memory') || fs.existsSync(events) ? events : undefined;
}

/** Join `dirs` and run `p` there: in a child that a native parent waits for
 * (`fork`), or in this very process. */
export function runInCgroups(dirs: CgroupDir[], p: Program, fork: boolean): Step[] {
  const run: Step[] = [...joinSteps(dirs), { op: 'exec', file: p.file, argv: p.argv }];
  if (!fork) return run;
  const name = path.basename(p.file);
  const watches: Step[] = dirs.flatMap((d) => {
    const counter = oomCounter(d);
    const cgroup = `memory:${d.path}`;
    return counter === undefined ? [] : [{
      op: 'watch-counter' as const, path: counter, key: 'oom_kill', signal: SIGKILL,
      message: `${name} was killed by the memory limit of ${cgroup} (raise it with tscgcreate -g ${cgroup} --memory <size>)`,
    }];
  });
  return [{ op: 'fork', signals: 'relay', untraced: true, parent: watches }, ...run];
}
