// tsoci: the OCI runtime's command line on bundles made from the busybox
// rootfs, against the real kernel. Each test keeps its state (--root) and
// its bundle in a scratch directory, and kills what it started by PID.
import t from 'tap';
import fs = require('fs');
import path = require('path');
import { cgroupBase, exists, knob, v1Host } from '../lib/cgroups';
import { alive, args, bundle, consoleSocket, type Json } from '../lib/oci';
import { mountPoints, scratch, sh, until } from '../lib/run';

t.test('lifecycle: create → created → start → running → kill → stopped → delete', async (t) => {
  const b = bundle(t, args('echo on-stderr >&2; echo started > /tmp/started; exec sleep 600'));
  const pidFile = path.join(b.dir, 'pid');
  const created = b.detached(`create --bundle ${b.bundle} --pid-file ${pidFile} c1`);
  t.equal(created.status, 0, created.stderr);
  t.equal(created.stderr, '', 'create is silent');
  const pidText = fs.readFileSync(pidFile, 'utf8');
  t.match(pidText, /^\d+$/, 'the pid file: digits, no newline');
  const pid = Number(pidText);
  const state = JSON.parse(b.oci(['state', 'c1']).stdout);
  t.match(state, { ociVersion: '1.2.0', id: 'c1', pid, status: 'created', bundle: b.bundle, rootfs: b.rootfs });
  t.match(state.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/, 'created: RFC 3339 with nanoseconds');
  t.ok(alive(pid), 'the init waits');
  t.match(fs.readFileSync(`/proc/${pid}/wchan`, 'utf8'), /pipe|fifo/, 'in a read of the exec FIFO');
  t.not(fs.readlinkSync(`/proc/${pid}/ns/pid`), fs.readlinkSync('/proc/self/ns/pid'), 'in its own PID namespace');
  t.equal(fs.readlinkSync(`/proc/${pid}/exe`).includes('tscore-exec'), true, 'a native process, not Node');
  t.notOk(fs.existsSync(path.join(b.rootfs, 'tmp', 'started')), 'the program has not run');
  t.match(b.oci(['list']).stdout, /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER\nc1\s+\d+\s+created\s/);

  const start = b.oci(['start', 'c1']);
  t.equal(start.status, 0, start.stderr);
  await until(() => fs.existsSync(path.join(b.rootfs, 'tmp', 'started')));
  t.equal(fs.readFileSync(path.join(b.dir, 'err'), 'utf8'), 'on-stderr\n', 'the program\'s stderr is create\'s caller\'s');
  t.match(JSON.parse(b.oci(['state', 'c1']).stdout), { status: 'running', pid });
  t.match(b.oci(['start', 'c1']), { status: 1, stderr: 'tsoci: cannot start an already running container\n' });
  t.match(b.oci(['delete', 'c1']), { status: 1, stderr: 'tsoci: cannot delete container c1 that is not stopped: running\n' });

  t.equal(b.oci(['kill', 'c1', 'KILL']).status, 0);
  await until(() => !alive(pid));
  t.match(JSON.parse(b.oci(['state', 'c1']).stdout), { status: 'stopped', pid: 0 });
  t.match(b.oci(['kill', 'c1', '9']), { status: 1, stderr: 'tsoci: container not running\n' });
  t.equal(b.oci(['kill', '--all', 'c1', '9']).status, 0, 'kill --all of a stopped container: 0');
  t.equal(b.oci(['delete', 'c1']).status, 0);
  t.notOk(fs.existsSync(path.join(b.state, 'c1')), 'its state is gone');
  t.match(b.oci(['state', 'c1']), { status: 1, stderr: 'tsoci: container does not exist\n' });
  t.equal(b.oci(['delete', '--force', 'c1']).status, 0, 'delete --force of an unknown id: 0');
});

