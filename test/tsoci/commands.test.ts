// tsoci's pause, resume and ps: the container's cgroups frozen by the
// kernel's freezer (the state says paused, its processes stop counting),
// thawed, and its processes listed, against the real kernel.
import t from 'tap';
import fs = require('fs');
import path = require('path');
import { cgroupBase, v1Host } from '../lib/cgroups';
import { sleep, tool, until } from '../lib/run';
import { alive, args, bundle, procState } from '../lib/oci';

const counter = (file: string) => {
  try {
    return Number(fs.readFileSync(file, 'utf8')) || 0;
  } catch {
    return 0;
  }
};

t.test('pause freezes the container (the state says paused), resume thaws it; ps lists its processes', { skip: !v1Host && 'a v1 (hybrid) host' }, async (t) => {
  const base = cgroupBase(t);
  // a counter the program keeps raising, written where the host reads it
  const b = bundle(t, (c) => {
    args('i=0; while :; do i=$((i+1)); echo $i > /tmp/n; sleep 0.01; done')(c);
    c.linux.cgroupsPath = `${base}/frozen`;
  });
  t.equal(b.detached(`run -d --bundle ${b.bundle} p1`).status, 0);
  const pid = JSON.parse(b.oci(['state', 'p1']).stdout).pid as number;
  const n = path.join(b.rootfs, 'tmp', 'n');
  await until(() => counter(n) > 3);

  t.match(b.oci(['resume', 'p1']), { status: 1, stderr: 'tsoci: container not paused\n' });
  const paused = b.oci(['pause', 'p1']);
  t.equal(paused.status, 0, paused.stderr);
  t.match(JSON.parse(b.oci(['state', 'p1']).stdout), { status: 'paused', pid });
  t.match(b.oci(['list']).stdout, /\np1\s+\d+\s+paused\s/);
  const at = counter(n);
  await sleep(300);
  t.equal(counter(n), at, 'the counter stops');
  t.not(procState(pid), 'R', 'the init is not running');
  t.equal(fs.readFileSync(path.join('/sys/fs/cgroup/freezer', base, 'frozen', 'freezer.state'), 'utf8').trim(), 'FROZEN', 'freezer.state');
  t.match(b.oci(['exec', 'p1', 'true']), { status: 1, stderr: /^tsoci: cannot exec in a paused container/ });
  t.match(b.oci(['delete', 'p1']), { status: 1, stderr: 'tsoci: cannot delete container p1 that is not stopped: paused\n' });
  t.match(b.oci(['pause', 'p1']), { status: 1, stderr: 'tsoci: container not running\n' });

  // ps: the PIDs in its cgroups (json), ps -ef's lines of them (table)
  const ps = JSON.parse(b.oci(['ps', '--format', 'json', 'p1']).stdout) as number[];
  t.ok(ps.includes(pid), 'ps --format json lists the init');
  t.ok(ps.every((p) => fs.readFileSync(`/proc/${p}/cgroup`, 'utf8').includes(`${base}/frozen`)), 'only processes of its cgroup');
  const table = b.oci(['ps', 'p1']).stdout.split('\n').filter(Boolean);
  t.match(table[0], /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/, 'ps -ef\'s header');
  t.ok(table.slice(1).some((l) => l.trim().split(/\s+/)[1] === String(pid)), 'and the init\'s line');
  t.equal(table.length - 1, ps.length, 'one line a process');
  t.match(b.oci(['ps', 'p1', '-o', 'pid,comm']).stdout, new RegExp(`^\\s*PID COMMAND\\n(.*\\n)*\\s*${pid} sh\\n`), 'ps arguments after the id');
  t.match(b.oci(['ps', '--format', 'yaml', 'p1']), { status: 1, stderr: /invalid format option: yaml/ });

  const resumed = b.oci(['resume', 'p1']);
  t.equal(resumed.status, 0, resumed.stderr);
  t.match(JSON.parse(b.oci(['state', 'p1']).stdout), { status: 'running', pid });
  await until(() => counter(n) > at + 3);
  t.pass('the counter goes on');

  // a paused container: delete --force thaws and kills it
  t.equal(b.oci(['pause', 'p1']).status, 0);
  t.equal(b.oci(['delete', '--force', 'p1']).status, 0);
  t.notOk(alive(pid), 'gone');
  t.notOk(fs.existsSync(path.join('/sys/fs/cgroup/freezer', base, 'frozen')), 'its cgroup removed');
});

