// Plain file work done in Node (cgroup directories and knobs), as plan steps:
// printed by --dry-run like any plan, and undone in reverse if a later step
// fails, so nothing half-made is left behind.
import fs = require('fs');
import { members } from './cgroups';
import { ToolError } from './errors';
import { addon } from './native';
import { describe, type Step } from './plan';

export type FileStep = Extract<Step, { op: 'mkdir' | 'rmdir' | 'write' | 'chown' | 'chmod' | 'kill-cgroup' }>;

/** Kill everything in a cgroup and wait (up to 10 s) until it is empty. */
function killCgroup(dir: string, via: 'cgroup.kill' | 'signals'): void {
  const end = Date.now() + 10_000;
  if (via === 'cgroup.kill') fs.writeFileSync(`${dir}/cgroup.kill`, '1');
  for (;;) {
    const left = members(dir);
    if (left.length === 0) return;
    if (Date.now() > end) throw Object.assign(new Error('processes survived SIGKILL'), { code: 'EBUSY', errno: -16 });
    if (via === 'signals') {
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // exited meanwhile
        }
      }
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}

/** Turn a failed step's errno into a sentence, where the bare errno would puzzle. */
export type Explain = (step: FileStep, code: string) => string | undefined;

function errnoOf(e: unknown): { code: string; message: string } {
  const err = e as NodeJS.ErrnoException;
  const n = typeof err.errno === 'number' ? -err.errno : 0;
  return { code: err.code ?? '', message: n ? addon().strerror(n) : err.message };
}

/** The path itself, or each file in the directory. */
function targets(s: { path: string; eachFile?: boolean }): string[] {
  if (!s.eachFile) return [s.path];
  return fs.readdirSync(s.path, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => `${s.path}/${e.name}`);
}

export function runFileSteps(steps: FileStep[], explain: Explain = () => undefined): void {
  const undo: (() => void)[] = [];
  try {
    for (const s of steps) {
      try {
        switch (s.op) {
          case 'mkdir':
            fs.mkdirSync(s.path, { mode: s.mode });
            undo.push(() => fs.rmdirSync(s.path));
            break;
          case 'rmdir': fs.rmdirSync(s.path); break;
          case 'write': {
            fs.writeFileSync(s.path, s.data);
            const back = s.undo;
            if (back !== undefined) undo.push(() => fs.writeFileSync(s.path, back));
            break;
          }
          case 'chown':
            for (const f of targets(s)) fs.chownSync(f, s.uid, s.gid);
            break;
          case 'chmod':
            for (const f of targets(s)) fs.chmodSync(f, s.mode);
            break;
          case 'kill-cgroup': killCgroup(s.dir, s.via); break;
        }
      } catch (e) {
        if (s.ignore !== undefined && (s.ignore === 'any' || -((e as NodeJS.ErrnoException).errno ?? 0) === s.ignore)) continue;
        const { code, message } = errnoOf(e);
        throw new ToolError(explain(s, code) ?? `${describe(s)} failed: ${message}`);
      }
    }
  } catch (e) {
    for (const u of undo.reverse()) {
      try {
        u();
      } catch {
        // best effort: the first error is the one to report
      }
    }
    throw e;
  }
}
