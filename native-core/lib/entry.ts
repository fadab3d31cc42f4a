// What the caller gave this tool, exactly: its arguments and environment as
// bytes (from /proc/self, which Node leaves alone), and the state Node
// rewrites at start-up (signals, mask, descriptors, RLIMIT_NOFILE) as the
// launcher recorded it (src/exec/launch.c) in TSCORE_ENTRY. The caller's
// NODE_* entries reach this Node renamed (held, see launch.c), so that they
// steer the program's Node, not the tool's; callerEnv() gives them back.
import fs = require('fs');
import { nulWords } from './bytes';

const RECORD = 'TSCORE_ENTRY';
const HELD_PREFIX = 'TSCORE_HELD_';

export interface CallerRecord {
  /** hex signal bits, as tscore-exec's `caller` step takes them */
  ignored: string;
  blocked: string;
  nofile: [string, string];
  /** F_GETFL of fds 0–2 at launch, -1 where closed */
  stdio: [number, number, number];
  /** every descriptor open at launch */
  fds: number[];
  /** indices of the environment entries the launcher renamed (held) */
  held: number[];
  /** the launcher's own path: the executor, with the addon beside it */
  exe: string;
}

let record: CallerRecord | null | undefined;

/** The launcher's record, or null when the tool was started without it
 * (`node dist/tool.js`): then the program gets Node's defaults. */
export function callerRecord(): CallerRecord | null {
  if (record !== undefined) return record;
  const text = process.env[RECORD];
  delete process.env[RECORD];
  const m = text?.match(/^ign=([0-9a-f]+):blk=([0-9a-f]+):nofile=(\d+),(\d+):fl=(-?\d+),(-?\d+),(-?\d+):fds=([\d,]*):held=([\d,]*):exe=(\/[^]*)$/);
  record = m
    ? {
        ignored: m[1], blocked: m[2], nofile: [m[3], m[4]],
        stdio: [Number(m[5]), Number(m[6]), Number(m[7])],
        fds: m[8].split(',').filter(Boolean).map(Number),
        held: m[9].split(',').filter(Boolean).map(Number),
        exe: m[10],
      }
    : null;
  return record;
}

/** A /proc file whole. readFileSync() takes another path for a file whose
 * size reads 0, whose first run costs ~0.1 ms of a start. */
function readProcFile(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    let buf = Buffer.allocUnsafe(16384);
    let len = 0;
    for (let n; (n = fs.readSync(fd, buf, len, buf.length - len, null)) > 0; ) {
      len += n;
      if (len === buf.length) buf = Buffer.concat([buf, Buffer.allocUnsafe(buf.length)]);
    }
    return buf.subarray(0, len);
  } finally {
    fs.closeSync(fd);
  }
}

/** The arguments after the script, as the bytes the caller passed. */
export function callerArgv(): string[] {
  const words = nulWords(readProcFile('/proc/self/cmdline'));
  const count = process.argv.length - 2;
  return count > 0 ? words.slice(-count) : [];
}

/** The environment as the caller gave it: every entry, in order, duplicates
 * and entries Node cannot show included; the launcher's record left out,
 * the entries it held given back their names. */
export function callerEnv(): string[] {
  const env = nulWords(readProcFile('/proc/self/environ'));
  const record = callerRecord();
  if (!record || !env.length || !env[env.length - 1].startsWith(`${RECORD}=`)) return env;
  env.pop();
  for (const k of record.held) {
    if (env[k]?.startsWith(HELD_PREFIX)) env[k] = env[k].slice(HELD_PREFIX.length);
  }
  return env;
}

/** An environment list as a lookup table; the first of duplicates wins, as in getenv(). */
export function envTable(env: string[]): NodeJS.ProcessEnv {
  const table: NodeJS.ProcessEnv = {};
  for (const kv of env) {
    const eq = kv.indexOf('=');
    if (eq > 0 && !(kv.slice(0, eq) in table)) table[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return table;
}
