// The podman battery: each feature a podman command (or a few), run once
// with a runtime; what came out, with container ids blanked, so that
// tsoci's and runc's columns compare feature by feature.
import { spawn } from 'child_process';
import fs = require('fs');
import path = require('path');
import { IMAGE, runOpts, type Podman } from '../lib/podman';
import { clean } from '../lib/run';

export interface Outcome {
  status: number | null;
  /** stdout, ids blanked */
  out: string;
  /** stderr, for messages only (it names the runtime) */
  err: string;
}

export interface Feature {
  name: string;
  run: (p: Podman, runtime: string) => Outcome | Promise<Outcome>;
  /** what both runtimes must show */
  want: { status: number; out?: RegExp; err?: RegExp };
  /** several commands, a line each ("label: status output"): a row each in the table */
  steps?: boolean;
  /** runc's own start may fail this way on this row (its Go init makes
   * threads, which count against a pids limit): then only tsoci's outcome
   * is checked, against `want` */
  runcMayFail?: { status: number; err: RegExp };
}

const blank = (s: string) => s.replace(/\b[0-9a-f]{64}\b/g, '<id>').replace(/\b[0-9a-f]{12}\b/g, '<id>');

/** podman run --rm with the common options, then these */
const run = (args: string[]) => (p: Podman, rt: string): Outcome => {
  const r = p.run(rt, ['run', '--rm', ...runOpts(p), ...args]);
  return { status: r.status, out: blank(r.stdout), err: r.stderr };
};

/** podman run -d, exec (as it is, then with -u -e -w and a status, then -t), pause, unpause, stop, rm */
function detached(p: Podman, rt: string): Outcome {
  const lines: string[] = [];
  const step = (label: string, args: string[]) => {
    const r = p.run(rt, args);
    lines.push(`${label}: ${r.status} ${blank(r.stdout).trim().replace(/\r?\n/g, ' | ')}`);
    return r;
  };
  const started = p.run(rt, ['run', '-d', ...runOpts(p), IMAGE, 'sleep', '600']);
  if (started.status !== 0) return { status: started.status, out: '', err: started.stderr };
  const id = started.stdout.trim();
  step('exec', ['exec', id, 'sh', '-c', 'echo in-exec; tr "\\0" " " < /proc/1/cmdline']);
  step('exec -u -e -w', ['exec', '-u', '1000', '-e', 'A=b', '-w', '/tmp', id, 'sh', '-c', 'id -u; echo $A; pwd; exit 4']);
  step('exec -t', ['exec', '-t', id, 'tty']);
  step('pause', ['pause', id]);
  step('paused', ['inspect', '--format', '{{.State.Status}}', id]);
  step('unpause', ['unpause', id]);
  step('stop', ['stop', '--time', '1', id]);
  step('state', ['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', id]);
  step('rm', ['rm', id]);
  return { status: 0, out: lines.join('\n') + '\n', err: '' };
}

/** a knob of the container's own cgroup, as it reads it: cgroup v2's file, else v1's */
const knob = (v2: string, v1: string) => `cat /sys/fs/cgroup/${v2} 2>/dev/null || cat /sys/fs/cgroup/${v1}`;

const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/** podman run -it under `script` (a terminal): the line typed once the container says its tty */
function interactive(p: Podman, rt: string): Promise<Outcome> {
  const podman = ['timeout', '--foreground', '-k', '5', '30', ...p.argv(rt, ['run', '-it', '--rm', ...runOpts(p), IMAGE, 'sh', '-c', 'tty; read x; echo got $x'])];
  const [cmd, ...rest] = clean(['script', '-qec', podman.map(quote).join(' '), '/dev/null'], p.env);
  const child = spawn(cmd, rest, { stdio: ['pipe', 'pipe', 'pipe'], cwd: p.dir });
  let out = '';
  let err = '';
  let typed = false;
  child.stdout.on('data', (d) => {
    out += d;
    if (!typed && out.includes('/dev/pts/')) {
      typed = true;
      child.stdin.write('typed\n');
    }
  });
  child.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve) => child.on('close', (status) => {
    child.stdin.destroy();
    resolve({ status, out: blank(out.replace(/\r/g, '')), err });
  }));
}

