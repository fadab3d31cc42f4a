// config.json (runtime-spec 1.x) → a validated Container: what create plans
// from. Everything this runtime does not do is refused here, in one line
// naming the field, before anything is made; fields the spec lets a runtime
// ignore are ignored.
import fs = require('fs');
import path = require('path');
import { parseResources, type CgroupPlan } from './cgroup';
import { parseSeccomp } from './seccomp';
import { parseDevices, type Device } from './devices';
import { parseHooks, type Hooks } from './hooks';
import { CAPS, errno as E, MS, NAMESPACES, O, addon, checkMap, nsFlag, ToolError, type CapSets, type IdRange, type NsType, type SeccompFilter } from 'tscontainer-core';

export interface Mount {
  /** where, inside the container (absolute, no "..") */
  destination: string;
  /** mount(2)'s source: the host's path for a bind (absolute), else a name */
  source: string | null;
  fstype: string | null;
  bind: boolean;
  /** MS_* flags: for a bind, those applied by the remount after it */
  flags: number;
  /** MS_{,R}PRIVATE|SHARED|SLAVE|UNBINDABLE, applied after the mount */
  propagation: number;
  data: string | null;
  /** a bind of a directory (else a file is made to bind on) */
  dir: boolean;
  /** tmpcopyup: the tmpfs starts as a copy of what it covers */
  copyUp?: boolean;
}

export interface Rlimit {
  resource: number;
  name: string;
  soft?: bigint;
  hard?: bigint;
}

export interface ProcessSpec {
  args: string[];
  /** args[0] as found in the rootfs (with the container's PATH) */
  file: string;
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  umask?: number;
  caps?: CapSets;
  rlimits: Rlimit[];
  noNewPrivileges: boolean;
  oomScoreAdj?: number;
  /** a pty, its master for the caller's --console-socket */
  terminal: boolean;
  consoleSize?: { height: number; width: number };
}

export interface Container extends ProcessSpec {
  ociVersion: string;
  /** the bundle and the rootfs, absolute */
  bundle: string;
  rootfs: string;
  readonlyRoot: boolean;
  /** namespaces made new, and those joined by path (in the spec's order) */
  newNs: NsType[];
  joinNs: { type: NsType; path: string }[];
  uidMap: IdRange[];
  gidMap: IdRange[];
  hostname?: string;
  domainname?: string;
  mounts: Mount[];
  rootPropagation: number;
  maskedPaths: string[];
  readonlyPaths: string[];
  sysctl: [string, string][];
  /** linux.devices and runc's defaults */
  devices: Device[];
  hooks: Hooks;
  /** linux.resources and cgroupsPath */
  cgroup?: CgroupPlan;
  /** linux.seccomp: the init's filter, and every exec'd process's */
  seccomp?: SeccompFilter;
  annotations: Record<string, string>;
}

/** runtime-spec's namespace names → ours */
const NS_TYPES: Record<string, NsType> = {
  pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time',
};

export const RLIMITS = [
  'CPU', 'FSIZE', 'DATA', 'STACK', 'CORE', 'RSS', 'NPROC', 'NOFILE', 'MEMLOCK', 'AS', 'LOCKS', 'SIGPENDING',
  'MSGQUEUE', 'NICE', 'RTPRIO', 'RTTIME',
];

/** mount options that are flags: [set, clear] */
const FLAG_OPTIONS: Record<string, [number, number]> = {
  ro: [MS.RDONLY, 0], rw: [0, MS.RDONLY],
  nosuid: [MS.NOSUID, 0], suid: [0, MS.NOSUID],
  nodev: [MS.NODEV, 0], dev: [0, MS.NODEV],
  noexec: [MS.NOEXEC, 0], exec: [0, MS.NOEXEC],
  sync: [MS.SYNCHRONOUS, 0], async: [0, MS.SYNCHRONOUS],
  dirsync: [MS.DIRSYNC, 0],
  remount: [MS.REMOUNT, 0],
  mand: [MS.MANDLOCK, 0], nomand: [0, MS.MANDLOCK],
  atime: [0, MS.NOATIME], noatime: [MS.NOATIME, 0],
  diratime: [0, MS.NODIRATIME], nodiratime: [MS.NODIRATIME, 0],
  relatime: [MS.RELATIME, 0], norelatime: [0, MS.RELATIME],
  strictatime: [MS.STRICTATIME, 0],
  bind: [MS.BIND, 0], rbind: [MS.BIND | MS.REC, 0],
};

