// tscgexec (libcgroup cgexec): run a program in cgroups. The moves are
// writes (v1: tasks, v2: cgroup.procs) made by tscore-exec just before the
// program's exec, in a child that a native parent waits for (to say when
// the memory limit killed it), or with -F in this very process, which keeps
// its PID. No Node remains either way.
import fs = require('fs');
import path = require('path');
import {
  cgroupName, checkJoinable, callerEnv, envTable, getopt, runInCgroups, print, program, readCgroups, resolveSpecs, ToolError, UsageError,
  type CgroupDir, type Option, type Link, type Outcome, type Step, type Tool,
  STANDARD_OPTIONS, helpOrVersion,
} from 'tscontainer-core';

export const OPTIONS: Option[] = [
  { key: 'g', short: 'g', arg: 'required' },
  { key: 'sticky', long: 'sticky', arg: 'none' },
  { key: 'no-fork', short: 'F', long: 'no-fork', arg: 'none' },
  ...STANDARD_OPTIONS,
];

export const USAGE = `
Usage:
 tscgexec [-g <controllers>:<path>]... [--sticky] [-F] <program> [<argument>...]

Run a program in the given cgroups. A child joins them (v1: through tasks,
as cgexec, so a user given them by tscgcreate -t may; v2: through
cgroup.procs) and becomes the program; this process waits outside them
(native, no Node), passes on the signals sent to it, exits with the
program's status, and says so when the memory limit killed the program.

Options:
 -g <controllers>:<path>   a cgroup: comma-separated controllers (* for all)
                             and a path relative to each hierarchy's root;
                             repeatable
     --sticky              accepted for libcgroup compatibility; a no-op, as
                             there is no rules daemon to keep away
 -F, --no-fork             join and become the program in this process, with
                             its PID (as cgexec); an OOM kill then goes unsaid
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
  plan(argv: string[], link?: Link): Outcome {
    const env = link?.env ?? callerEnv();
    const { options, operands } = getopt(argv, OPTIONS);
    const specs: string[] = [];
    for (const { key, value } of options) {
      if (key === 'help' || key === 'version') return helpOrVersion(key, 'tscgexec', USAGE, require('../package.json').version);
      if (key === 'g') specs.push(value!);
    }
    if (operands.length === 0) throw new UsageError('no program given');
    if (specs.length === 0) throw new UsageError('no cgroup given (-g <controllers>:<path>)');
    const dirs = joinable(specs);
    const p = program(operands, envTable(env), process.getuid!());
    const steps: Step[] = runInCgroups(dirs, p, !options.some((o) => o.key === 'no-fork'));
    if (options.some((o) => o.key === 'dry-run')) return { print: print(steps).join('\n') + '\n', plan: { steps, env } };
    return { steps, env };
  },
};
