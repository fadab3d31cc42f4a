// What every tool's bin runs: argv → outcome; then print, or hand the plan to
// tscore-exec. All refusals end here as one line on stderr, never a stack.
import fs = require('fs');
import path = require('path');
import { encodeBytes } from './bytes';
import { callerArgv, callerRecord } from './entry';
import { ToolError, UsageError } from './errors';
import { inheritedFds } from './fds';
import { runFileSteps, type Explain, type FileStep } from './filesteps';
import { addon, executorPath } from './native';
import type { Option } from './getopt';
import { fold, printFolded } from './fold';
import { encode, type Step } from './plan';

/** File work done in Node first (undone if it fails), then, if there are
 * steps, tscore-exec runs them (the last one execs the program). */
export interface Planned {
  files?: FileStep[];
  explain?: Explain;
  steps: Step[];
  /** the program's environment */
  env: string[];
  /** false: the next link must plan in the world these steps make (a new
   * root, another directory, other namespaces' files), not be folded */
  foldable?: boolean;
}

export type Outcome =
  /** text for stdout (--help, --version, --dry-run); exit 0. A dry run
   * carries its plan, so that a chain after it is folded into what it prints */
  | { print: string; /** a dry run's: what the real run would refuse, said after the plan (exit 1) */ problems?: string[]; plan?: Planned }
  | Planned;

/** What a folded link sees that its own process would have been given. */
export interface Link {
  env: string[];
}

export interface Tool {
  name: string;
  plan(argv: string[], link?: Link): Outcome;
}

/** The options every tool has, at the end of its table. */
export const STANDARD_OPTIONS: Option[] = [
  { key: 'dry-run', long: 'dry-run', arg: 'none' },
  { key: 'help', short: 'h', long: 'help', arg: 'none' },
  { key: 'version', short: 'V', long: 'version', arg: 'none' },
];

/** What --help or --version prints (key is 'help' or 'version'). */
export function helpOrVersion(key: string, tool: string, usage: string, version: string): { print: string } {
  return { print: key === 'help' ? usage : `${tool} from ts-container-tools ${version}\n` };
}

/** Become tscore-exec, running the plan. Its argv is the tool's command line
 * (what `ps` shows); its environment is only where to find the plan, a
 * memfd: the caller's record, the program's environment, then the steps.
 * Nothing has been written to stdout or stderr on this path, so Node holds
 * no unflushed output that exec would lose, and its stdio streams do not
 * exist yet (see fds.ts). */
function handover(tool: string, argv: string[], steps: Step[], env: string[]): never {
  const exe = executorPath();
  const record = callerRecord();
  const head: Step[] = [...(record ? [{ op: 'caller' as const, record }] : []), { op: 'environ', vars: env }];
  // a plan run from a sealed copy of the executor says so first of all
  if (steps[0]?.op === 'sealed-exe') head.unshift(steps.shift()!);
  // one conversion of the whole plan: NUL-terminated words
  const fd = addon().memfd(encodeBytes(encode([...head, ...steps]).map((w) => `${w}\0`).join('')));
  if (fd < 0) throw new ToolError(`cannot hand the plan to ${exe}: ${addon().strerror(-fd)}`);
  const err = addon().execve(exe, [tool, ...argv.map(encodeBytes)], [`TSCORE_PLAN=${fd}`], [...inheritedFds(), fd]);
  throw new ToolError(`cannot execute ${exe}: ${addon().strerror(err)}`);
}

export function report(tool: string, e: unknown): number {
  const message = e instanceof Error ? e.message : String(e);
  // by shape, not class: a folded link's errors come from its own bundle
  const hint = (e as UsageError).usage ? ` (try '${(e as ToolError).tool ?? tool} --help')` : '';
  process.stderr.write(encodeBytes(`${(e as ToolError).tool ?? tool}: ${message.split('\n')[0]}${hint}\n`));
  return typeof (e as ToolError).status === 'number' ? (e as ToolError).status : 1;
}

/** This tool's package: PKG of the PKG/dist/NAME.cjs Node runs (its path
 * through `resolve` first). */
export const ownPackageDir = (resolve = (p: string) => p): string => path.dirname(path.dirname(resolve(process.argv[1] ?? '')));

/** This tool's package version: a chain folds only tools of the same (read
 * only when a link's program is one of ours). */
export function ownVersion(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(ownPackageDir(), 'package.json'), 'utf8')).version;
  } catch {
    return '';
  }
}

export function main(tool: Tool, argv: string[] = callerArgv()): void {
  try {
    const outcome = tool.plan(argv);
    if ('print' in outcome) {
      const folded = outcome.plan && fold(outcome.plan, false);
      const text = folded && folded !== outcome.plan ? printFolded([...(folded.files ?? []), ...folded.steps], tool.name).join('\n') + '\n' : outcome.print;
      process.stdout.write(encodeBytes(text));
      for (const p of outcome.problems ?? []) process.exitCode = report(tool.name, new ToolError(p));
      return;
    }
    const planned = fold(outcome, true, [tool.name, ...argv]);
    if (planned.files) runFileSteps(planned.files, planned.explain);
    if (planned.steps.length) handover(tool.name, argv, planned.steps, planned.env);
  } catch (e) {
    process.exitCode = report(tool.name, e);
  }
}
