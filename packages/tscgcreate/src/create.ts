// tscgcreate (libcgroup cgcreate + cgset): create cgroups, set portable
// limits and raw knobs, hand them to users; then, optionally, exec a program.
import fs = require('fs');
import path = require('path');
import {
  cgroupName, checkJoinable, checkLimits, callerEnv, runInCgroups, envTable, getopt, gidOf, knobs, members, parseCount, parseDeviceRate, parseSize, PID_MAX_LIMIT,
  print, procsFile, program, readCgroups, readOr, resolveSpecs, uidOf, ToolError, UsageError,
  type CgroupDir, type Explain, type FileStep, type Limits, type Option, type Link, type Outcome, type Step, type Tool,
  STANDARD_OPTIONS, helpOrVersion,
} from 'tscontainer-core';

export const OPTIONS: Option[] = [
  { key: 'g', short: 'g', arg: 'required' },
  { key: 'a', short: 'a', arg: 'required' },
  { key: 't', short: 't', arg: 'required' },
  { key: 'd', short: 'd', long: 'dperm', arg: 'required' },
  { key: 'f', short: 'f', long: 'fperm', arg: 'required' },
  { key: 's', short: 's', long: 'tperm', arg: 'required' },
  { key: 'set', short: 'r', long: 'set', arg: 'required' },
  { key: 'memory', long: 'memory', arg: 'required' },
  { key: 'memory-swap', long: 'memory-swap', arg: 'required' },
  { key: 'cpus', long: 'cpus', arg: 'required' },
  { key: 'cpu-weight', long: 'cpu-weight', arg: 'required' },
  { key: 'cpu-shares', long: 'cpu-shares', arg: 'required' },
  { key: 'pids', long: 'pids', arg: 'required' },
  { key: 'cpuset-cpus', long: 'cpuset-cpus', arg: 'required' },
  { key: 'cpuset-mems', long: 'cpuset-mems', arg: 'required' },
  { key: 'device-read-bps', long: 'device-read-bps', arg: 'required' },
  { key: 'device-write-bps', long: 'device-write-bps', arg: 'required' },
  { key: 'no-fork', short: 'F', long: 'no-fork', arg: 'none' },
  ...STANDARD_OPTIONS,
];

export const USAGE = `
Usage:
 tscgcreate [options] -g <controllers>:<path> [-g ...] [[--] <program> [<argument>...]]

Create cgroups (and any missing parents), set their limits, and hand them to
a user; then, if a program follows, run it inside them, as tscgexec does: a
child joins every one and becomes the program, and this process waits
outside them and says so if the memory limit killed it (-F: this process
joins and becomes the program, with the same PID).
Creating an existing cgroup is not an error. If a step fails, what this call
created is removed again. Parents made on the way stay when the cgroup is
deleted: tscgdelete -r of the topmost one removes all it made. The same
limits work on cgroup v1, v2 and hybrid hosts.

Options:
 -g <controllers>:<path>   a cgroup: comma-separated controllers (* for all)
                             and a path relative to each hierarchy's root
 -a <user>:<group>         owner of the cgroup directories and their files
 -t <user>:<group>         owner of the file that takes processes
                             (v1: tasks, v2: cgroup.procs)
 -d, --dperm <mode>        mode of the directories (octal)
 -f, --fperm <mode>        mode of the files (octal)
 -s, --tperm <mode>        mode of the file that takes processes (octal)
 -r, --set <name>=<value>  write a knob as given (memory.high=1G) in each
                             cgroup with its controller; repeatable

Limits, the same on v1 and v2 (a size or rate is bytes, or a number with k,
m, g, t or p, powers of 1024, as docker reads them: 512m, 1.5G, 10Mi):
     --memory <size>       memory.limit_in_bytes / memory.max (max: no limit)
     --memory-swap <size>  memory plus swap: memsw.limit_in_bytes / swap.max
     --cpus <n>            CPU time as a number of CPUs (quota / period)
     --cpu-weight <n>      relative CPU weight, 1-10000 (v1: as cpu.shares)
     --cpu-shares <n>      relative CPU shares, 2-262144 (v2: as cpu.weight)
     --pids <n>            most processes and threads: pids.max
     --cpuset-cpus <list>  CPUs allowed (0-3,5)
     --cpuset-mems <list>  memory nodes allowed
     --device-read-bps <device>:<rate>
     --device-write-bps <device>:<rate>
                           I/O throttle: blkio.throttle.* / io.max
 -F, --no-fork             the trailing program: in this process (see above)
     --dry-run             print the directories and files it would write
 -h, --help                display this help
 -V, --version             display version
`;

function parseMode(text: string, option: string): number {
  if (!/^[0-7]{3,4}$/.test(text)) throw new ToolError(`${option}: bad mode '${text}' (3 or 4 octal digits)`);
  return parseInt(text, 8);
}

