// Debian's containerd, started by a test with its own config, root, state
// and socket in a scratch folder. It runs as PID 1 of a PID namespace of its
// own (its shims and containers end with it, and it reaps them) and in a
// mount namespace of its own with a tmpfs on /run, where containerd 1.6
// puts shim sockets and the runtime's state whatever its config says; `ctr`
// runs in those namespaces too (its FIFOs go in /run/containerd/fifo). The
// busybox rootfs is imported as a docker archive made here.
import { spawn, spawnSync } from 'child_process';
import crypto = require('crypto');
import fs = require('fs');
import path = require('path');
import type { Test } from 'tap';
import { cgroupBase } from './cgroups';
import { rootfs } from './rootfs';
import { childrenOf, clean, scratch, sleep, type Result } from './run';

export const CTR_IMAGE = 'localhost/tsbusybox:latest';
export const hasContainerd = ['/usr/bin/containerd', '/usr/bin/ctr', '/usr/bin/containerd-shim-runc-v2'].every((f) => fs.existsSync(f));

export interface Containerd {
  dir: string;
  /** containerd's PID (as this test sees it) */
  pid: number;
  /** --cgroup of a container: beneath this test's cgroup */
  cgroup: (id: string) => string;
  /** ctr -n tsns ..., in containerd's namespaces */
  ctr: (args: string[], timeout?: number) => Result;
  /** a file of containerd's mount namespace (its /run is its own) */
  inside: (p: string) => string;
}

/** A docker archive (manifest.json, config, one layer) of a root filesystem. */
function dockerArchive(root: string, dir: string): string {
  const work = path.join(dir, 'image');
  fs.mkdirSync(work);
  const tarred = spawnSync('tar', ['-C', root, '-cf', path.join(work, 'layer.tar'), '.'], { encoding: 'utf8' });
  if (tarred.status !== 0) throw new Error(`tar: ${tarred.stderr}`);
  const diff = crypto.createHash('sha256').update(fs.readFileSync(path.join(work, 'layer.tar'))).digest('hex');
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  fs.writeFileSync(path.join(work, 'config.json'), JSON.stringify({
    architecture: arch, os: 'linux', config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [`sha256:${diff}`] },
  }));
  fs.writeFileSync(path.join(work, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: [CTR_IMAGE], Layers: ['layer.tar'] }]));
  const archive = path.join(dir, 'image.tar');
  const packed = spawnSync('tar', ['-C', work, '-cf', archive, 'manifest.json', 'config.json', 'layer.tar'], { encoding: 'utf8' });
  if (packed.status !== 0) throw new Error(`tar: ${packed.stderr}`);
  return archive;
}

export async function containerd(t: Test): Promise<Containerd> {
  const dir = scratch(t);
  fs.chmodSync(dir, 0o755);
  const base = cgroupBase(t);
  const socket = path.join(dir, 'containerd.sock');
  const config = path.join(dir, 'config.toml');
  // the v1 linux runtime stays enabled: 1.6's tasks service needs it
  fs.writeFileSync(config, [
    'version = 2', `root = "${dir}/root"`, `state = "${dir}/state"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",',
    '  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.tracing"]',
    '[grpc]', `  address = "${socket}"`, '[ttrpc]', `  address = "${socket}.ttrpc"`,
    '[plugins]', '  [plugins."io.containerd.internal.v1.opt"]', `    path = "${dir}/opt"`, '',
  ].join('\n'));
  const log = fs.openSync(path.join(dir, 'containerd.log'), 'w');
  const [cmd, ...rest] = clean(['unshare', '-m', '-p', '--fork', '--mount-proc', '--propagation', 'private',
    'sh', '-c', 'mount -t tmpfs tmpfs /run && exec containerd --config "$0"', config]);
  const unshare = spawn(cmd, rest, { stdio: ['ignore', log, log], cwd: dir });
  fs.closeSync(log);
  let pid = 0;
  // teardowns run last first: this one before the cgroups and the folder go
  t.teardown(async () => {
    // PID 1 of its namespace: when it ends, the kernel kills what is left in it
    for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
      try {
        if (pid) process.kill(pid, sig);
      } catch {
        break;
      }
      for (let i = 0; i < 100 && unshare.exitCode === null && unshare.signalCode === null; i++) await sleep(20);
      if (unshare.exitCode !== null || unshare.signalCode !== null) break;
    }
  });
  for (let i = 0; i < 250 && !(pid && fs.existsSync(socket)); i++) {
    pid = childrenOf(unshare.pid!)[0] ?? 0;
    await sleep(20);
  }
  if (!fs.existsSync(socket)) throw new Error(`containerd did not start: ${fs.readFileSync(path.join(dir, 'containerd.log'), 'utf8').slice(-2000)}`);

  const ctr = (args: string[], timeout = 60): Result => {
    const [c, ...r] = clean(['timeout', '-k', '5', String(timeout), 'nsenter', '-t', String(pid), '-m', '-p', 'ctr', '-a', socket, '-n', 'tsns', ...args]);
    const out = spawnSync(c, r, { encoding: 'utf8', input: '' });
    if (out.error) throw out.error;
    return { status: out.status, signal: out.signal, stdout: out.stdout, stderr: out.stderr };
  };
  const imported = ctr(['image', 'import', dockerArchive(rootfs(t).root, dir)]);
  if (imported.status !== 0) throw new Error(`ctr image import: ${imported.stderr}`);
  return { dir, pid, ctr, cgroup: (id) => `${base}/${id}`, inside: (p) => `/proc/${pid}/root${p}` };
}
