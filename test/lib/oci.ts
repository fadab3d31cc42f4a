// Bundles for tsoci's tests: the busybox rootfs and `tsoci spec`'s
// config.json changed by the test, in a scratch directory with its own
// state root; teardown deletes whatever container is left (its init, its cgroups).
import type { Test } from 'tap';
import fs = require('fs');
import path = require('path');
import { background, firstLine, ROOT, scratch, sh, tool } from './run';

export type Json = Record<string, any>;

export interface Bundle {
  dir: string;
  bundle: string;
  rootfs: string;
  state: string;
  /** tsoci --root <state> ... */
  oci: (args: string[]) => ReturnType<typeof tool>;
  /** a command of tsoci whose container keeps its stdio: output to files, read back */
  detached: (args: string) => { status: number | null; stdout: string; stderr: string };
}

export function bundle(t: Test, edit: (c: Json) => void = () => {}): Bundle {
  const dir = scratch(t);
  fs.chmodSync(dir, 0o755); // a container root mapped to another uid reaches its rootfs
  const b = path.join(dir, 'bundle');
  const rootfs = path.join(b, 'rootfs');
  fs.mkdirSync(b);
  const made = sh(`sh ${ROOT}/test/fixtures/make-rootfs.sh ${rootfs}`);
  if (made.status !== 0) throw new Error(made.stderr);
  const spec = tool('tsoci', ['spec', '--bundle', b]);
  if (spec.status !== 0) throw new Error(spec.stderr);
  const config = JSON.parse(fs.readFileSync(path.join(b, 'config.json'), 'utf8'));
  config.root.readonly = false;
  edit(config);
  fs.writeFileSync(path.join(b, 'config.json'), JSON.stringify(config));
  const state = path.join(dir, 'state');
  const oci = (args: string[]) => tool('tsoci', ['--root', state, ...args]);
  const detached = (args: string) => {
    const r = sh(`tsoci --root ${state} ${args} </dev/null >${dir}/out 2>${dir}/err`);
    return { status: r.status, stdout: fs.readFileSync(`${dir}/out`, 'utf8'), stderr: fs.readFileSync(`${dir}/err`, 'utf8') };
  };
  t.teardown(() => removeLeftovers(state));
  return { dir, bundle: b, rootfs, state, oci, detached };
}

/** Whatever container is left in a state root: deleted with --force (its
 * init killed, its cgroups removed), else its init killed by PID. */
export function removeLeftovers(state: string): void {
  for (const id of fs.existsSync(state) ? fs.readdirSync(state) : []) {
    if (tool('tsoci', ['--root', state, 'delete', '--force', id]).status === 0) continue;
    try {
      const pid = Number(fs.readFileSync(path.join(state, id, 'init.pid'), 'utf8'));
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Change the bundle's config.json after the fact (when the edit needs the bundle's paths). */
export function editConfig(b: Bundle, edit: (c: Json) => void): void {
  const file = path.join(b.bundle, 'config.json');
  const c = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(c);
  fs.writeFileSync(file, JSON.stringify(c));
}

export const args = (script: string) => (c: Json) => {
  c.process.args = ['sh', '-c', script];
};

/** The process is there and not a zombie. */
export function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) [ZX] /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** /proc/PID/status's State letter */
export function procState(pid: number): string {
  return /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
}

/** A console socket's listener (python3: Node cannot receive an fd): it
 * prints "ready", takes one message with one fd, then what the pty's master
 * reads until the slave side is closed */
const RECEIVER = `
import array, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
msg, anc, _, _ = c.recvmsg(4096, socket.CMSG_SPACE(4))
fds = array.array("i", anc[0][2][:4])
print("payload", msg.decode(), "fds", len(anc), flush=True)
os.write(fds[0], b"typed\\n")
data = b""
while True:
    try:
        d = os.read(fds[0], 4096)
    except OSError:
        break
    if not d:
        break
    data += d
sys.stdout.write(data.decode().replace("\\r", ""))
`;

/** A console socket in the bundle's folder with RECEIVER listening on it;
 * `done` is what it printed after "ready", once the pty's slave side closed. */
export async function consoleSocket(t: Test, b: Bundle): Promise<{ sock: string; done: Promise<string> }> {
  const sock = path.join(b.dir, 'console.sock');
  fs.writeFileSync(path.join(b.dir, 'receiver.py'), RECEIVER);
  const receiver = background(t, `/usr/bin/python3 ${b.dir}/receiver.py ${sock}`);
  t.equal(await firstLine(receiver), 'ready');
  let output = '';
  receiver.stdout!.on('data', (d) => { output += d; });
  return { sock, done: new Promise((resolve) => receiver.on('exit', () => resolve(output))) };
}