t.test('run: the exit status is the program\'s; the state goes after it', async (t) => {
  const b = bundle(t, args('echo out; echo err >&2; exit 7'));
  const r = b.oci(['run', '--bundle', b.bundle, 'r1']);
  t.equal(r.status, 7, r.stderr);
  t.equal(r.stdout, 'out\n');
  t.equal(r.stderr, 'err\n');
  t.notOk(fs.existsSync(path.join(b.state, 'r1')));
  // not PID 1 (which SIGKILL from inside does not end): no PID namespace
  const killed = bundle(t, (c) => {
    c.process.args = ['sh', '-c', 'kill -9 $$'];
    c.linux.namespaces = c.linux.namespaces.filter((n: Json) => n.type !== 'pid');
  });
  t.equal(killed.oci(['run', '-b', killed.bundle, 'r2']).status, 137, '128+N');
});

t.test('the config, observed from inside', async (t) => {
  const host = scratch(t);
  fs.chmodSync(host, 0o755);
  fs.writeFileSync(path.join(host, 'marker'), 'from the host\n');
  const script = [
    'echo host=$(hostname) dom=$(cat /proc/sys/kernel/domainname)', 'echo uid=$(id -u) gid=$(id -g) groups=$(id -G)',
    'echo cwd=$(pwd) foo=$FOO env=$(env | grep -v -E "^(PWD|SHLVL)=" | sort | tr "\\n" " ")', 'grep -E "^(CapBnd|CapEff|CapPrm|CapInh|CapAmb|NoNewPrivs)" /proc/self/status',
    'echo nofile=$(ulimit -n) umask=$(umask)', 'cat /data/marker', 'echo x > /data/marker 2>/dev/null || echo bind-is-ro',
    'echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null || echo proc-sys-is-ro', 'echo fwd=$(cat /proc/sys/net/ipv4/ip_forward)',
    'ls /proc/acpi | wc -l', 'echo oom=$(cat /proc/self/oom_score_adj)', 'echo pid=$$', 'cat /proc/self/uid_map /proc/self/gid_map',
  ].join('; ');
  const b = bundle(t, (c) => {
    c.hostname = 'box';
    c.domainname = 'example';
    c.process.args = ['sh', '-c', script];
    c.process.env = ['PATH=/bin', 'FOO=bar'];
    c.process.cwd = '/tmp';
    c.process.user = { uid: 1000, gid: 1000, additionalGids: [10, 20], umask: 0o27 };
    c.process.capabilities = { bounding: ['CAP_KILL', 'CAP_CHOWN'], effective: ['CAP_KILL'], permitted: ['CAP_KILL', 'CAP_CHOWN'], ambient: ['CAP_KILL'], inheritable: ['CAP_KILL'] };
    c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 123, hard: 456 }];
    c.process.oomScoreAdj = 500;
    c.process.noNewPrivileges = true;
    c.mounts.push({ destination: '/data', type: 'bind', source: host, options: ['rbind', 'ro'] });
    c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    c.linux.maskedPaths = ['/proc/acpi', '/proc/kcore'];
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  });
  fs.mkdirSync(path.join(b.rootfs, 'data')); // the container's root (uid 100000) may not make it in a root-owned rootfs
  const r = b.oci(['run', '--bundle', b.bundle, 'f1']);
  t.equal(r.status, 0, r.stderr);
  const out = r.stdout;
  t.match(out, /^host=box dom=example\n/);
  t.match(out, /\nuid=1000 gid=1000 groups=1000 10 20\n/);
  t.match(out, /\ncwd=\/tmp foo=bar env=FOO=bar HOME=\/ PATH=\/bin\n/, 'process.env is the whole environment (HOME added as runc does; the shell\'s own left out)');
  // CAP_KILL is 5, CAP_CHOWN 0
  t.match(out, /CapInh:\s+0000000000000020\nCapPrm:\s+0000000000000020\nCapEff:\s+0000000000000020\nCapBnd:\s+0000000000000021\nCapAmb:\s+0000000000000020\nNoNewPrivs:\s+1\n/);
  t.match(out, /\nnofile=123 umask=0027\n/);
  t.match(out, /\nfrom the host\nbind-is-ro\nproc-sys-is-ro\nfwd=1\n0\noom=500\npid=1\n/);
  t.match(out, /\s+0\s+100000\s+65536\n\s+0\s+100000\s+65536\n$/, 'the maps');
  t.equal(fs.readFileSync(path.join(host, 'marker'), 'utf8'), 'from the host\n');
});

