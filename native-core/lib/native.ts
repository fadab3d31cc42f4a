// Finds and loads the prebuilt addon; tscore-exec sits in the same folder.
import fs = require('fs');
import path = require('path');
import { callerRecord } from './entry';
import { ToolError } from './errors';

interface Addon {
  /** execve(); `inherit` are fds (beyond 0–2) to pass on. Returns only on failure, with the errno. */
  execve(file: string, argv: (string | Buffer)[], env: string[], inherit: number[]): number;
  /** a memfd (close-on-exec) holding `data`, or -errno */
  memfd(data: Buffer): number;
  strerror(errno: number): string;
  /** flock(fd, LOCK_EX), waiting: 0 or -errno */
  flock(fd: number): number;
  /** mkfifo(path, mode): 0 or -errno */
  mkfifo(path: string, mode: number): number;
  /** signal `pid` through a pidfd if it is the process that started at `startTime` (field 22 of /proc/PID/stat): 0, or -errno (-ESRCH: gone, or another process) */
  pidfdSignal(pid: number, startTime: string, sig: number): number;
  /** a cgroup v2 directory's device rules: the eBPF program `insns` loaded and attached, 0 or -errno */
  cgroupDevices(dir: string, insns: Buffer): number;
  /** openat2(root, path, flags | O_CLOEXEC) resolved in the root (RESOLVE_IN_ROOT, no magic links): an fd, or -errno */
  openInRoot(root: string, path: string, flags: number): number;
  /** the inode of the parent of the user namespace file `path`, or -errno */
  userNsParent(path: string): number;
  /** the CLONE_NEW* type of a namespace file (ioctl NS_GET_NSTYPE), or -errno */
  nsType(path: string): number;
  /** the open fds: what each points to, and its access mode (O_ACCMODE) */
  fdTable(): { fd: number; link: string; mode: number }[];
}

// found by name, so that a tool bundled with esbuild still finds the prebuilds
const root = () => path.dirname(require.resolve('tscontainer-core/package.json'));
let found: { addon: Addon; dir: string } | undefined;

function load(): { addon: Addon; dir: string } {
  if (found) return found;
  // Fast path: beside the launcher that started this tool, else the prebuild
  // we ship. node-gyp-build's directory scan costs ~2 ms of every tool
  // start, so it is only the fallback (dev builds, other layouts).
  const launcher = callerRecord()?.exe;
  const dir = launcher ? path.dirname(launcher) : path.join(root(), 'prebuilds', `${process.platform}-${process.arch}`);
  const file = path.join(dir, 'tscontainer-core.node');
  if (fs.existsSync(file)) {
    found = { addon: loadAddon(file, true), dir };
  } else {
    let resolved: string;
    try {
      resolved = require('node-gyp-build').resolve(root());
    } catch {
      throw new ToolError(`no prebuilt native core for ${platform()} in ${root()} (it has ${shipped()}); ` +
        'this machine is not supported yet');
    }
    found = { addon: loadAddon(resolved), dir: path.dirname(resolved) };
  }
  return found;
}

/** The addon (by process.dlopen where the path is known: require()'s
 * resolution costs ~0.2 ms of a start), whose failure (a C library too old,
 * or not glibc) says so in one line. */
function loadAddon(file: string, direct = false): Addon {
  try {
    if (!direct) return require(file) as Addon;
    const module = { exports: {} };
    process.dlopen(module, file);
    return module.exports as Addon;
  } catch (e) {
    throw new ToolError(`cannot load the native core ${file} on ${platform()}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** this machine, as prebuild folders are named (musl spelled out) */
function platform(): string {
  const glibc = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } })?.header?.glibcVersionRuntime;
  return `${process.platform}-${process.arch}${process.platform === 'linux' && !glibc ? ' (musl)' : ''}`;
}

function shipped(): string {
  try {
    return fs.readdirSync(path.join(root(), 'prebuilds')).join(', ') || 'none';
  } catch {
    return 'none';
  }
}

export function addon(): Addon {
  return load().addon;
}

/** The plan executor, a single-threaded native program. */
export function executorPath(): string {
  return path.join(load().dir, 'tscore-exec');
}