/** "user:group", "user", ":group"; names or numbers; -1 keeps that half. */
function parseOwner(text: string, option: string): { uid: number; gid: number } {
  const [user, group = ''] = text.split(':');
  if (!user && !group) throw new ToolError(`${option}: expected <user>:<group>`);
  const uid = user ? uidOf(user, 'user') : -1;
  const gid = group ? gidOf(group, 'group') : -1;
  return { uid, gid };
}

interface CreateOptions {
  specs: string[];
  program: string[];
  noFork: boolean;
  dryRun: boolean;
  owner?: { uid: number; gid: number };
  procsOwner?: { uid: number; gid: number };
  dirMode?: number;
  fileMode?: number;
  procsMode?: number;
  raw: { name: string; value: string }[];
  limits: Limits;
}

/** The directories from the hierarchy's root down to the cgroup, root excluded. */
function levels(d: CgroupDir): string[] {
  const parts = d.path.split('/').filter(Boolean);
  return parts.map((_, i) => path.join(d.hierarchy.mount, ...parts.slice(0, i + 1)));
}

export function plan(o: CreateOptions): { files: FileStep[]; explain: Explain; dirs: CgroupDir[] } {
  const cg = readCgroups();
  const dirs = new Map(resolveSpecs(cg, o.specs).map((d) => [d.dir, d]));
  for (const d of dirs.values()) {
    if (d.path === '/') throw new ToolError(`refusing to change the root of a hierarchy (${cgroupName(d)})`);
  }
  const steps: FileStep[] = [];
  const created = new Set<string>();
  const mkdir = (dir: string) => {
    if (fs.existsSync(dir) || created.has(dir)) return false;
    steps.push({ op: 'mkdir', path: dir, mode: o.dirMode ?? 0o755 });
    created.add(dir);
    return true;
  };

  for (const d of dirs.values()) {
    if (d.hierarchy.version === 1) {
      for (const dir of levels(d)) {
        // a new cpuset cgroup has no CPUs and no memory nodes: give it its parent's
        if (mkdir(dir) && d.hierarchy.controllers.includes('cpuset')) {
          for (const f of ['cpuset.cpus', 'cpuset.mems']) {
            let from = path.dirname(dir);
            while (created.has(from)) from = path.dirname(from);
            steps.push({ op: 'write', path: path.join(dir, f), data: readOr(path.join(from, f), '') });
          }
        }
      }
      continue;
    }
    // v2: a controller reaches a cgroup only if every ancestor enables it for
    // its children; never the leaf itself, so that it can hold processes
    const wanted = d.controllers.filter((c) => d.hierarchy.controllers.includes(c));
    const unknown = d.controllers.filter((c) => !d.hierarchy.controllers.includes(c));
    if (unknown.length) throw new ToolError(`cgroup v2 at ${d.hierarchy.mount} does not offer ${unknown.join(', ')}`);
    for (const dir of [d.hierarchy.mount, ...levels(d)]) {
      if (dir === d.dir) {
        mkdir(dir);
        break;
      }
      mkdir(dir);
      const on = readOr(path.join(dir, 'cgroup.subtree_control'), '').split(' ');
      for (const c of wanted) {
        if (!on.includes(c)) steps.push({ op: 'write', path: path.join(dir, 'cgroup.subtree_control'), data: `+${c}`, undo: `-${c}` });
      }
    }
  }
  // a trailing program joins them all: refuse, before anything is made, one it could not join
  if (o.program.length) {
    for (const d of dirs.values()) {
      const subtree = path.join(d.dir, 'cgroup.subtree_control');
      checkJoinable(d, steps.flatMap((s) => (s.op === 'write' && s.path === subtree ? [s.data.slice(1)] : [])));
    }
  }

  // limits and raw knobs, in the cgroup of each hierarchy that has their
  // controller, in that hierarchy's version's terms
  const has = (d: CgroupDir, controller: string) => d.hierarchy.version === 1
    ? d.hierarchy.controllers.includes(controller)
    : d.controllers.includes(controller) || controller === 'cgroup';
  const placed = new Set<string>();
  for (const d of dirs.values()) {
    for (const k of knobs(o.limits, d.hierarchy.version, (file) => readOr(path.join(d.dir, file), ''))) {
      if (!has(d, k.controller)) continue;
      steps.push({ op: 'write', path: path.join(d.dir, k.file), data: k.value });
      placed.add(k.option);
    }
  }
  const unplaced = knobs(o.limits, 1).find((k) => !placed.has(k.option));
  if (unplaced) throw new ToolError(`${unplaced.option} needs a -g with the ${unplaced.controller} controller`);
  for (const { name, value } of o.raw) {
    const controller = name.slice(0, name.indexOf('.'));
    const each = [...dirs.values()].filter((x) => has(x, controller));
    if (!each.length) throw new ToolError(`-r ${name} needs a -g with the ${controller} controller`);
    for (const d of each) steps.push({ op: 'write', path: path.join(d.dir, name), data: value });
  }

  // ownership and modes, of the cgroups named (not of parents made on the way)
  for (const d of dirs.values()) {
    if (o.owner) {
      steps.push({ op: 'chown', path: d.dir, uid: o.owner.uid, gid: o.owner.gid });
      steps.push({ op: 'chown', path: d.dir, uid: o.owner.uid, gid: o.owner.gid, eachFile: true });
    }
    if (o.fileMode !== undefined) steps.push({ op: 'chmod', path: d.dir, mode: o.fileMode, eachFile: true });
    if (o.procsOwner) steps.push({ op: 'chown', path: procsFile(d), uid: o.procsOwner.uid, gid: o.procsOwner.gid });
    if (o.procsMode !== undefined) steps.push({ op: 'chmod', path: procsFile(d), mode: o.procsMode });
  }

  const explain: Explain = (step, code) => {
    if (step.op === 'write' && step.path.endsWith('cgroup.subtree_control') && code === 'EBUSY') {
      const holder = path.dirname(step.path);
      return `cannot enable ${step.data.slice(1)} for the children of ${holder}: it holds processes (${members(holder).length}), and cgroup v2 allows controllers only below cgroups without processes`;
    }
    // cgroupfs answers EACCES for a file it does not have
    if (step.op === 'write' && (code === 'ENOENT' || code === 'EACCES') && !fs.existsSync(step.path)) return `no knob ${path.basename(step.path)} in ${path.dirname(step.path)}`;
    const refused: Record<string, string> = { EINVAL: 'Invalid argument', ERANGE: 'Numerical result out of range' };
    if (step.op === 'write' && refused[code]) return `${path.basename(step.path)}: the kernel refused the value '${step.data}' (${refused[code]})`;
    return undefined;
  };
  return { files: steps, explain, dirs: [...dirs.values()] };
}