export function features(dir: string): Feature[] {
  const vol = path.join(dir, 'vol');
  fs.mkdirSync(vol, { recursive: true });
  fs.writeFileSync(path.join(vol, 'in'), 'from-host\n');
  return [
    { name: 'run: id, hostname, cgroups, seccomp', run: run([IMAGE, 'sh', '-c', 'id; hostname; cat /proc/self/cgroup; grep Seccomp: /proc/self/status']),
      want: { status: 0, out: /^uid=0\(root\) gid=0\(root\)\n<id>\n(\d+:[^\n]*\/libpod-<id>\n)+Seccomp:\t2\n$/ } },
    { name: '-e FOO=bar', run: run(['-e', 'FOO=bar', IMAGE, 'sh', '-c', 'echo $FOO']), want: { status: 0, out: /^bar\n$/ } },
    { name: '-u 1000:1000', run: run(['-u', '1000:1000', IMAGE, 'id']), want: { status: 0, out: /^uid=1000\b.* gid=1000\b/ } },
    { name: '-w /tmp', run: run(['-w', '/tmp', IMAGE, 'pwd']), want: { status: 0, out: /^\/tmp\n$/ } },
    { name: '--read-only', run: run(['--read-only', IMAGE, 'sh', '-c', 'touch /x 2>/dev/null || echo root-ro; touch /tmp/y && echo tmp-rw']),
      want: { status: 0, out: /^root-ro\ntmp-rw\n$/ } },
    { name: '--tmpfs /scratch', run: run(['--tmpfs', '/scratch:size=1m', IMAGE, 'sh', '-c', 'grep " /scratch " /proc/mounts; echo a > /scratch/f && cat /scratch/f']),
      want: { status: 0, out: /^tmpfs \/scratch tmpfs rw,.*size=1024k.*\na\n$/ } },
    { name: '-v dir:/data', run: run(['-v', `${vol}:/data`, IMAGE, 'sh', '-c', 'cat /data/in; echo from-container > /data/out; cat /data/out']),
      want: { status: 0, out: /^from-host\nfrom-container\n$/ } },
    { name: '--memory 32m', run: run(['--memory', '32m', IMAGE, 'sh', '-c', `${knob('memory.max', 'memory/memory.limit_in_bytes')}`]), want: { status: 0, out: /^33554432\n$/ } },
    { name: '--memory 32m, 200 MB used', run: run(['--memory', '32m', IMAGE, 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=200M', 'count=1']), want: { status: 137 } },
    { name: '--pids-limit 5, 8 forks', run: run(['--pids-limit', '5', IMAGE, 'sh', '-c', `${knob('pids.max', 'pids/pids.max')}; for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait`]),
      want: { status: 2, out: /^5\n$/, err: /can't fork/ }, runcMayFail: { status: 126, err: /runc/ } },
    { name: '--cap-drop chown', run: run(['--cap-drop', 'chown', IMAGE, 'sh', '-c', 'grep CapEff /proc/self/status; chown 1 /tmp 2>/dev/null || echo chown-refused']),
      want: { status: 0, out: /^CapEff:\t0+a80425fa\nchown-refused\n$/ } },
    { name: '--hostname, --sysctl', run: run(['--hostname', 'box', '--sysctl', 'net.ipv4.ip_forward=1', IMAGE, 'sh', '-c', 'hostname; cat /proc/sys/net/ipv4/ip_forward']),
      want: { status: 0, out: /^box\n1\n$/ } },
    // (podman adds its default nproc limit, which root here may not raise, unless given one)
    { name: '--ulimit nofile=100:200', run: run(['--ulimit', 'nofile=100:200', '--ulimit', 'nproc=300:400', IMAGE, 'sh', '-c', 'ulimit -n; ulimit -Hn; ulimit -u']),
      want: { status: 0, out: /^100\n200\n300\n$/ } },
    { name: 'no-new-privileges', run: run(['--security-opt', 'no-new-privileges', IMAGE, 'grep', 'NoNewPrivs', '/proc/self/status']),
      want: { status: 0, out: /^NoNewPrivs:\t1\n$/ } },
    // every capability this root has, no filter, the host's devices (the devices cgroup lets them open)
    { name: '--privileged', run: run(['--privileged', IMAGE, 'sh', '-c', 'grep -E "CapEff|Seccomp:" /proc/self/status; (: < /dev/kmsg) && echo kmsg-opened']),
      want: { status: 0, out: /^CapEff:\t0+1ff\w+\nSeccomp:\t0\nkmsg-opened\n$/ } },
    { name: 'exit 3', run: run([IMAGE, 'sh', '-c', 'exit 3']), want: { status: 3 } },
    { name: 'no such program', run: run([IMAGE, 'nonexist']), want: { status: 127, err: /executable file not found in \$PATH/ } },
    { name: 'not executable', run: run([IMAGE, '/etc/passwd']), want: { status: 126, err: /permission denied/ } },
    { name: 'run -d, exec, pause, stop, rm', run: detached, steps: true, want: { status: 0, out: new RegExp(['^exec: 0 in-exec \\| sleep 600\\s*',
      'exec -u -e -w: 4 1000 \\| b \\| /tmp', 'exec -t: 0 /dev/pts/0', 'pause: 0 \\S+', 'paused: 0 paused', 'unpause: 0 \\S+', 'stop: 0 \\S+',
      'state: 0 exited 137', 'rm: 0 \\S+\n$'].join('\n')) } },
    { name: 'run -it (a terminal)', run: interactive, want: { status: 0, out: /^\/dev\/pts\/0\n(typed\n)?got typed\n$/ } },
  ];
}

const short = (text: string) => (text.length > 38 ? `${text.slice(0, 37)}…` : text);

/** The table's rows for a feature: [name, tsoci's cell, runc's]; a cell is
 * the status and the output's first lines, short. */
export function rows(f: Feature, ours: Outcome, runc: Outcome): [string, string, string][] {
  const cell = (o: Outcome) => `${o.status} ${short(o.out.trim().split('\n').slice(0, 2).join(' / ').replace(/\t/g, ' '))}`.trim();
  if (!f.steps) return [[f.name, cell(ours), cell(runc)]];
  const lines = (o: Outcome) => o.out.trim().split('\n').map((l) => l.split(': '));
  const theirs = lines(runc);
  return [[f.name, String(ours.status), String(runc.status)],
    ...lines(ours).map(([label, rest], k): [string, string, string] => [`  ${label}`, short(rest ?? ''), short(theirs[k]?.[1] ?? '')])];
}
