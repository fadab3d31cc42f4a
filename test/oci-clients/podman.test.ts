// tsoci under Debian's podman and conmon, as a user runs it: `podman
// --runtime $(command -v tsoci) run ...` on the busybox image imported
// offline, with podman's default seccomp profile, in storage and cgroups of
// the test's own.
import t from 'tap';
import fs = require('fs');
import { hasPodman, IMAGE, podman, RUNC, runOpts, TSOCI } from '../lib/podman';
import { features, rows, type Outcome } from './battery';

const skip = !hasPodman && 'no podman, conmon and runc (./setup --test installs them)';

t.test('podman --runtime tsoci run --rm: id, hostname, its cgroups; nothing left after', { skip }, async (t) => {
  const p = podman(t);
  const r = p.run(TSOCI, ['run', '--rm', ...runOpts(p), IMAGE, 'sh', '-c', 'id; hostname; cat /proc/self/cgroup; grep Seccomp: /proc/self/status']);
  t.equal(r.status, 0, r.stderr);
  const [id, hostname, ...rest] = r.stdout.trim().split('\n');
  t.equal(id, 'uid=0(root) gid=0(root)');
  t.match(hostname, /^[0-9a-f]{12}$/, 'the container\'s id as its hostname');
  const cgroups = rest.filter((l) => /^\d+:/.test(l));
  t.ok(cgroups.length > 0 && cgroups.every((l) => l.includes(`:${p.cgroupParent}/libpod-`)), 'in podman\'s cgroup (libpod-<id>) beneath --cgroup-parent, in every hierarchy');
  t.equal(rest.at(-1), 'Seccomp:\t2', 'podman\'s default seccomp profile, as a filter');
  t.equal(p.run(TSOCI, ['ps', '-aq']).stdout, '', '--rm: no container left');
  const leftovers = fs.readdirSync(p.stateOf(TSOCI)).filter((c) => c.startsWith(hostname));
  t.same(leftovers, [], 'no state left in tsoci\'s root');
});

t.test('the podman battery: tsoci and runc, feature by feature, the same', { skip }, async (t) => {
  const p = podman(t);
  const battery = features(p.dir);
  const seen: [Outcome, Outcome][] = [];
  for (const f of battery) seen.push([await f.run(p, TSOCI), await f.run(p, RUNC)]);
  const table = battery.flatMap((f, k) => rows(f, ...seen[k]));
  const width = Math.max(...table.map(([name]) => name.length));
  const line = (a: string, b: string, c: string) => `${a.padEnd(width)} | ${b.padEnd(40)} | ${c}`;
  t.comment(line('feature', 'tsoci', 'runc'));
  for (const row of table) t.comment(line(...row));
  for (const [k, f] of battery.entries()) {
    const [ours, runc] = seen[k];
    const runcFailed = f.runcMayFail && runc.status === f.runcMayFail.status && f.runcMayFail.err.test(runc.err);
    if (runcFailed) t.comment(`${f.name}: runc itself did not start (${runc.err.trim().split('\n').at(-1)}): tsoci checked alone`);
    else t.same({ status: ours.status, out: ours.out }, { status: runc.status, out: runc.out }, `${f.name}: tsoci as runc`);
    t.equal(ours.status, f.want.status, `${f.name}: exit status ${f.want.status}${ours.status !== f.want.status ? `: ${ours.err}` : ''}`);
    if (f.want.out) t.match(ours.out, f.want.out, `${f.name}: output`);
    if (f.want.err) t.match(ours.err, f.want.err, `${f.name}: message`);
  }
  t.equal(fs.readFileSync(`${p.dir}/vol/out`, 'utf8'), 'from-container\n', '-v: written through to the host');
  t.equal(p.run(TSOCI, ['ps', '-aq']).stdout, '', 'no container left');
});
