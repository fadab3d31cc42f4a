// A busybox root filesystem for a container (test/fixtures/make-rootfs.sh).
import { spawnSync } from 'child_process';
import fs = require('fs');
import path = require('path');
import type { Test } from 'tap';
import { ROOT, scratch } from './run';

/** A busybox rootfs in a scratch dir that uid 100000 can reach. */
export function rootfs(t: Test): { dir: string; root: string } {
  const dir = scratch(t);
  fs.chmodSync(dir, 0o755);
  const root = path.join(dir, 'root');
  const made = spawnSync('sh', [path.join(ROOT, 'test', 'fixtures', 'make-rootfs.sh'), root], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`make-rootfs: ${made.stderr}`);
  return { dir, root };
}
