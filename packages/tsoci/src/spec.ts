// `tsoci spec` (a default config.json, runc's, less what tsoci refuses) and
// `tsoci features` (what this runtime does, by runtime-spec's features.md).
import { CAPS } from 'tscontainer-core';
import { PROPAGATION, RLIMITS } from './config';
import { HOOK_KINDS } from './hooks';
import { seccompFeatures } from './seccomp';

const DEFAULT_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

export function defaultSpec(version: string, rootless: boolean): Record<string, unknown> {
  return {
    ociVersion: version,
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: DEFAULT_CAPS, effective: DEFAULT_CAPS, permitted: DEFAULT_CAPS },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'tsoci',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', ...(rootless ? [] : ['gid=5'])] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      rootless
        ? { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
        : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      ...(rootless
        ? { uidMappings: [{ containerID: 0, hostID: process.getuid!(), size: 1 }], gidMappings: [{ containerID: 0, hostID: process.getgid!(), size: 1 }] }
        : {}),
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, ...(rootless ? [{ type: 'user' }] : [])],
      maskedPaths: [
        '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

export function features(version: string, specVersion: string): Record<string, unknown> {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: specVersion,
    hooks: [...HOOK_KINDS],
    mountOptions: [
      'ro', 'rw', 'suid', 'nosuid', 'dev', 'nodev', 'exec', 'noexec', 'sync', 'async', 'dirsync', 'remount', 'mand', 'nomand',
      'atime', 'noatime', 'diratime', 'nodiratime', 'relatime', 'norelatime', 'strictatime', 'bind', 'rbind', 'tmpcopyup', ...Object.keys(PROPAGATION),
    ],
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts'],
      capabilities: CAPS.map((c) => `CAP_${c}`),
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: false },
      seccomp: seccompFeatures(),
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
    },
    annotations: { 'org.tscontainer.tsoci.version': version },
    // what tsoci refuses, by field: a config that sets any of them is not run
    'org.tscontainer.tsoci.unsupported': [
      'linux.seccomp: SCMP_ACT_NOTIFY and listenerPath', 'linux.resources: all but memory.limit, memory.swap, cpu.{shares,quota,period,cpus,mems}, pids.limit, devices, blockIO, hugepageLimits, unified (cgroup v2 only)',
      'linux.cgroupsPath as systemd\'s slice:prefix:name',
      'process.apparmorProfile', 'process.selinuxLabel', 'linux.intelRdt', 'linux.personality',
      'linux.timeOffsets', 'linux.mountLabel', 'mount option idmap',
      'update: all but memory, cpu, pids, blockIO and v1 devices', 'events: stats of cpu, memory and pids only', 'checkpoint', 'restore',
    ],
    'org.tscontainer.tsoci.rlimits': RLIMITS.map((r) => `RLIMIT_${r}`),
  };
}