t.test('--no-pivot: the root is moved and chrooted into', async (t) => {
  const b = bundle(t, args('ls / | tr "\\n" " "; echo; pwd'));
  const r = b.oci(['run', '--no-pivot', '--bundle', b.bundle, 'n1']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'bin dev etc proc root sys tmp \n/\n');
});

t.test('refusals: one line naming the field, nothing made', async (t) => {
  const cases: [string, (c: Json) => void, RegExp][] = [
    ['seccomp', (c) => { c.linux.seccomp = { defaultAction: 'SCMP_ACT_NOTIFY' }; }, /^tsoci: linux\.seccomp\.defaultAction: SCMP_ACT_NOTIFY is not supported by tsoci \(no seccomp agent: listenerPath\)\n$/],
    ['terminal', (c) => { c.process.terminal = true; }, /^tsoci: cannot allocate tty if tsoci will detach without setting console socket\n$/],
    ['rdma', (c) => { c.linux.resources = { rdma: { mlx5_1: { hcaHandles: 3 } } }; }, /^tsoci: linux\.resources\.rdma is not supported by tsoci yet\n$/],
    ['apparmor', (c) => { c.process.apparmorProfile = 'x'; }, /^tsoci: process\.apparmorProfile is not supported by tsoci\n$/],
    ['program', (c) => { c.process.args = ['nonexist']; }, /^tsoci: exec: "nonexist": executable file not found in \$PATH\n$/],
    ['no mount ns', (c) => { c.linux.namespaces = [{ type: 'pid' }]; }, /needs a new mount namespace/],
    ['host sysctl', (c) => { c.linux.sysctl = { 'vm.swappiness': '1' }; }, /'vm\.swappiness' is not namespaced/],
  ];
  for (const [name, edit, message] of cases) {
    const b = bundle(t, edit);
    const r = b.detached(`--log ${b.dir}/log.json --log-format json create --bundle ${b.bundle} x`);
    t.equal(r.status, 1, name);
    t.match(r.stderr, message, name);
    t.same(fs.existsSync(b.state) ? fs.readdirSync(b.state) : [], [], `${name}: no state left`);
    const log = fs.readFileSync(`${b.dir}/log.json`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    t.match(log, [{ level: 'error', msg: r.stderr.slice('tsoci: '.length).trim() }], `${name}: one JSON record in --log`);
    t.match(log[0].time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  }
  const b = bundle(t);
  t.match(b.oci(['--systemd-cgroup', 'create', '-b', b.bundle, 'x']), { status: 1, stderr: /--systemd-cgroup is not supported/ });
  t.match(b.oci(['create', '--console-socket', '/tmp/s', '-b', b.bundle, 'x']), { status: 1, stderr: 'tsoci: cannot use console socket if tsoci will not detach or allocate tty\n' });
  t.match(b.oci(['create', '-b', b.bundle, '../x']), { status: 1, stderr: 'tsoci: invalid id format: ../x\n' });
  t.match(b.oci(['exec', 'x', 'true']), { status: 1, stderr: 'tsoci: container does not exist\n' });
  const twice = b.detached(`create -b ${b.bundle} same`);
  t.equal(twice.status, 0, twice.stderr);
  t.match(b.detached(`create -b ${b.bundle} same`), { status: 1, stderr: 'tsoci: container with id exists: same\n' });
  t.equal(b.oci(['delete', '--force', 'same']).status, 0);
});

t.test('a failed setup: create fails, and leaves no state, mount or process', async (t) => {
  const b = bundle(t, (c) => {
    c.mounts.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['size=nonsense'] });
  });
  const r = b.detached(`--log ${b.dir}/log.json --log-format=json create -b ${b.bundle} bad`);
  t.equal(r.status, 1);
  const said = 'mount("tmpfs", "/data" in the new root, "tmpfs", 0, "size=nonsense") failed: Invalid argument';
  t.equal(r.stderr, `tsoci: ${said}\n`, 'the failed step, once');
  t.match(JSON.parse(fs.readFileSync(`${b.dir}/log.json`, 'utf8')), { level: 'error', msg: said }, 'and in --log: the one record podman and containerd read');
  t.notOk(fs.existsSync(path.join(b.state, 'bad')));
});

