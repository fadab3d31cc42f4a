// tscgexec (libcgroup cgexec): move this very process into cgroups, then
// become the program. The moves are writes (v1: tasks, v2: cgroup.procs) made
// by tscore-exec just before its exec, so the PID is kept and no Node remains.
import fs = require('fs');
import path = require('path');
import {
  cgroupName, checkJoinable, callerEnv, getopt, joinSteps, print, program, readCgroups, resolveSpecs, ToolError, UsageError,
  type CgroupDir, type Option, type Outcome, type Step, type Tool,
  STANDARD_OPTIONS, helpOrVersion,
} from 'tscontainer-core';

const OPTIONS: Option[] = [
  { key: 'g', short: 'g', arg: 'required' },
  { key: 'sticky', long: 'sticky', arg: 'none' },
  ...STANDARD_OPTIONS,
];

export const USAGE = `
Usage:
 tscgexec [-g <controllers>:<path>]... [--sticky] <program> [<argument>...]

Run a program in the given cgroups: this process joins them (v1: through
tasks, as cgexec, so a user given them by tscgcreate -t may; v2: through
cgroup.procs), then becomes the program, with the same PID.

Options:
 -g <controllers>:<path>   a cgroup: comma-separated controllers (* for all)
                             and a path relative to each hierarchy's root;
                             repeatable
     --sticky              accepted for libcgroup compatibility; a no-op, as
                             there is no rules daemon to keep away
     --dry-run             print the system calls, in order, and change nothing
 -h, --help                display this help
 -V, --version             display version
`;

/** The cgroups to join, each checked to exist and to be joinable. */
export function joinable(specs: string[]): CgroupDir[] {
  const dirs = resolveSpecs(readCgroups(), specs);
  for (const d of dirs) {
    if (!fs.existsSync(path.join(d.dir, 'cgroup.procs'))) throw new ToolError(`cgroup ${cgroupName(d)} does not exist`);
    checkJoinable(d);
  }
  return dirs;
}

export const tscgexec: Tool = {
  name: 'tscgexec',
  plan(argv: string[]): Outcome {
    const { options, operands } = getopt(argv, OPTIONS);
    const specs: string[] = [];
    for (const { key, value } of options) {
      if (key === 'help' || key === 'version') return helpOrVersion(key, 'tscgexec', USAGE, require('../package.json').version);
      if (key === 'g') specs.push(value!);
    }
    if (operands.length === 0) throw new UsageError('no program given');
    if (specs.length === 0) throw new UsageError('no cgroup given (-g <controllers>:<path>)');
    const steps: Step[] = joinSteps(joinable(specs));
    const p = program(operands, process.env, process.getuid!());
    steps.push({ op: 'exec', file: p.file, argv: p.argv });
    if (options.some((o) => o.key === 'dry-run')) return { print: print(steps).join('\n') + '\n' };
    return { steps, env: callerEnv() };
  },
};
