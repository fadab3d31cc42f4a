// /etc/subuid and /etc/subgid of our own, seen only by a script run in a
// private mount namespace (an overlay on /etc): the host's stay untouched.
import fs = require('fs');
import path = require('path');
import type { Test } from 'tap';
import { scratch, sh } from './run';

export function withSubids(t: Test, script: string) {
  const dir = scratch(t);
  for (const d of ['upper', 'work']) fs.mkdirSync(path.join(dir, d));
  fs.writeFileSync(path.join(dir, 'upper', 'subuid'), 'root:100000:65536\nnobody:200000:65536\n');
  fs.writeFileSync(path.join(dir, 'upper', 'subgid'), 'root:300000:65536\nnobody:400000:65536\n');
  return sh(`unshare -m --propagation private sh -c 'mount -t overlay overlay -o lowerdir=/etc,upperdir=${dir}/upper,workdir=${dir}/work /etc && ${script.replace(/'/g, `'\\''`)}'`);
}
