// `tsoci ps`: the processes of a container, as runc lists them: the PIDs in
// its cgroups (each directory and those beneath it); json prints them,
// table runs the host's ps (default -ef) and keeps its header and the lines
// whose PID is one of them.
import fs = require('fs');
import path = require('path');
import { spawnSync } from 'child_process';
import { members, ToolError } from 'tscontainer-core';

/** Every PID in the directories and their descendants, sorted. */
export function cgroupPids(dirs: string[]): number[] {
  const pids = new Set<number>();
  const walk = (dir: string) => {
    for (const p of members(dir)) pids.add(p);
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) walk(path.join(dir, e.name));
  };
  for (const d of dirs) walk(d);
  return [...pids].sort((a, b) => a - b);
}

/** ps's table, cut to the PIDs given (runc's: the PID column found by its header). */
export function psTable(pids: number[], args: string[]): string {
  const r = spawnSync('ps', args.length ? args : ['-ef'], { encoding: 'utf8' });
  if (r.error) throw new ToolError(`cannot run ps: ${r.error.message}`);
  if (r.status !== 0) throw new ToolError(`ps ${args.join(' ')} failed: ${r.stderr.trim().split('\n')[0] ?? `exit status ${r.status}`}`);
  const lines = r.stdout.split('\n').filter(Boolean);
  const column = lines[0]?.trim().split(/\s+/).indexOf('PID') ?? -1;
  if (column < 0) throw new ToolError(`ps ${args.join(' ')}: its output has no PID column`);
  const wanted = new Set(pids);
  return [lines[0], ...lines.slice(1).filter((l) => wanted.has(Number(l.trim().split(/\s+/)[column])))].join('\n') + '\n';
}