t.test('without cgroupsPath, a cgroup of its own beneath tsoci\'s (as runc): pause works; ps lists it', async (t) => {
  const b = bundle(t, args('sleep 600 & exec sleep 600'));
  t.equal(b.detached(`run -d --bundle ${b.bundle} n1`).status, 0);
  const pid = JSON.parse(b.oci(['state', 'n1']).stdout).pid as number;
  t.equal(b.oci(['pause', 'n1']).status, 0);
  t.equal(JSON.parse(b.oci(['state', 'n1']).stdout).status, 'paused');
  t.equal(b.oci(['resume', 'n1']).status, 0);
  await until(() => (JSON.parse(b.oci(['ps', '-f', 'json', 'n1']).stdout) as number[]).length === 2);
  t.ok((JSON.parse(b.oci(['ps', '-f', 'json', 'n1']).stdout) as number[]).includes(pid));
  t.equal(b.oci(['kill', 'n1', 'KILL']).status, 0);
  await until(() => !alive(pid));
  t.equal(b.oci(['ps', '-f', 'json', 'n1']).stdout, 'null\n', 'none once stopped');
  t.equal(b.oci(['delete', 'n1']).status, 0);
});

t.test('update: new limits from flags and from --resources (a file, or stdin), in the container\'s cgroups', { skip: !v1Host && 'a v1 (hybrid) host' }, async (t) => {
  const base = cgroupBase(t);
  const b = bundle(t, (c) => {
    args('exec sleep 600')(c);
    c.linux.cgroupsPath = `${base}/up`;
    c.linux.resources = { memory: { limit: 64 << 20 }, pids: { limit: 32 } };
  });
  t.equal(b.detached(`run -d --bundle ${b.bundle} u1`).status, 0);
  const knob = (h: string, file: string) => fs.readFileSync(path.join('/sys/fs/cgroup', h, base, 'up', file), 'utf8').trim();
  t.equal(knob('memory', 'memory.limit_in_bytes'), String(64 << 20));
  const r = b.oci(['update', '--memory', '128m', '--pids-limit', '64', 'u1']);
  t.equal(r.status, 0, r.stderr);
  t.equal(knob('memory', 'memory.limit_in_bytes'), String(128 << 20), '--memory');
  t.equal(knob('pids', 'pids.max'), '64', '--pids-limit');
  // containerd's way: the resources on stdin
  const stdin = tool('tsoci', ['--root', b.state, 'update', '--resources', '-', 'u1'], { input: JSON.stringify({ cpu: { shares: 512 }, pids: { limit: 100 } }) });
  t.equal(stdin.status, 0, stdin.stderr);
  t.equal(knob('cpu', 'cpu.shares'), '512', 'cpu.shares from stdin');
  t.equal(knob('pids', 'pids.max'), '100');
  fs.writeFileSync(`${b.dir}/res.json`, JSON.stringify({ memory: { limit: 96 << 20 } }));
  t.equal(b.oci(['update', '-r', `${b.dir}/res.json`, '--pids-limit', '7', 'u1']).status, 0);
  t.equal(knob('memory', 'memory.limit_in_bytes'), String(96 << 20), 'from the file');
  t.equal(knob('pids', 'pids.max'), '7', 'the flag over it');
  t.match(b.oci(['update', '--memory', 'lots', 'u1']), { status: 1, stderr: "tsoci: --memory: expected a size (bytes, or with k, m or g), got 'lots'\n" });
  t.match(b.oci(['update', '--resources', '-', 'u1']), { status: 1, stderr: /^tsoci: --resources -: / });
  t.match(b.oci(['update', '--blkio-weight', 'lots', 'u1']), { status: 1, stderr: "tsoci: --blkio-weight: expected a number, got 'lots'\n" });
  t.match(b.oci(['update', '--l3-cache-schema', 'x', 'u1']), { status: 1, stderr: /unrecognized option|invalid option/ });
  t.equal(b.oci(['kill', 'u1', 'KILL']).status, 0);
  await until(() => JSON.parse(b.oci(['state', 'u1']).stdout).status === 'stopped');
  t.match(b.oci(['update', '--pids-limit', '5', 'u1']), { status: 1, stderr: 'tsoci: cannot update a stopped container\n' });
  t.equal(b.oci(['delete', 'u1']).status, 0);

  // without cgroupsPath: its own cgroup, beneath tsoci's (runc's rule)
  const none = bundle(t, args('exec sleep 600'));
  t.equal(none.detached(`run -d --bundle ${none.bundle} u2`).status, 0);
  t.equal(none.oci(['update', '--pids-limit', '5', 'u2']).status, 0);
  const own = /^\d+:pids:(.*)$/m.exec(fs.readFileSync(`/proc/${JSON.parse(none.oci(['state', 'u2']).stdout).pid}/cgroup`, 'utf8'))![1];
  t.equal(fs.readFileSync(path.join('/sys/fs/cgroup/pids', own, 'pids.max'), 'utf8'), '5\n');
  t.equal(none.oci(['delete', '--force', 'u2']).status, 0);
});

