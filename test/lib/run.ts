// Running the tools as a user would: the real binaries, the real kernel.
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import fs = require('fs');
import os = require('os');
import path = require('path');
import type { Test } from 'tap';

// bundled for the v2 guest lane, __dirname is elsewhere: TSNS_ROOT is set then
export const ROOT = process.env.TSNS_ROOT ?? path.resolve(__dirname, '..', '..');
export const BIN = path.join(ROOT, 'bin');
export const PATH = `${BIN}:${process.env.PATH}`;

/** Our environment without what tap adds for its own child processes. */
export function userEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(env).filter(([k]) => k !== 'NODE_OPTIONS' && !/^_?TAP/.test(k)));
  return { ...clean, PATH };
}

/** argv that runs `argv` with exactly `env`: tap patches child_process and
 * adds its NODE_OPTIONS to every child, which `env -i` takes away again. */
export function clean(argv: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const vars = Object.entries(userEnv(env)).map(([k, v]) => `${k}=${v}`);
  return ['/usr/bin/env', '-i', ...vars, ...argv];
}

export interface Result {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeout?: number;
}

function finish(r: ReturnType<typeof spawnSync>): Result {
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** One of our tools, by name, with these arguments. */
export function tool(name: string, args: string[], o: RunOptions = {}): Result {
  const [cmd, ...rest] = clean([path.join(BIN, name), ...args], o.env);
  return finish(spawnSync(cmd, rest, { encoding: 'utf8', input: o.input ?? '', cwd: o.cwd, timeout: o.timeout ?? 60_000 }));
}

/** A shell script with our tools on PATH. */
export function sh(script: string, o: RunOptions = {}): Result {
  const [cmd, ...rest] = clean(['/bin/sh', '-c', script], o.env);
  return finish(spawnSync(cmd, rest, { encoding: 'utf8', input: o.input ?? '', cwd: o.cwd, timeout: o.timeout ?? 60_000 }));
}

function descendants(pid: number): number[] {
  return childrenOf(pid).flatMap((c) => [c, ...descendants(c)]);
}

/** Start a long-running command; teardown kills it and what it started, by their PIDs. */
export function background(t: Test, script: string): ChildProcess {
  const [cmd, ...rest] = clean(['/bin/sh', '-c', `exec ${script}`]);
  const child = spawn(cmd, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    for (const pid of descendants(child.pid!).reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child.stdout?.destroy();
    child.stderr?.destroy();
  });
  return child;
}

/** The first line a background process prints. */
export function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    child.on('exit', () => reject(new Error(`exited before a line; stderr: ${child.stderr?.read() ?? ''}`)));
  });
}

export function mountPoints(): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[4]);
}

/** A scratch directory; teardown unmounts whatever is left under it and removes it. */
export function scratch(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsns-test-'));
  t.teardown(() => {
    for (const point of mountPoints().reverse()) {
      if (point === dir || point.startsWith(dir + '/')) spawnSync('umount', ['-l', point]);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

export function nsId(pid: number | 'self', type: string): string {
  return fs.readlinkSync(`/proc/${pid}/ns/${type}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until cond() holds (polling), or fail after `ms`. */
export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(20);
  }
}

/** The children of a process. */
export function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
