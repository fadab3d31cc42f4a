// tscgdelete (libcgroup cgdelete): remove cgroups from every hierarchy their
// controllers name. A cgroup with processes is refused, unless --kill: it
// never moves processes behind the user's back.
import fs = require('fs');
import path = require('path');
import {
  cgroupName, getopt, members, print, readCgroups, resolveSpecs, ToolError, UsageError,
  type FileStep, type Option, type Outcome, type Tool,
  STANDARD_OPTIONS, helpOrVersion,
} from 'tscontainer-core';

export const OPTIONS: Option[] = [
  { key: 'g', short: 'g', arg: 'required' },
  { key: 'recursive', short: 'r', long: 'recursive', arg: 'none' },
  { key: 'kill', long: 'kill', arg: 'none' },
  ...STANDARD_OPTIONS,
];

export const USAGE = `
Usage:
 tscgdelete [options] [-g] <controllers>:<path> ...

Remove cgroups, from every hierarchy their controllers name.

Options:
 -g <controllers>:<path>   a cgroup to remove (the -g may be left out)
 -r, --recursive           remove its child cgroups too
     --kill                kill the processes in them first (cgroup.kill on
                             v2, else SIGKILL to each) instead of refusing
     --dry-run             print what it would remove, and change nothing
 -h, --help                display this help
 -V, --version             display version
`;

/** The cgroup and, with -r, its descendants: deepest first. */
function tree(dir: string): string[] {
  const children = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory());
  return [...children.flatMap((c) => tree(path.join(dir, c.name))), dir];
}

export function plan(specs: string[], recursive: boolean, kill: boolean): FileStep[] {
  const cg = readCgroups();
  const dirs = resolveSpecs(cg, specs);
  const steps: FileStep[] = [];
  for (const d of dirs) {
    const name = cgroupName(d);
    if (d.path === '/') throw new ToolError(`refusing to remove the root of a hierarchy (${name})`);
    if (!fs.existsSync(path.join(d.dir, 'cgroup.procs'))) throw new ToolError(`cgroup ${name} does not exist`);
    const all = tree(d.dir);
    if (!recursive && all.length > 1) throw new ToolError(`cgroup ${name} has child cgroups (use -r to remove them too)`);
    const busy = all.filter((x) => members(x).length > 0);
    if (busy.length && !kill) {
      const n = busy.reduce((sum, x) => sum + members(x).length, 0);
      throw new ToolError(`cgroup ${name} has ${n} process${n === 1 ? '' : 'es'} in it (use --kill to kill them)`);
    }
    for (const x of busy) {
      const v2kill = d.hierarchy.version === 2 && fs.existsSync(path.join(x, 'cgroup.kill'));
      steps.push({ op: 'kill-cgroup', dir: x, via: v2kill ? 'cgroup.kill' : 'signals' });
    }
    for (const x of all) steps.push({ op: 'rmdir', path: x });
  }
  return steps;
}

export const tscgdelete: Tool = {
  name: 'tscgdelete',
  plan(argv: string[]): Outcome {
    const { options, operands } = getopt(argv, OPTIONS);
    const specs: string[] = [];
    for (const { key, value } of options) {
      if (key === 'help' || key === 'version') return helpOrVersion(key, 'tscgdelete', USAGE, require('../package.json').version);
      if (key === 'g') specs.push(value!);
    }
    specs.push(...operands);
    if (specs.length === 0) throw new UsageError('no cgroup given');
    const has = (k: string) => options.some((o) => o.key === k);
    const files = plan(specs, has('recursive'), has('kill'));
    if (has('dry-run')) return { print: print(files).join('\n') + '\n' };
    return { files, steps: [], env: [] };
  },
};
