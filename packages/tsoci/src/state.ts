// A container's state between tsoci's commands: --root/<id>/ holds
// state.json (what create recorded), exec.fifo (while the init waits for
// start) and init.pid (the init's PID, written by the executor). Each
// command holds an flock on the directory while it works, so two commands
// on one container never interleave. The status is read from /proc each
// time, as runc does: the init gone, a zombie, or another process with its
// PID (another start time) is "stopped".
import fs = require('fs');
import os = require('os');
import path = require('path');
import { addon, ToolError, type SeccompFilter } from 'tscontainer-core';
import { fifoName, pidFileName } from './plan';
import { isFrozen } from './commands/freezer';
import type { Hook } from './hooks';

export interface State {
  ociVersion: string;
  id: string;
  bundle: string;
  rootfs: string;
  /** RFC 3339, UTC, nanoseconds */
  created: string;
  owner: string;
  /** the init's host PID and its start time (field 22 of /proc/PID/stat) */
  pid?: number;
  startTime?: string;
  /** the init is PID 1 of a PID namespace of its own: killing it ends them all */
  privatePid: boolean;
  /** the cgroup directories create made (deepest last): delete removes them */
  cgroups?: string[];
  /** every cgroup directory the init joined: what `kill --all` signals */
  cgroupDirs?: string[];
  annotations: Record<string, string>;
  /** linux.seccomp, parsed at create: exec's processes get it too (as runc) */
  seccomp?: SeccompFilter;
  /** the hooks later commands run: start's and delete's */
  hooks?: { poststart: Hook[]; poststop: Hook[] };
}

export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

/** runc's rule for ids: letters, digits, _+-. , no path in it */
export function checkId(id: string): void {
  if (!/^[\w+\-.]+$/.test(id) || id === '.' || id === '..') throw new ToolError(`invalid id format: ${id}`);
}

export const NOT_FOUND = 'container does not exist';

export class Dir {
  readonly dir: string;
  private lockFd = -1;
  constructor(readonly root: string, readonly id: string) {
    checkId(id);
    this.dir = path.join(root, id);
  }

  get fifo(): string {
    return path.join(this.dir, fifoName);
  }

  exists(): boolean {
    return fs.existsSync(path.join(this.dir, 'state.json'));
  }

  /** Make the directory (create): refused if the id is taken. Locked. */
  make(): void {
    fs.mkdirSync(this.root, { recursive: true, mode: 0o700 });
    try {
      fs.mkdirSync(this.dir, { mode: 0o711 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new ToolError(`container with id exists: ${this.id}`);
      throw e;
    }
    this.lock();
  }

  /** Wait for the lock on an existing container; "does not exist" if there is none. */
  lock(): void {
    let fd: number;
    try {
      fd = fs.openSync(this.dir, 'r');
    } catch {
      throw new ToolError(NOT_FOUND);
    }
    const r = addon().flock(fd);
    if (r < 0) throw new ToolError(`cannot lock ${this.dir}: ${addon().strerror(-r)}`);
    this.lockFd = fd;
  }

  unlock(): void {
    if (this.lockFd >= 0) fs.closeSync(this.lockFd);
    this.lockFd = -1;
  }

  read(): State {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.dir, 'state.json'), 'utf8')) as State;
    } catch {
      throw new ToolError(NOT_FOUND);
    }
  }

  /** Written whole or not at all: a temporary file renamed over it. */
  write(s: State): void {
    const tmp = path.join(this.dir, `.state.json.${process.pid}`);
    fs.writeFileSync(tmp, JSON.stringify(s), { mode: 0o600 });
    fs.renameSync(tmp, path.join(this.dir, 'state.json'));
  }

  /** The PID the executor wrote, once the init is set up. */
  initPid(): number | undefined {
    try {
      const text = fs.readFileSync(path.join(this.dir, pidFileName), 'utf8').trim();
      return /^\d+$/.test(text) ? Number(text) : undefined;
    } catch {
      return undefined;
    }
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** What the container is now, and its init's PID if it lives. */
  status(s: State): { status: Status; pid: number; startTime?: string } {
    let pid = s.pid;
    let startTime = s.startTime;
    if (pid === undefined) {
      // `run` records nothing after its start: the executor's pid file says it
      pid = this.initPid();
      startTime = pid === undefined ? undefined : procStat(pid)?.startTime;
      if (pid === undefined || startTime === undefined) return { status: fs.existsSync(path.join(this.dir, pidFileName)) ? 'stopped' : 'creating', pid: 0 };
    }
    const st = procStat(pid);
    if (!st || st.startTime !== startTime || st.state === 'Z' || st.state === 'X') return { status: 'stopped', pid: 0 };
    // runc's order: a frozen cgroup is paused, created or running
    if (isFrozen(s.cgroupDirs ?? [])) return { status: 'paused', pid: pid!, startTime };
    return { status: fs.existsSync(this.fifo) ? 'created' : 'running', pid: pid!, startTime };
  }
}

/** /proc/PID/stat's state and start time (after the command name, which may hold anything). */
export function procStat(pid: number): { state: string; startTime: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); field 22 is fields[19]
  return { state: fields[0], startTime: fields[19] };
}

/** now, as RFC 3339 with nanoseconds, UTC (go-runc decodes it as time.Time) */
export function rfc3339Nano(): string {
  const ns = process.hrtime.bigint() % 1_000_000n;
  return new Date().toISOString().replace(/\.(\d{3})Z$/, (_, ms) => `.${ms}${String(ns).padStart(6, '0')}Z`);
}

export function ownerName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return String(process.getuid!());
  }
}

/** The OCI state, as `tsoci state` prints it (runc's keys, 2-space indent). */
export function ociState(s: State, now: { status: Status; pid: number }): Record<string, unknown> {
  return {
    ociVersion: s.ociVersion,
    id: s.id,
    pid: now.pid,
    status: now.status,
    bundle: s.bundle,
    rootfs: s.rootfs,
    created: s.created,
    owner: '',
    ...(Object.keys(s.annotations).length ? { annotations: s.annotations } : {}),
  };
}
