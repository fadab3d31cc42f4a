// What every tool's bin runs: argv → outcome; then print, or hand the plan to
// tscore-exec. All refusals end here as one line on stderr, never a stack.
import { encodeBytes } from './bytes';
import { callerArgv, callerRecord } from './entry';
import { ToolError, UsageError } from './errors';
import { inheritedFds } from './fds';
import { runFileSteps, type Explain, type FileStep } from './filesteps';
import { addon, executorPath } from './native';
import type { Option } from './getopt';
import { encode, type Step } from './plan';

export type Outcome =
  /** text for stdout (--help, --version, --dry-run); exit 0 */
  | { print: string; /** a dry run's: what the real run would refuse, said after the plan (exit 1) */ problems?: string[] }
  /** file work done in Node first (undone if it fails), then, if there are
   * steps, tscore-exec runs them (the last one execs the program) */
  | { files?: FileStep[]; explain?: Explain; steps: Step[]; /** the program's environment */ env: string[] };

export interface Tool {
  name: string;
  plan(argv: string[]): Outcome;
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
  const NUL = Buffer.of(0);
  const fd = addon().memfd(Buffer.concat(encode([...head, ...steps]).flatMap((w) => [encodeBytes(w), NUL])));
  if (fd < 0) throw new ToolError(`cannot hand the plan to ${exe}: ${addon().strerror(-fd)}`);
  const err = addon().execve(exe, [tool, ...argv.map(encodeBytes)], [`TSCORE_PLAN=${fd}`], [...inheritedFds(), fd]);
  throw new ToolError(`cannot execute ${exe}: ${addon().strerror(err)}`);
}

export function report(tool: string, e: unknown): number {
  const message = e instanceof Error ? e.message : String(e);
  const hint = e instanceof UsageError ? ` (try '${tool} --help')` : '';
  process.stderr.write(encodeBytes(`${tool}: ${message.split('\n')[0]}${hint}\n`));
  return e instanceof ToolError ? e.status : 1;
}

export function main(tool: Tool, argv: string[] = callerArgv()): void {
  try {
    const outcome = tool.plan(argv);
    if ('print' in outcome) {
      process.stdout.write(encodeBytes(outcome.print));
      for (const p of outcome.problems ?? []) process.exitCode = report(tool.name, new ToolError(p));
      return;
    }
    if (outcome.files) runFileSteps(outcome.files, outcome.explain);
    if (outcome.steps.length) handover(tool.name, argv, outcome.steps, outcome.env);
  } catch (e) {
    process.exitCode = report(tool.name, e);
  }
}
