// A target for tsnsenter: a process in namespaces of its own, made by
// tsunshare (or util-linux unshare), that marks each namespace so a test can
// recognise it, prints "ready", and waits. Killed by its PID at teardown.
import fs = require('fs');
import type { Test } from 'tap';
import { background, childrenOf, firstLine } from './run';

export interface Target {
  /** the process inside the namespaces */
  pid: number;
  ns: (type: string) => string;
}

/** what the target does before it waits: a hostname, a mount on /mnt, lo up, an IPC queue */
const MARK = 'hostname tsns-target; mount -t tmpfs tsns-marker /mnt; touch /mnt/tsns-marker; ip link set lo up; ipcmk -Q >/dev/null; cd /tmp';

export async function target(t: Test, maker = 'tsunshare', options = '-Umpinuc -T --monotonic 5 --fork -r --mount-proc'): Promise<Target> {
  // the marks change a hostname, mounts, links and IPC: never the host's
  if (!/-\w*m/.test(options) || !/-\w*u/.test(options) || !/-\w*n/.test(options) || !/-\w*i/.test(options))
    throw new Error(`target: options '${options}' must unshare mount, uts, net and ipc`);
  const child = background(t, `${maker} ${options} sh -c '${MARK}; echo ready; exec sleep 120'`);
  const line = await firstLine(child);
  if (line !== 'ready') throw new Error(`target: ${line}`);
  const [pid] = childrenOf(child.pid!);
  t.teardown(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  });
  return { pid, ns: (type) => fs.readlinkSync(`/proc/${pid}/ns/${type}`) };
}
