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
