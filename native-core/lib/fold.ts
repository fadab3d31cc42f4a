// Folding a chain of our own tools into one plan: when the program a link is
// about to exec is one of this suite's tools, that tool's argv → plan runs in
// this same Node process and its steps take the place of the exec, and so on
// down the chain; tscore-exec then runs the whole plan once. One Node start
// instead of one per link, with the semantics of the unfolded chain:
// - the program is found as execvp would find it, by the PATH of the
//   environment the link execs it with; a tool of ours at another version
//   is not folded (its code may plan differently);
// - each link plans with the environment, argv and working directory it
//   would have seen; a `tool` step before its steps names it in errors and
//   in ps, as its own process would;
// - steps after an earlier link's fork land in the child, where that link's
//   exec would have run them;
// - folding stops (the link is exec'd as today) where a link's planning
//   could see a different world than now: after a link that changes the
//   root, the working directory, or enters other namespaces' files
//   (`foldable: false` on its outcome), at a link with file work done in
//   Node (cgroup directories) unless it comes first — that work runs before
//   any step, and after an earlier link's namespace steps it might not see
//   what the unfolded chain sees. No plan names Node's own PID: steps take
//   "self", "parent", "0" (cgroup.procs) or "{parent}" (a helper's).
// TSCORE_NO_FOLD=1 in the first link's environment turns folding off.
import fs = require('fs');
import path = require('path');
import { callerRecord, envTable } from './entry';
import { runFileSteps } from './filesteps';
import type { ToolError } from './errors';
import { print, type Step } from './plan';
import { slotNames } from './slots';
import { ownPackageDir, ownVersion, type Planned, type Tool } from './tool';

