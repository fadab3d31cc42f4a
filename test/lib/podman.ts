// Debian's podman (with conmon) in a scratch directory of its own: its
// storage (vfs), run root, temporary and network folders and containers.conf
// there, the busybox rootfs imported offline as localhost/tsbusybox, its
// containers' cgroups beneath this test's own cgroup. Teardown removes every
// container, then the cgroups, mounts and files. The runtimes keep their
// state there too: podman's cleanup process calls `delete` without the
// --runtime-flag options, so podman is given, for each runtime, a script of
// the runtime's name that adds --root (podman knows a runtime by its name).
import { spawnSync } from 'child_process';
import fs = require('fs');
import path = require('path');
import type { Test } from 'tap';
import { cgroupBase } from './cgroups';
import { rootfs } from './rootfs';
import { BIN, clean, scratch, type Result } from './run';

export const IMAGE = 'localhost/tsbusybox';
export const TSOCI = path.join(BIN, 'tsoci');
export const RUNC = '/usr/sbin/runc';

export const hasPodman = ['/usr/bin/podman', '/usr/bin/conmon', RUNC].every((f) => fs.existsSync(f));

export interface Podman {
  dir: string;
  /** --cgroup-parent for every container: beneath this test's cgroup */
  cgroupParent: string;
  /** the state folder (--root) of TSOCI or RUNC under this podman */
  stateOf(runtime: string): string;
  /** podman with this runtime and the test's storage; killed (timeout -k) after `timeout` seconds */
  run(runtime: string, args: string[], o?: { timeout?: number; input?: string }): Result;
  /** the argv of that (for `script`, bench) */
  argv(runtime: string, args: string[]): string[];
  env: NodeJS.ProcessEnv;
}

export function podman(t: Test): Podman {
  const dir = scratch(t);
  fs.chmodSync(dir, 0o755);
  const cgroupParent = cgroupBase(t);
  const conf = path.join(dir, 'containers.conf');
  // no default rlimits: this root may not raise RLIMIT_NOFILE to podman's 1048576 (no runtime can)
  fs.writeFileSync(conf, [
    '[containers]', 'default_ulimits = []',
    '[engine]', 'cgroup_manager = "cgroupfs"', 'events_logger = "none"',
    'runtime_supports_json = ["crun", "runc", "tsoci"]',
    `tmp_dir = "${dir}/libpod"`, `image_copy_tmp_dir = "${dir}/tmp"`, `volume_path = "${dir}/volumes"`,
    '[network]', `network_config_dir = "${dir}/networks"`, '',
  ].join('\n'));
  fs.mkdirSync(path.join(dir, 'tmp'));
  const env = { ...process.env, CONTAINERS_CONF: conf };
  const globals = ['--root', path.join(dir, 'storage'), '--runroot', path.join(dir, 'run'), '--storage-driver', 'vfs'];
  const stateOf = (runtime: string) => path.join(dir, 'state', path.basename(runtime));
  const wrapper = (runtime: string) => {
    const script = path.join(dir, 'runtimes', path.basename(runtime));
    if (!fs.existsSync(script)) {
      fs.mkdirSync(path.dirname(script), { recursive: true });
      fs.writeFileSync(script, `#!/bin/sh\nexec '${runtime}' --root '${stateOf(runtime)}' "$@"\n`, { mode: 0o755 });
    }
    return script;
  };
  const argv = (runtime: string, args: string[]) => ['podman', ...globals, '--runtime', wrapper(runtime), ...args];
  const run = (runtime: string, args: string[], o: { timeout?: number; input?: string } = {}): Result => {
    // podman ignores SIGTERM while it waits on a create: -k
    const [cmd, ...rest] = clean(['timeout', '-k', '5', String(o.timeout ?? 60), ...argv(runtime, args)], env);
    // conmon leaves a file "oom" in its working directory after an OOM kill: here, the test's
    const r = spawnSync(cmd, rest, { encoding: 'utf8', input: o.input ?? '', cwd: dir });
    if (r.error) throw r.error;
    return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  };
  const p = { dir, cgroupParent, run, argv, env, stateOf };
  // teardowns run last first: this one before the cgroups and the folder go
  t.teardown(() => {
    spawnSync('timeout', ['-k', '5', '60', ...argv(RUNC, ['rm', '--all', '--force', '--time', '0'])], { env, stdio: 'ignore', cwd: dir });
  });

  // the image: the busybox rootfs as a tarball, imported offline; /var/lib
  // hidden meanwhile (a tmpfs in a mount namespace of its own), where podman
  // 4.3 would keep its blob cache whatever --root says
  const { root } = rootfs(t);
  const tar = path.join(dir, 'rootfs.tar');
  const made = spawnSync('tar', ['-C', root, '-cf', tar, '.'], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`tar: ${made.stderr}`);
  const [cmd, ...rest] = clean(['unshare', '-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs tmpfs /var/lib && exec "$@"', 'sh',
    ...argv(RUNC, ['import', '-q', tar, IMAGE])], env);
  const imported = spawnSync(cmd, rest, { encoding: 'utf8', timeout: 60_000 });
  if (imported.status !== 0) throw new Error(`podman import: ${imported.stderr}`);
  return p;
}

/** podman run's common options: no network, the test's cgroup parent */
export const runOpts = (p: Podman) => ['--network', 'none', '--cgroup-parent', p.cgroupParent];