t.test('events: the cgroups\' statistics once (--stats), or every --interval with the OOM kills, until it stops', { skip: !v1Host && 'a v1 (hybrid) host' }, async (t) => {
  const base = cgroupBase(t);
  const b = bundle(t, (c) => {
    // a while idle, then a subshell that outgrows the limit (the OOM killer ends it), then a while
    args('sleep 1; (x=$(head -c 100000000 /dev/zero | tr "\\\\0" a)); sleep 1')(c);
    c.linux.cgroupsPath = `${base}/ev`;
    c.linux.resources = { memory: { limit: 16 << 20 }, pids: { limit: 50 } };
  });
  t.equal(b.detached(`run -d --bundle ${b.bundle} ev1`).status, 0);
  const once = b.oci(['events', '--stats', 'ev1']);
  t.equal(once.status, 0, once.stderr);
  const lines = once.stdout.split('\n');
  t.equal(lines.length, 2, 'one line');
  const e = JSON.parse(lines[0]);
  t.match(e, { type: 'stats', id: 'ev1', data: { memory: { usage: { limit: 16 << 20 } }, pids: { current: Number, limit: 50 } } });
  t.ok(e.data.pids.current >= 1 && e.data.cpu.usage.total > 0 && e.data.memory.usage.usage > 0, 'counters of its cgroups');
  t.match(once.stdout, /"limit":9223372036854771712/, 'v1\'s "no limit" exact (a uint64 past 2^53)');

  const r = b.oci(['events', '--interval', '200ms', 'ev1']);
  t.equal(r.status, 0, r.stderr);
  const all = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.ok(all.filter((x) => x.type === 'stats').length >= 5, 'a stats line every 200 ms');
  t.equal(all.filter((x) => x.type === 'oom').length, 1, 'the OOM kill, once');
  t.match(b.oci(['events', '--stats', 'ev1']), { status: 1, stderr: 'tsoci: container not running\n' });
  t.match(b.oci(['events', '--interval', 'often', 'ev1']), { status: 1, stderr: "tsoci: --interval: expected a duration such as 5s or 500ms, got 'often'\n" });
  t.equal(b.oci(['delete', 'ev1']).status, 0);
});
