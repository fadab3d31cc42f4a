// tsoci under Debian's podman and conmon, as a user runs it: `podman
// --runtime $(command -v tsoci) run ...` on the busybox image imported
// offline, with podman's default seccomp profile, in storage and cgroups of
// the test's own.
import t from 'tap';
import fs = require('fs');
import { hasPodman, IMAGE, podman, runOpts, TSOCI } from '../lib/podman';

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
  const leftovers = fs.readdirSync('/run/tsoci').filter((c) => c.startsWith(hostname));
  t.same(leftovers, [], 'no state left in tsoci\'s root');
});