/** What execvp(file) would run, given the environment's PATH. */
function which(file: string, env: string[]): string | undefined {
  if (file.includes('/')) return file;
  const dirs = (envTable(env).PATH ?? '/bin:/usr/bin').split(':');
  for (const dir of dirs) {
    const candidate = path.join(dir || '.', file);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** PKG/dist/NAME.cjs, as a clone's own bin/NAME names it on its #! line
 * (scripts/bundle-bins.js), if that line runs the launcher this tool was
 * started by (run, another interpreter would do something else); or undefined */
function launchedScript(file: string): string | undefined {
  const head = Buffer.alloc(256);
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const text = head.toString('utf8', 0, fs.readSync(fd, head, 0, head.length, 0));
    const m = /^#!(\/\S+) --launch=(\/[^\n]*\/dist\/[^/\n]+\.cjs)\n/.exec(text);
    const launcher = callerRecord()?.exe;
    // (realpath(3), one call: Node's own walks the path in JavaScript)
    const real = fs.realpathSync.native;
    return m && launcher && real(m[1]) === real(launcher) ? real(m[2]) : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Whether `file` may run as code in this process: it and every folder
 * above it belong to root or to whoever runs this, and no one else may
 * write to them (a folder all may write to only with the sticky bit, as
 * /tmp). A folded link's JavaScript runs here, before the steps that would
 * change who runs it (-S, a user namespace), as whoever started the tool. */
const trust = new Map<string, boolean>();
function trusted(file: string): boolean {
  let known = trust.get(file);
  if (known === undefined) {
    const me = process.geteuid?.() ?? 0;
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(file);
    } catch {
      // (none, or not reachable: not ours)
    }
    known = !!st && (st.uid === 0 || st.uid === me) && !(st.mode & 0o022 && !(st.isDirectory() && st.mode & 0o1000)) &&
      (file === path.dirname(file) || trusted(path.dirname(file)));
    trust.set(file, known);
  }
  return known;
}

/** Whether the package in `pkgDir` is of this tool's own installation: a
 * sibling of this tool's package (a clone's packages/, npm's node_modules/,
 * pnpm's node_modules/.pnpm/NAME@VERSION/node_modules/NAME). An owner alone
 * says too little: root's files may be written by others on a container's
 * root, a user's loop mount or FUSE. */
function ownInstallation(pkgDir: string): boolean {
  let own: string;
  try {
    own = ownPackageDir(fs.realpathSync.native);
  } catch {
    return false;
  }
  if (path.dirname(pkgDir) === path.dirname(own)) return true;
  const up = (p: string, n: number): string => (n ? up(path.dirname(p), n - 1) : p);
  const pnpm = (p: string) => path.basename(up(p, 1)) === 'node_modules' && path.basename(up(p, 3)) === '.pnpm';
  return pnpm(own) && pnpm(pkgDir) && up(pkgDir, 3) === up(own, 3);
}

/** The tool a path is, if it is one of ours at our version: PKG/bin/NAME (or
 * a clone's bin/NAME that launches PKG/dist/NAME.cjs), whose package.json
 * names NAME as a bin and whose dist/NAME.cjs exports it. */
function ourTool(file: string): Tool | undefined {
  let real: string;
  try {
    real = fs.realpathSync.native(file);
  } catch {
    return undefined;
  }
  const js = launchedScript(real);
  const name = js ? path.basename(js, '.cjs') : path.basename(real);
  const pkgDir = path.dirname(path.dirname(js ?? real));
  if (!js && path.basename(path.dirname(real)) !== 'bin') return undefined;
  const code = [path.join(pkgDir, 'package.json'), ...['.cjs', '.bundle.js', '.cache'].map((ext) => path.join(pkgDir, 'dist', `${name}${ext}`))];
  // (a tool without its code cache just compiles)
  if (!ownInstallation(pkgDir) || !code.every((f) => trusted(f) || (f.endsWith('.cache') && !fs.existsSync(f)))) return undefined;
  try {
    const pkg = JSON.parse(fs.readFileSync(code[0], 'utf8'));
    if (pkg.version !== ownVersion() || pkg.bin?.[name] !== `bin/${name}`) return undefined;
    const tool = (require(code[1]) as { tool?: Tool }).tool;
    return tool?.name === name ? tool : undefined;
  } catch {
    return undefined;
  }
}

/** Where `tail` begins in `line` as its last words, or -1. */
function tailAt(line: string[], tail: string[]): number {
  const from = line.length - tail.length;
  return from > 0 && tail.every((w, k) => w === line[from + k]) ? from : -1;
}

/** The link's plan with the links its exec would start folded in. `run`:
 * the file work of a link is done before the next link plans, as unfolded
 * (a cgroup tscgcreate makes exists when tscgexec checks it); a dry run,
 * which does no file work, stops folding at such a link instead. */
export function fold(first: Planned, run = true, argv: string[] = []): Planned {
  const noFold = first.env.some((kv) => kv === 'TSCORE_NO_FOLD=1');
  let planned = first;
  while (!noFold && planned.foldable !== false) {
    const last = planned.steps.at(-1);
    // our tools' names all begin so: any other program costs no PATH search
    if (last?.op !== 'exec' || !path.basename(last.file).startsWith('ts')) break;
    const file = which(last.file, planned.env);
    const tool = file && ourTool(file);
    if (!tool) break;
    if (planned.files?.length) {
      if (!run) break;
      runFileSteps(planned.files, planned.explain);
      planned = { ...planned, files: [], explain: undefined };
    }
    let next;
    try {
      next = tool.plan(last.argv.slice(1), { env: planned.env });
    } catch (e) {
      (e as ToolError).tool ??= tool.name; // its error, in its name
      throw e;
    }
    if ('print' in next) break;
    // its file work would run before the steps above, which it may need after
    if (next.files?.length && planned.steps.length > 1) break;
    const steps: Step[] = [...planned.steps.slice(0, -1), { op: 'tool', name: tool.name, argv: last.argv, from: tailAt(argv, last.argv) }, ...next.steps];
    // a link that runs from a sealed copy of the executor: the whole plan
    // does, from its first step (the only place the step works)
    const seal = steps.find((s) => s.op === 'sealed-exe');
    planned = { ...next, steps: seal ? [seal, ...steps.filter((s) => s.op !== 'sealed-exe')] : steps };
  }
  return planned;
}

/** A folded plan as --dry-run prints it: each line labelled with its link's tool. */
export function printFolded(steps: Step[], first: string): string[] {
  let tool = first;
  // as print() does for one tool: slots by the names the whole plan gives
  // them, and what follows a fork (or --init) is the child's
  const names = slotNames(steps);
  let indent = '';
  return steps.flatMap((s) => {
    if (s.op === 'tool') tool = s.name;
    const lines = print([s], indent, names).map((line) => `${tool}: ${line}`);
    if (s.op === 'fork' || s.op === 'init') indent += '  child: ';
    return lines;
  });
}
