// Checks made before the first system call that changes anything, so that
// bad input is refused in one line with nothing done.
import fs = require('fs');
import { encodeBytes } from './bytes';
import { ToolError } from './errors';

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const known: Record<string, string> = {
    ENOENT: 'No such file or directory', EACCES: 'Permission denied', ENOTDIR: 'Not a directory', ESRCH: 'No such process',
  };
  return (code && known[code]) ?? (e as Error).message;
}

/** That `file` exists; else "<what>: <reason>". */
export function mustExist(file: string, what: string): fs.Stats {
  try {
    return fs.statSync(encodeBytes(file));
  } catch (e) {
    throw new ToolError(`${what}: ${reason(e)}`);
  }
}

export function mustBeDirectory(dir: string, what: string): void {
  if (!mustExist(dir, what).isDirectory()) throw new ToolError(`${what}: Not a directory`);
}

/** A command line's checks of files: each refuses at once, or, for a dry
 * run (`defer`), is kept, to be said after the whole plan is printed. */
export class Checks {
  readonly problems: string[] = [];
  constructor(readonly defer: boolean) {}

  /** Refuse with `message`, or keep it. */
  problem(message: string): void {
    if (!this.defer) throw new ToolError(message);
    this.problems.push(message);
  }

  /** f(); or, if it refuses and we defer, `otherwise`. */
  check<T>(f: () => T, otherwise: T): T {
    try {
      return f();
    } catch (e) {
      if (!this.defer || !(e instanceof ToolError)) throw e;
      this.problems.push(e.message);
      return otherwise;
    }
  }
}

/** The contents of a /proc file of `pid`, or "<what>: <reason>". */
export function readProc(pid: number, file: string, what = `cannot read /proc/${pid}/${file}`): string {
  return readProcBytes(pid, file, what).toString('utf8');
}

export function readProcBytes(pid: number, file: string, what = `cannot read /proc/${pid}/${file}`): Buffer {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`);
  } catch (e) {
    throw new ToolError(`${what}: ${reason(e)}`);
  }
}
