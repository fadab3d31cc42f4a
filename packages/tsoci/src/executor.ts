// create's and run's executor: tscore-exec started with the plan, the
// caller's descriptors the program is to get (LISTEN_FDS, --preserve-fds) at
// their own numbers from 3, then the plan, the caller's stderr, and the
// sockets of the handshakes: at 'h' the init waits (its mounts made, before
// pivot_root) while tsoci runs the prestart and createRuntime hooks with
// its host PID; at 's' (run) it is about to exec the program.
import fs = require('fs');
import { spawn } from 'child_process';
import type { Readable, Writable } from 'stream';
import { addon, encode, encodeBytes, executorPath, inheritedFds, parseSignalName, ToolError, type Step } from 'tscontainer-core';

/** Where each descriptor is in the executor, `passed` fds from 3 on given to the program. */
export function layout(passed: number) {
  return { plan: 3 + passed, callerStderr: 4 + passed, hooks: 5 + passed, started: 6 + passed, closeFrom: 3 + passed };
}

/** The fds from 3 on that go to the program: LISTEN_FDS's when LISTEN_PID
 * is ours (socket activation, runc's; not for exec), then --preserve-fds N;
 * each must be one our caller gave us. */
export function passedFds(preserve: string | true | undefined, withListen = true): { passed: number; listen: number } {
  const text = preserve === undefined ? '0' : String(preserve);
  if (!/^\d+$/.test(text)) throw new ToolError(`--preserve-fds: expected a number, got '${text}'`);
  const env = process.env;
  const listen = withListen && env.LISTEN_PID === String(process.pid) && /^\d+$/.test(env.LISTEN_FDS ?? '') ? Number(env.LISTEN_FDS) : 0;
  const n = Number(text);
  const given = new Set(inheritedFds());
  for (let fd = 3; fd < 3 + listen + n; fd++) {
    if (given.has(fd)) continue;
    throw new ToolError(fd < 3 + listen
      ? `LISTEN_FDS=${listen}: fd ${fd} is not open`
      : `unable to stat preserved-fd ${fd - 3 - listen} (of ${n}): fd ${fd} is not open`);
  }
  return { passed: listen + n, listen };
}

export interface Launch {
  steps: Step[];
  /** tsoci's own argv: what `ps` shows for the executor */
  argv: string[];
  passed: number;
  /** fd 2 is a pipe to us (create: the setup's errors, said once); else ours */
  captureStderr: boolean;
  /** the init's 'h': the runtime's hooks, given its host PID (a throw kills it) */
  onHooks?: (pid: number) => void;
  /** the init's 's': it execs the program now */
  onStarted?: () => void;
  /** signals tsoci gets passed on to the executor (run) */
  forward?: boolean;
}

export interface Ended {
  status: number;
  /** what it said on fd 2, line by line, when captured */
  said: string[];
  /** a hook's failure: the error to report */
  error?: Error;
}

function planFd(steps: Step[]): number {
  const NUL = Buffer.of(0);
  const fd = addon().memfd(Buffer.concat(encode(steps).flatMap((w) => [encodeBytes(w), NUL])));
  if (fd < 0) throw new ToolError(`cannot hand the plan to ${executorPath()}: ${addon().strerror(-fd)}`);
  return fd;
}

/** The child of a process (the executor's, once it forked the init): its
 * children file, or (a kernel without it) each process's parent in /proc. */
function onlyChild(pid: number): number | undefined {
  let kids: number[];
  try {
    kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    kids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((p) => {
      try {
        const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    });
  }
  return kids.length === 1 ? kids[0] : undefined;
}

export function launch(l: Launch): Promise<Ended> {
  const fds = layout(l.passed);
  const fd = planFd(l.steps);
  const stdio: (number | 'inherit' | 'pipe' | 'ignore')[] = ['inherit', 'inherit', l.captureStderr ? 'pipe' : 'inherit'];
  for (let i = 3; i < fds.plan; i++) stdio.push(i);
  stdio.push(fd, 2);
  if (l.onHooks || l.onStarted) stdio.push(l.onHooks ? 'pipe' : 'ignore');
  if (l.onStarted) stdio.push('pipe');
  const child = spawn(executorPath(), l.argv.slice(1), { argv0: 'tsoci', env: { TSCORE_PLAN: String(fds.plan) }, stdio });
  fs.closeSync(fd);
  let stderr = '';
  (child.stdio[2] as Readable | null)?.on('data', (d) => { stderr += d; });
  let error: Error | undefined;
  const kill = (e: Error) => {
    error ??= e;
    const init = child.pid === undefined ? undefined : onlyChild(child.pid);
    for (const pid of [init, child.pid]) {
      try {
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  };
  if (l.onHooks) {
    const sock = child.stdio[fds.hooks] as Readable & Writable;
    sock.once('data', () => {
      try {
        const init = onlyChild(child.pid!);
        if (!init) throw new ToolError('the container\'s init is gone before its hooks ran');
        l.onHooks!(init);
        sock.end('g');
      } catch (e) {
        kill(e as Error);
        sock.destroy();
      }
    });
    sock.on('error', () => {});
  }
  if (l.onStarted) {
    const sock = child.stdio[fds.started] as Readable;
    sock.once('data', () => {
      try {
        l.onStarted!();
      } catch (e) {
        kill(e as Error);
      }
    });
    sock.on('error', () => {});
  }
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;
  if (l.forward) for (const sig of signals) process.on(sig, forward);
  return new Promise((resolve, reject) => {
    child.on('error', (e) => reject(new ToolError(`cannot run ${executorPath()}: ${e.message}`)));
    child.on('close', (code, sig) => {
      if (l.forward) for (const s of signals) process.off(s, forward);
      const status = code ?? 128 + (sig ? (parseSignalName(sig) ?? 1) : 1);
      resolve({ status, said: stderr.split('\n').filter(Boolean).map((line) => line.replace(/^tsoci: /, '')), error });
    });
  });
}