t.test('delete of a created container kills its init; no mount or process is left', async (t) => {
  const b = bundle(t, (c) => {
    c.mounts.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs' });
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  });
  fs.mkdirSync(path.join(b.rootfs, 'data'));
  const before = mountPoints();
  t.equal(b.detached(`create -b ${b.bundle} d1`).status, 0);
  const pid = JSON.parse(b.oci(['state', 'd1']).stdout).pid;
  t.ok(alive(pid));
  t.match(fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8'), /^\s+0\s+100000\s+65536\n$/, 'mapped by the helper before the init went on');
  t.same(mountPoints(), before, 'the container\'s mounts are not the host\'s');
  const r = b.oci(['delete', 'd1']);
  t.equal(r.status, 0, r.stderr);
  t.notOk(alive(pid), 'the init is gone');
  t.notOk(fs.existsSync(path.join(b.state, 'd1')));
  t.same(mountPoints(), before, 'no mount left');
});

t.test('state and kill wait for a command that holds the container', async (t) => {
  const b = bundle(t, args('exec sleep 600'));
  t.equal(b.detached(`create -b ${b.bundle} l1`).status, 0);
  // hold the lock as a running tsoci would, from a shell: flock(1) on the directory
  const held = sh(`flock ${b.state}/l1 sh -c 'timeout 1 tsoci --root ${b.state} state l1 >/dev/null; echo $?'`);
  t.equal(held.stdout.trim(), '124', 'state waited for the lock');
  t.equal(b.oci(['delete', '--force', 'l1']).status, 0);
});

t.test('spec, features, --version', async (t) => {
  const b = bundle(t);
  t.match(b.oci(['spec', '-b', b.bundle]), { status: 1, stderr: /config\.json exists/ });
  const f = JSON.parse(b.oci(['features']).stdout);
  t.match(f, { ociVersionMin: '1.0.0', linux: { seccomp: { enabled: true }, cgroup: { v1: true, v2: true, systemd: false } } });
  t.ok(f['org.tscontainer.tsoci.unsupported'].includes('linux.seccomp: SCMP_ACT_NOTIFY and listenerPath'));
  t.match(b.oci(['--version']).stdout, /^tsoci version \d+\.\d+\.\d+\nspec: 1\.2\.0\n$/);
});

t.test('a namespace joined by path; run -d; kill by name; --log text', async (t) => {
  const b = bundle(t, args('trap "echo got-term > /tmp/term; exit 0" TERM; readlink /proc/self/ns/net > /tmp/net; while :; do sleep 0.05; done'));
  // a network namespace kept on a file (a bind mount in the scratch directory, undone by its teardown)
  const netns = path.join(b.dir, 'netns');
  fs.writeFileSync(netns, '');
  t.equal(sh(`tsunshare --net=${netns} true`).status, 0);
  const config = JSON.parse(fs.readFileSync(path.join(b.bundle, 'config.json'), 'utf8'));
  config.linux.namespaces = config.linux.namespaces.map((n: Json) => (n.type === 'network' ? { type: 'network', path: netns } : n));
  fs.writeFileSync(path.join(b.bundle, 'config.json'), JSON.stringify(config));
  const r = b.detached(`run -d -b ${b.bundle} j1`);
  t.equal(r.status, 0, r.stderr);
  const net = path.join(b.rootfs, 'tmp', 'net');
  await until(() => fs.existsSync(net) && fs.readFileSync(net, 'utf8').endsWith('\n'));
  t.equal(fs.readFileSync(path.join(b.rootfs, 'tmp', 'net'), 'utf8').trim(), `net:[${fs.statSync(netns).ino}]`, 'the kept namespace');
  t.match(JSON.parse(b.oci(['state', 'j1']).stdout), { status: 'running' });
  t.equal(b.oci(['kill', 'j1', 'sigterm']).status, 0, 'a name, any case, with SIG');
  await until(() => fs.existsSync(path.join(b.rootfs, 'tmp', 'term')));
  await until(() => JSON.parse(b.oci(['state', 'j1']).stdout).status === 'stopped');
  t.equal(b.oci(['delete', 'j1']).status, 0);
  const log = path.join(b.dir, 'log');
  t.match(b.oci(['--log', log, 'kill', 'j1', 'nosuchsignal']), { status: 1, stderr: 'tsoci: unknown signal "nosuchsignal"\n' });
  t.match(fs.readFileSync(log, 'utf8'), /^time="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" level=error msg="unknown signal \\"nosuchsignal\\""\n$/);
});

t.test('create --dry-run prints the plan and makes nothing', async (t) => {
  const b = bundle(t);
  const r = b.oci(['create', '--dry-run', '-b', b.bundle, 'p1']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^execveat\(a copy of \/proc\/self\/exe in a memfd sealed against writing\), unless run from one\nprctl\(PR_SET_DUMPABLE, 0\)\nopen\(".*\/p1\/exec\.fifo", O_RDWR\|O_CLOEXEC\) as the exec FIFO\n/);
  t.match(r.stdout, /\nfork\(\): the parent waits until the child is ready, runs the steps marked parent, exits 0\n  parent: write the pid of the child/);
  t.match(r.stdout, /\n  child: pivot_root\(/);
  t.match(r.stdout, /\n  child: wait for the host side: read\(the exec FIFO \(until tsoci start\), 1 byte\)\n  child: close_range\(3, ~0U, CLOSE_RANGE_CLOEXEC\): no other descriptor reaches the program\n  child: execvp\("\/bin\/sh", \["sh"\]\)\n$/);
  t.notOk(fs.existsSync(b.state));
});

t.test('process.terminal: the master of a pty goes to --console-socket; the slave is the stdio and the controlling tty', async (t) => {
  const b = bundle(t, (c) => {
    c.process.terminal = true;
    c.process.consoleSize = { height: 30, width: 100 };
    c.process.args = ['sh', '-c', 'read line; echo "got $line"; tty; stty size; ps -o pid,stat,tty | grep "^ *1 "; sleep 0.3'];  // the master reads what is left before the slave's hangup
  });
  const { sock, done } = await consoleSocket(t, b);
  const r = b.detached(`create -b ${b.bundle} --console-socket ${sock} tty1`);
  t.equal(r.status, 0, r.stderr);
  t.equal(b.oci(['start', 'tty1']).status, 0);
  const output = await done;
  t.match(output, /^payload \/dev\/ptmx fds 1\n/, 'one fd, runc\'s payload');
  t.match(output, /\ngot typed\n\/dev\/pts\/0\n30 100\n\s+1 [SR]\S*\s+(pts\/0|136,0)\n/, 'stdin, stdout from the pty; its size; the controlling tty of a session (sleeping, or running if caught waking)');
  t.equal(b.oci(['delete', '--force', 'tty1']).status, 0);
});

t.test('linux.resources and cgroupsPath: the limits written, the init in the cgroups, delete removes them', { skip: !v1Host && 'a v1 (hybrid) host' }, async (t) => {
  const base = cgroupBase(t); // beneath this test's own cgroup; its teardown removes what is left
  const cg = `${base}/box`;
  const b = bundle(t, (c) => {
    c.process.args = ['sh', '-c', 'exec sleep 600'];
    c.linux.cgroupsPath = cg;
    c.linux.resources = { memory: { limit: 64 << 20 }, pids: { limit: 32 }, cpu: { shares: 512 }, devices: [] };
  });
  const r = b.detached(`create -b ${b.bundle} cg1`);
  t.equal(r.status, 0, r.stderr);
  const pid = JSON.parse(b.oci(['state', 'cg1']).stdout).pid;
  const own = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  for (const h of ['memory', 'pids', 'cpu']) t.match(own, new RegExp(`:[^:]*\\b${h}\\b[^:]*:${cg}\\n`), `the init is in ${h}:${cg}`);
  t.equal(knob('memory', cg, 'memory.limit_in_bytes'), String(64 << 20));
  t.equal(knob('pids', cg, 'pids.max'), '32');
  t.equal(knob('cpu', cg, 'cpu.shares'), '512');
  t.equal(b.oci(['delete', '--force', 'cg1']).status, 0);
  for (const h of ['memory', 'pids', 'cpu']) t.notOk(exists(h, cg), `${h}:${cg} removed`);
  // kill --all without a PID namespace of its own: every process of its cgroups
  const shared = bundle(t, (c) => {
    c.process.args = ['sh', '-c', 'sleep 600 & exec sleep 600'];
    c.linux.namespaces = c.linux.namespaces.filter((n: Json) => n.type !== 'pid');
    c.linux.cgroupsPath = `${base}/all`;
    c.linux.resources = { pids: { limit: 16 } };
  });
  t.equal(shared.detached(`create -b ${shared.bundle} all1`).status, 0);
  t.equal(shared.oci(['start', 'all1']).status, 0);
  const procs = `/sys/fs/cgroup/pids${base}/all/cgroup.procs`;
  await until(() => fs.readFileSync(procs, 'utf8').trim().split('\n').length === 2);
  const two = fs.readFileSync(procs, 'utf8').trim().split('\n').map(Number);
  t.equal(shared.oci(['kill', '--all', 'all1', 'KILL']).status, 0);
  await until(() => two.every((p) => !alive(p)));
  t.pass('both processes of its cgroup are gone');
  t.equal(shared.oci(['delete', 'all1']).status, 0);
  t.notOk(exists('pids', `${base}/all`));
  // what the model does not carry is refused by name
  const blk = bundle(t, (c) => {
    c.linux.cgroupsPath = `${base}/blk`;
    c.linux.resources = { rdma: { mlx5_1: { hcaHandles: 3 } } };
  });
  t.match(blk.detached(`create -b ${blk.bundle} x`), { status: 1, stderr: 'tsoci: linux.resources.rdma is not supported by tsoci yet\n' });
  t.notOk(exists('memory', `${base}/blk`), 'nothing made');
});

t.test('devices cgroup (v1) and a cgroup mount: podman\'s deny-all, runc\'s allowed devices, the container\'s own cgroups read-only', { skip: !v1Host && 'a v1 (hybrid) host' }, async (t) => {
  const base = cgroupBase(t);
  const cg = `${base}/dev`;
  const b = bundle(t, (c) => {
    c.process.args = ['sh', '-c', 'echo x > /dev/null && echo null-ok; head -c1 /dev/zero | wc -c; ls /sys/fs/cgroup | tr "\\n" " "; echo; cat /sys/fs/cgroup/pids/pids.max; touch /sys/fs/cgroup/pids/x 2>/dev/null || echo cgroup-ro; exec sleep 600'];
    c.linux.cgroupsPath = cg;
    c.linux.resources = { devices: [{ allow: false, access: 'rwm' }], pids: { limit: 99 } };
    c.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] });
  });
  t.equal(b.detached(`create -b ${b.bundle} dv1`).status, 0);
  const rules = ['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:8 rwm', 'c 1:7 rwm', 'c 5:0 rwm', 'c 1:5 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 5:2 rwm', 'c 10:200 rwm'];
  t.same(knob('devices', cg, 'devices.list').split('\n').sort(), rules.sort(), 'deny all, then runc\'s list');
  t.equal(b.oci(['start', 'dv1']).status, 0);
  await until(() => fs.readFileSync(`${b.dir}/out`, 'utf8').includes('cgroup-ro'));
  const hierarchies = fs.readdirSync('/sys/fs/cgroup').filter((h) => h !== 'unified' && fs.existsSync(`/sys/fs/cgroup/${h}/cgroup.procs`)).sort().join(' ');
  t.equal(fs.readFileSync(`${b.dir}/out`, 'utf8'), `null-ok\n1\n${hierarchies} \n99\ncgroup-ro\n`, 'the allowed devices work; each v1 hierarchy, its own cgroup, read-only');
  t.equal(b.oci(['delete', '--force', 'dv1']).status, 0);
  t.notOk(exists('devices', cg), 'removed');
});