export const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

/** the file systems a mount may name (others are refused) */
const FSTYPES = new Set(['tmpfs', 'proc', 'sysfs', 'devpts', 'mqueue', 'bind', 'none', 'cgroup', 'cgroup2']);

const refuse = (field: string, why = 'is not supported by tsoci') => new ToolError(`${field} ${why}`);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const present = (v: unknown) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0) && !(isObject(v) && Object.keys(v).length === 0) && v !== '';

function str(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new ToolError(`${field}: expected a string`);
  return v;
}

function uint(v: unknown, field: string, max = 2 ** 32 - 2): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new ToolError(`${field}: expected an integer from 0 to ${max}`);
  return v;
}

function strings(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ToolError(`${field}: expected an array of strings`);
  return v.map((x, i) => str(x, `${field}[${i}]`));
}

/** A path inside the container: absolute, no "..", so nothing climbs out. */
function innerPath(p: string, field: string): string {
  if (!path.isAbsolute(p)) throw new ToolError(`${field}: '${p}' is not an absolute path`);
  if (p.split('/').includes('..')) throw new ToolError(`${field}: '${p}' may not contain '..'`);
  return path.posix.normalize(p);
}

function capMask(v: unknown, field: string): bigint {
  let mask = 0n;
  for (const [i, name] of strings(v, field).entries()) {
    const k = CAPS.indexOf(name.toUpperCase().replace(/^CAP_/, '') as (typeof CAPS)[number]);
    // as runc: a capability this kernel table does not know is left out
    if (k < 0) {
      if (!/^CAP_[A-Z_]+$/.test(name)) throw new ToolError(`${field}[${i}]: '${name}' is not a capability name`);
      continue;
    }
    mask |= 1n << BigInt(k);
  }
  return mask;
}

function idMappings(v: unknown, field: string): IdRange[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ToolError(`${field}: expected an array`);
  return v.map((m, i) => {
    if (!isObject(m)) throw new ToolError(`${field}[${i}]: expected an object`);
    return {
      inner: uint(m.containerID, `${field}[${i}].containerID`),
      outer: uint(m.hostID, `${field}[${i}].hostID`),
      count: uint(m.size, `${field}[${i}].size`, 2 ** 32 - 1),
    };
  });
}

function parseMount(m: unknown, i: number, bundle: string, rootfs: string): Mount {
  const field = `mounts[${i}]`;
  if (!isObject(m)) throw new ToolError(`${field}: expected an object`);
  const destination = innerPath(str(m.destination, `${field}.destination`), `${field}.destination`);
  const type = m.type === undefined ? 'none' : str(m.type, `${field}.type`);
  for (const key of ['uidMappings', 'gidMappings']) if (present(m[key])) throw refuse(`${field}.${key} (an idmapped mount)`);
  let flags = 0;
  let propagation = 0;
  const data: string[] = [];
  let copyUp = false;
  for (const [k, opt] of strings(m.options, `${field}.options`).entries()) {
    if (opt in FLAG_OPTIONS) {
      flags = (flags | FLAG_OPTIONS[opt][0]) & ~FLAG_OPTIONS[opt][1];
    } else if (opt in PROPAGATION) {
      propagation = PROPAGATION[opt];
    } else if (opt === 'tmpcopyup') {
      // the tmpfs gets a copy of what it covers (as runc, only a tmpfs does)
      copyUp = type === 'tmpfs';
    } else if (['idmap', 'ridmap', 'copy-symlink', 'rro', 'rrw'].includes(opt) || opt.startsWith('X-')) {
      throw refuse(`${field}.options[${k}] '${opt}'`);
    } else {
      data.push(opt);
    }
  }
  const bind = type === 'bind' || (flags & MS.BIND) !== 0;
  if (!bind && !FSTYPES.has(type)) throw refuse(`${field}.type '${type}'`);
  if (!bind && type === 'none') throw new ToolError(`${field}: a mount of type 'none' must be a bind`);
  let source = m.source === undefined ? null : str(m.source, `${field}.source`);
  let dir = true;
  if (bind) {
    if (!source) throw new ToolError(`${field}.source: a bind needs a source`);
    source = path.resolve(bundle, source);
    let st: fs.Stats;
    try {
      st = fs.statSync(source);
    } catch (e) {
      throw new ToolError(`${field}.source: cannot bind ${source}: ${addon().strerror(-((e as NodeJS.ErrnoException).errno ?? -E.ENOENT))}`);
    }
    dir = st.isDirectory();
    flags |= MS.BIND;
  }
  return { destination, source, fstype: bind ? null : type, bind, flags, propagation, data: data.length ? data.join(',') : null, dir, copyUp };
}

