// A real container for escape tests: a busybox root (test/fixtures), pivoted
// into (not chrooted) in new pid and mount namespaces made by tsunshare, its
// own /proc, a host-side marker it must never see. Killed at teardown.
import fs = require('fs');
import path = require('path');
import type { Test } from 'tap';
import { rootfs } from './rootfs';
import { background, childrenOf, firstLine } from './run';

export interface Container {
  /** PID 1 of the container, as the host sees it */
  pid: number;
  /** the rootfs, and a host directory with a file HOST-MARKER in it */
  root: string;
  host: string;
}

/** Pivot into ROOT from the shell tsunshare started; then PID 1 waits. */
const PIVOT = (root: string, env: string) =>
  `mount --bind ${root} ${root} && cd ${root} && pivot_root . .old && ` +
  `exec /bin/busybox env ${env} /bin/busybox sh -c 'umount -l /.old; rmdir /.old; mount -t proc proc /proc; echo ready; exec sleep 120'`;

/** `env(host)`: the environment of the container's processes (NAME=VALUE words) */
export async function container(t: Test, options = '-pm', env = (_host: string) => 'CONTAINER=1'): Promise<Container> {
  const { dir, root } = rootfs(t);
  const host = path.join(dir, 'host');
  fs.mkdirSync(host);
  fs.mkdirSync(path.join(root, '.old'));
  fs.writeFileSync(path.join(host, 'HOST-MARKER'), 'host\n');
  const child = background(t, `tsunshare ${options} --fork sh -c "${PIVOT(root, env(host))}"`);
  const line = await firstLine(child);
  if (line !== 'ready') throw new Error(`container: ${line}`);
  const [pid] = childrenOf(child.pid!);
  return { pid, root, host };
}