t.test('delete cleans up after a create that died half-way (a state, no init)', async (t) => {
  const b = bundle(t);
  const dir = path.join(b.state, 'half');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify({ ociVersion: '1.2.0', id: 'half', bundle: b.bundle, rootfs: b.rootfs, created: '', owner: '', privatePid: true, annotations: {} }));
  t.match(JSON.parse(b.oci(['state', 'half']).stdout), { status: 'creating', pid: 0 });
  t.equal(b.oci(['delete', 'half']).status, 0);
  t.notOk(fs.existsSync(dir));
});

t.test('root.readonly: the root is remounted read-only last, its mounts stay writable', async (t) => {
  const b = bundle(t, (c) => {
    c.root.readonly = true;
    c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev'] });
    c.process.args = ['sh', '-c', 'touch /new 2>/dev/null || echo root-ro; touch /tmp/x && echo tmp-rw; echo x > /dev/null && echo dev-ok'];
  });
  const r = b.oci(['run', '-b', b.bundle, 'ro1']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'root-ro\ntmp-rw\ndev-ok\n');
  t.notOk(fs.existsSync(path.join(b.rootfs, 'new')));
});

t.test('exec: another process in the container\'s namespaces and cgroups, with its own user, env, cwd; -d with a pid file', async (t) => {
  const b = bundle(t, args('exec sleep 600'));
  t.equal(b.detached(`create -b ${b.bundle} x1`).status, 0);
  t.match(b.oci(['exec', 'x1', 'true']), { status: 0 }, 'in a created container too');
  t.equal(b.oci(['start', 'x1']).status, 0);
  const init = JSON.parse(b.oci(['state', 'x1']).stdout).pid;
  const r = b.oci(['exec', 'x1', 'sh', '-c', 'echo host=$(hostname) pid=$$ init=$(cat /proc/1/comm); ls /']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^host=tsoci pid=\d+ init=sleep\nbin\ndev\netc\nproc\nroot\nsys\ntmp\n$/, 'its hostname, PID namespace and root');
  const u = b.oci(['exec', '-u', '1000:1000', '-e', 'FOO=bar', '--cwd', '/tmp', '--no-new-privs', 'x1', 'sh', '-c', 'echo $(id -u):$(id -g) $FOO $(pwd) $(grep NoNewPrivs /proc/self/status | tr -d "\t"); exit 3']);
  t.equal(u.status, 3, 'its status');
  t.equal(u.stdout, '1000:1000 bar /tmp NoNewPrivs:1\n');
  const proc = path.join(b.dir, 'process.json');
  fs.writeFileSync(proc, JSON.stringify({ args: ['sh', '-c', 'echo from-process-json $A'], env: ['PATH=/bin', 'A=1'], cwd: '/', user: { uid: 0, gid: 0 } }));
  t.match(b.oci(['exec', '--process', proc, 'x1']), { status: 0, stdout: 'from-process-json 1\n' });
  const pidFile = path.join(b.dir, 'exec.pid');
  const d = b.detached(`exec -d --pid-file ${pidFile} x1 sleep 300`);
  t.equal(d.status, 0, d.stderr);
  const text = fs.readFileSync(pidFile, 'utf8');
  t.match(text, /^\d+$/, 'digits, no newline');
  t.equal(fs.readlinkSync(`/proc/${text}/ns/pid`), fs.readlinkSync(`/proc/${init}/ns/pid`), 'in the init\'s PID namespace');
  // as with runc, -d returns once the process is set up, just before its execve
  await until(() => fs.readFileSync(`/proc/${text}/cmdline`, 'utf8') === 'sleep\x00300\x00');
  t.pass('the process becomes the program');
  t.match(b.oci(['exec', 'x1', 'nonexist']), { status: 1, stderr: 'tsoci: exec: "nonexist": executable file not found in $PATH\n' });
  t.equal(b.oci(['kill', 'x1', 'KILL']).status, 0);
  await until(() => !alive(init) && !alive(Number(text)));
  t.pass('killing the init ends the exec\'d process too (its PID namespace)');
  t.match(b.oci(['exec', 'x1', 'true']), { status: 1, stderr: 'tsoci: cannot exec in a stopped container\n' });
  t.equal(b.oci(['delete', 'x1']).status, 0);
});