/** What execvp would run inside the rootfs: args[0] found with the
 * container's PATH, symlinks followed as from inside the root. */
export function findInRoot(rootfs: string, file: string, env: string[], cwd: string): string | undefined {
  const runnable = (p: string) => {
    const st = statInRoot(rootfs, p);
    return !!st && st.isFile() && (st.mode & 0o111) !== 0;
  };
  if (file.includes('/')) return runnable(path.posix.resolve(cwd, file)) ? file : undefined;
  const PATH = env.find((kv) => kv.startsWith('PATH='))?.slice(5) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  for (const dir of PATH.split(':')) {
    const candidate = path.posix.join(path.posix.resolve(cwd, dir || '.'), file);
    if (runnable(candidate)) return candidate;
  }
  return undefined;
}

/** What is at a path inside the root, links followed as the kernel follows
 * them there (openat2 in the root: no race of the container's can lead it
 * out), or undefined. */
function statInRoot(rootfs: string, inner: string): fs.Stats | undefined {
  const fd = addon().openInRoot(rootfs, inner, O.PATH);
  if (fd < 0) return undefined;
  try {
    return fs.fstatSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The home directory of a uid in the rootfs's /etc/passwd, or "/". */
function homeOf(rootfs: string, uid: number): string {
  // the container's file, opened as the container would reach it (a running
  // one, for exec, may swap a directory for a link to the host's meanwhile);
  // a FIFO or a device there must not stall or flood us
  const fd = addon().openInRoot(rootfs, '/etc/passwd', fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
  if (fd < 0) return '/';
  try {
    if (!fs.fstatSync(fd).isFile()) return '/';
    const buf = Buffer.alloc(1 << 20);
    const text = buf.subarray(0, fs.readSync(fd, buf)).toString('utf8');
    const line = text.split('\n').map((l) => l.split(':')).find((f) => f.length >= 7 && f[2] === String(uid));
    return line?.[5] || '/';
  } catch {
    return '/';
  } finally {
    fs.closeSync(fd);
  }
}

/** An OCI process object (config.json's, or `exec --process`'s), checked;
 * args[0] found in the rootfs. */
export function parseProcess(proc: Json, rootfs: string): ProcessSpec {
  const args = strings(proc.args, 'process.args');
  if (!args.length) throw new ToolError('process.args: empty (there is no program to run)');
  const env = strings(proc.env, 'process.env');
  const user = isObject(proc.user) ? proc.user : {};
  // as runc: HOME, when unset, is the user's home in the container's /etc/passwd, or /
  if (!env.some((kv) => kv.startsWith('HOME='))) env.push(`HOME=${homeOf(rootfs, typeof user.uid === 'number' ? user.uid : 0)}`);
  const cwd = innerPath(str(proc.cwd ?? '/', 'process.cwd'), 'process.cwd');
  if (present(user.username)) throw refuse('process.user.username', 'is not for Linux (give uid and gid)');
  const caps = isObject(proc.capabilities)
    ? {
        bounding: capMask(proc.capabilities.bounding, 'process.capabilities.bounding'),
        effective: capMask(proc.capabilities.effective, 'process.capabilities.effective'),
        permitted: capMask(proc.capabilities.permitted, 'process.capabilities.permitted'),
        inheritable: capMask(proc.capabilities.inheritable, 'process.capabilities.inheritable'),
        ambient: capMask(proc.capabilities.ambient, 'process.capabilities.ambient'),
      }
    : undefined;
  const rlimits: Rlimit[] = (Array.isArray(proc.rlimits) ? proc.rlimits : []).map((r, i) => {
    const field = `process.rlimits[${i}]`;
    if (!isObject(r)) throw new ToolError(`${field}: expected an object`);
    const name = str(r.type, `${field}.type`).replace(/^RLIMIT_/, '');
    const resource = RLIMITS.indexOf(name);
    if (resource < 0) throw new ToolError(`${field}.type '${r.type}' is not a resource limit`);
    const value = (v: unknown, which: string) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ToolError(`${field}.${which}: expected a non-negative integer`);
      const big = BigInt(v);
      return big >= 2n ** 63n ? undefined : big; // 2^64-1 is infinity
    };
    return { resource, name: `RLIMIT_${name}`, soft: value(r.soft, 'soft'), hard: value(r.hard, 'hard') };
  });
  const program = findInRoot(rootfs, args[0], env, cwd);
  if (!program) {
    // as runc (Go's LookPath): a path there but not an executable file is "permission denied"
    const there = args[0].includes('/') && statInRoot(rootfs, path.posix.resolve(cwd, args[0])) !== undefined;
    throw new ToolError(!args[0].includes('/') ? `exec: "${args[0]}": executable file not found in $PATH`
      : there ? `exec: "${args[0]}": permission denied`
        : `exec: "${args[0]}": stat ${args[0]}: no such file or directory`);
  }

  return {
    args,
    file: program,
    env,
    cwd,
    uid: uint(user.uid ?? 0, 'process.user.uid'),
    gid: uint(user.gid ?? 0, 'process.user.gid'),
    additionalGids: (Array.isArray(user.additionalGids) ? user.additionalGids : []).map((g, i) => uint(g, `process.user.additionalGids[${i}]`)),
    umask: user.umask === undefined ? undefined : uint(user.umask, 'process.user.umask', 0o777),
    caps,
    rlimits,
    noNewPrivileges: proc.noNewPrivileges === true,
    terminal: proc.terminal === true,
    consoleSize: isObject(proc.consoleSize)
      ? { height: uint(proc.consoleSize.height, 'process.consoleSize.height', 65535), width: uint(proc.consoleSize.width, 'process.consoleSize.width', 65535) }
      : undefined,
    oomScoreAdj: proc.oomScoreAdj === undefined ? undefined : (() => {
      const v = proc.oomScoreAdj;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < -1000 || v > 1000) throw new ToolError('process.oomScoreAdj: expected an integer from -1000 to 1000');
      return v;
    })(),
  };
}

export function readConfig(bundle: string, id: string): Container {
  const file = path.join(bundle, 'config.json');
  let c: unknown;
  try {
    c = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ToolError(err.code === 'ENOENT' ? `JSON specification file ${file} not found` : `cannot read ${file}: ${err.message}`);
  }
  if (!isObject(c)) throw new ToolError(`${file}: expected a JSON object`);
  const ociVersion = str(c.ociVersion ?? '', 'ociVersion');
  if (!/^1\.\d+\.\d+/.test(ociVersion)) throw new ToolError(`ociVersion '${ociVersion}' is not supported (1.x is)`);

  // what this runtime does not do, refused by name
  const proc = isObject(c.process) ? c.process : undefined;
  if (!proc) throw new ToolError('process: missing (create needs the process to run)');
  for (const key of ['apparmorProfile', 'selinuxLabel', 'ioPriority', 'scheduler', 'execCPUAffinity'] as const) {
    if (present(proc[key])) throw refuse(`process.${key}`);
  }
  const linux = isObject(c.linux) ? c.linux : {};
  for (const key of ['intelRdt', 'personality', 'timeOffsets', 'mountLabel', 'memoryPolicy', 'netDevices'] as const) {
    if (present(linux[key])) throw refuse(`linux.${key}`);
  }

  const root = isObject(c.root) ? c.root : undefined;
  if (!root) throw new ToolError('root: missing');
  const rootfs = path.resolve(bundle, str(root.path, 'root.path'));
  try {
    if (!fs.statSync(rootfs).isDirectory()) throw new Error();
  } catch {
    throw new ToolError(`root.path: ${rootfs} is not a directory`);
  }

  // namespaces
  const newNs: NsType[] = [];
  const joinNs: { type: NsType; path: string }[] = [];
  const seen = new Set<string>();
  for (const [i, n] of (Array.isArray(linux.namespaces) ? linux.namespaces : []).entries()) {
    if (!isObject(n)) throw new ToolError(`linux.namespaces[${i}]: expected an object`);
    const name = str(n.type, `linux.namespaces[${i}].type`);
    const type = NS_TYPES[name];
    if (!type) throw new ToolError(`linux.namespaces[${i}].type '${name}' is not a namespace type`);
    if (seen.has(name)) throw new ToolError(`linux.namespaces: '${name}' is given twice`);
    seen.add(name);
    if (present(n.path)) {
      const p = str(n.path, `linux.namespaces[${i}].path`);
      const kind = addon().nsType(p);
      if (kind < 0) throw new ToolError(`linux.namespaces[${i}].path: ${p}: ${addon().strerror(-kind)}`);
      if (kind !== nsFlag(type)) throw new ToolError(`linux.namespaces[${i}].path: ${p} is not a ${name} namespace`);
      joinNs.push({ type, path: p });
    } else {
      newNs.push(type);
    }
  }
  const has = (t: NsType) => newNs.includes(t) || joinNs.some((j) => j.type === t);
  if (!newNs.includes('mnt')) throw new ToolError('linux.namespaces: tsoci needs a new mount namespace (type "mount", no path)');
  const uidMap = idMappings(linux.uidMappings, 'linux.uidMappings');
  const gidMap = idMappings(linux.gidMappings, 'linux.gidMappings');
  if ((uidMap.length || gidMap.length) && !newNs.includes('user')) throw new ToolError('linux.uidMappings: mappings need a new user namespace');
  if (newNs.includes('user') && (!uidMap.length || !gidMap.length)) throw new ToolError('linux.uidMappings and linux.gidMappings: a new user namespace needs both');
  checkMap(uidMap, 'uid');
  checkMap(gidMap, 'gid');

  const hostname = c.hostname === undefined ? undefined : str(c.hostname, 'hostname');
  const domainname = c.domainname === undefined ? undefined : str(c.domainname, 'domainname');
  if ((present(hostname) || present(domainname)) && !newNs.includes('uts')) throw new ToolError('hostname: setting it needs a new UTS namespace');

  const mounts = (Array.isArray(c.mounts) ? c.mounts : []).map((m, i) => parseMount(m, i, bundle, rootfs));
  const rp = linux.rootfsPropagation === undefined ? 'rslave' : str(linux.rootfsPropagation, 'linux.rootfsPropagation');
  if (!(rp in PROPAGATION)) throw new ToolError(`linux.rootfsPropagation '${rp}' is not a propagation`);

  const sysctl: [string, string][] = [];
  if (isObject(linux.sysctl)) {
    for (const [key, value] of Object.entries(linux.sysctl)) {
      if (!/^[\w.-]+$/.test(key) || key.includes('..')) throw new ToolError(`linux.sysctl: '${key}' is not a sysctl name`);
      // only what the container's own namespaces hold (as runc checks)
      const ns = key.startsWith('net.') ? 'net' : /^(kernel\.(msg|sem|shm)|fs\.mqueue\.)/.test(key) ? 'ipc'
        : ['kernel.hostname', 'kernel.domainname'].includes(key) ? 'uts' : undefined;
      if (!ns) throw new ToolError(`linux.sysctl: '${key}' is not namespaced: it would change the host`);
      if (!has(ns as NsType)) throw new ToolError(`linux.sysctl: '${key}' needs the container's own ${ns} namespace`);
      sysctl.push([key, str(value, `linux.sysctl.${key}`)]);
    }
  }

  const processSpec = parseProcess(proc, rootfs);

  const annotations: Record<string, string> = {};
  if (isObject(c.annotations)) for (const [k, v] of Object.entries(c.annotations)) annotations[k] = str(v, `annotations.${k}`);

  return {
    ociVersion,
    bundle,
    rootfs,
    readonlyRoot: root.readonly === true,
    newNs,
    joinNs,
    uidMap,
    gidMap,
    hostname,
    domainname,
    mounts,
    rootPropagation: PROPAGATION[rp],
    maskedPaths: strings(linux.maskedPaths, 'linux.maskedPaths').map((p, i) => innerPath(p, `linux.maskedPaths[${i}]`)),
    readonlyPaths: strings(linux.readonlyPaths, 'linux.readonlyPaths').map((p, i) => innerPath(p, `linux.readonlyPaths[${i}]`)),
    sysctl,
    devices: parseDevices(linux.devices),
    hooks: parseHooks(c.hooks),
    ...processSpec,
    cgroup: parseResources(linux, id, bundle),
    annotations,
    seccomp: parseSeccomp(linux.seccomp),
  };
}

/** Which namespaces' CLONE flags, for the namespace types given. */
export const NS_ORDER = NAMESPACES.map((n) => n.type);