export function parse(argv: string[]): CreateOptions | { print: string } {
  const { options, operands } = getopt(argv, OPTIONS);
  const o: CreateOptions = { specs: [], program: operands, noFork: false, dryRun: false, raw: [], limits: { deviceReadBps: [], deviceWriteBps: [] } };
  const l = o.limits;
  for (const { key, value, as } of options) {
    const v = value!;
    switch (key) {
      case 'help': case 'version': return helpOrVersion(key, 'tscgcreate', USAGE, require('../package.json').version);
      case 'g': o.specs.push(v); break;
      case 'a': o.owner = parseOwner(v, '-a'); break;
      case 't': o.procsOwner = parseOwner(v, '-t'); break;
      case 'd': o.dirMode = parseMode(v, as); break;
      case 'f': o.fileMode = parseMode(v, as); break;
      case 's': o.procsMode = parseMode(v, as); break;
      case 'set': {
        const eq = v.indexOf('=');
        if (eq <= 0 || eq === v.length - 1 || !/^[a-z_0-9]+\.[\w.]+$/.test(v.slice(0, eq))) throw new ToolError(`${as}: expected <controller>.<knob>=<value>, not '${v}'`);
        o.raw.push({ name: v.slice(0, eq), value: v.slice(eq + 1) });
        break;
      }
      case 'memory': l.memory = parseSize(v, as); break;
      case 'memory-swap': l.memorySwap = parseSize(v, as); break;
      case 'cpus':
        if (!/^\d+(\.\d+)?$/.test(v) || Number(v) <= 0) throw new ToolError(`${as}: bad number of CPUs '${v}'`);
        l.cpus = Number(v);
        break;
      case 'cpu-weight': l.cpuWeight = parseCount(v, as, 1, 10000); break;
      case 'cpu-shares': l.cpuShares = parseCount(v, as, 2, 262144); break;
      case 'pids': l.pids = v === 'max' ? 'max' : parseCount(v, as, 0, PID_MAX_LIMIT, 'max'); break;
      case 'cpuset-cpus': case 'cpuset-mems':
        if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(v)) throw new ToolError(`${as}: bad list '${v}' (like 0-3,5)`);
        if (key === 'cpuset-cpus') l.cpusetCpus = v;
        else l.cpusetMems = v;
        break;
      case 'device-read-bps': l.deviceReadBps.push(parseDeviceRate(v, as)); break;
      case 'device-write-bps': l.deviceWriteBps.push(parseDeviceRate(v, as)); break;
      case 'dry-run': o.dryRun = true; break;
      case 'no-fork': o.noFork = true; break;
      default: throw new UsageError(`unhandled option ${as}`);
    }
  }
  if (o.specs.length === 0) throw new UsageError('no cgroup given (-g <controllers>:<path>)');
  checkLimits(l);
  return o;
}

export const tscgcreate: Tool = {
  name: 'tscgcreate',
  plan(argv: string[], link?: Link): Outcome {
    const env = link?.env ?? callerEnv();
    const o = parse(argv);
    if ('print' in o) return o;
    const { files, explain, dirs } = plan(o);
    const steps: Step[] = [];
    if (o.program.length) {
      const p = program(o.program, envTable(env), process.getuid!());
      steps.push(...runInCgroups(dirs, p, !o.noFork));
    }
    const planned = { files, explain, steps, env };
    return o.dryRun ? { print: print([...files, ...steps]).join('\n') + '\n', plan: planned } : planned;
  },
};
