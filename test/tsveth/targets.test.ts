// The three ways to name the target's network namespace: -t PID (through
// its pidfd), -n FILE (a namespace bound on a file), --pid-file FILE (a FIFO
// that tsunshare --fork --pid-file writes); and targets that are gone.
import t from 'tap';
import fs = require('fs');
import { inNetns, linkState, netns, ping } from '../lib/netns';
import { background, childrenOf, firstLine, scratch, sh, tool, until } from '../lib/run';

t.test('-t PID', async (t) => {
  const host = await netns(t);
  const box = await netns(t);
  const r = host.tsveth(['-t', String(box.pid), '-a', '10.0.0.1/24', '-A', '10.0.0.2/24', 've-box', 'eth0']);
  t.equal(r.status, 0, r.stderr);
  t.equal(ping(box, '10.0.0.1').status, 0);
});

t.test('-n FILE: a network namespace kept on a file by tsunshare --net=FILE', async (t) => {
  const host = await netns(t);
  const dir = scratch(t);
  // a private mount of our own: the namespace's bind mount stays in it, and teardown unmounts it
  t.equal(sh(`mount -t tmpfs tsveth-test ${dir} && mount --make-private ${dir} && touch ${dir}/net`).status, 0);
  const made = tool('tsunshare', [`--net=${dir}/net`, 'true']);
  t.equal(made.status, 0, made.stderr);
  const r = host.tsveth(['-n', `${dir}/net`, '-a', '10.0.0.1/24', '-A', '10.0.0.2/24', '--gateway', 've-box', 'eth0']);
  t.equal(r.status, 0, r.stderr);
  const inside = tool('tsnsenter', [`--net=${dir}/net`, 'sh', '-c', 'ip -o -4 addr show eth0; busybox ping -c1 -W2 10.0.0.1 >/dev/null && echo reached']);
  t.match(inside.stdout, /eth0\s+inet 10\.0\.0\.2\/24/);
  t.match(inside.stdout, /reached/);
  t.equal(ping(host, '10.0.0.2').status, 0);

  const notNs = host.tsveth(['-n', '/etc/hostname', 've-x', 'eth0']);
  t.equal(notNs.stderr, 'tsveth: /etc/hostname is not a network namespace\n');
  const missing = host.tsveth(['-n', `${dir}/nothing`, 've-x', 'eth0']);
  t.equal(missing.stderr, `tsveth: cannot open ${dir}/nothing: No such file or directory\n`);
  t.equal(host.link('ve-x'), undefined);
});

t.test('--pid-file FIFO: the handshake with tsunshare --fork --pid-file', async (t) => {
  const host = await netns(t);
  const dir = scratch(t);
  const fifo = `${dir}/pid`;
  t.equal(sh(`mkfifo ${fifo}`).status, 0);
  // the container waits for its network, then says so
  const child = background(t, `tsunshare -n --fork --pid-file ${fifo} sh -c ` +
    `'until ip -o -4 addr show eth0 2>/dev/null | grep -q 10.0.0.2; do sleep 0.02; done; echo ready; exec sleep 600'`);
  const r = host.tsveth(['--pid-file', fifo, '-a', '10.0.0.1/24', '-A', '10.0.0.2/24', '--gateway', 've-box', 'eth0']);
  t.equal(r.status, 0, r.stderr);
  t.equal(await firstLine(child), 'ready', 'the container saw its address');
  const [pid] = childrenOf(child.pid!);
  const box = inNetns(pid);
  t.equal(ping(box, '10.0.0.1').status, 0, 'container → host');
  t.equal(ping(host, '10.0.0.2').status, 0, 'host → container');

  fs.writeFileSync(`${dir}/garbage`, 'not a pid\n');
  const bad = host.tsveth(['--pid-file', `${dir}/garbage`, 've-x', 'eth0']);
  t.equal(bad.status, 1);
  t.equal(bad.stderr, `tsveth: read a PID from "${dir}/garbage", pidfd_open(it) as fd#0 failed: Invalid argument\n`);
  t.equal(host.link('ve-x'), undefined);
});

t.test('a vanished PID is refused, nothing made', async (t) => {
  const host = await netns(t);
  const before = linkState(host);
  const gone = background(t, 'true');
  await new Promise((resolve) => gone.on('exit', resolve));
  const r = host.tsveth(['-t', String(gone.pid), 've-box', 'eth0']);
  t.equal(r.status, 1);
  t.equal(r.stderr, `tsveth: cannot open /proc/${gone.pid}: No such file or directory\n`);
  t.equal(linkState(host), before);
});

t.test('a process that exited between its PID and its pidfd (a zombie) is refused by the pidfd', async (t) => {
  const host = await netns(t);
  const before = linkState(host);
  // the subshell exits at once; its parent, now sleep, never reaps it
  const parent = background(t, `sh -c '(exit 0) & exec sleep 600'`);
  let zombie = 0;
  await until(() => {
    [zombie] = childrenOf(parent.pid!);
    return !!zombie && /^State:\s+Z/m.test(fs.readFileSync(`/proc/${zombie}/status`, 'utf8'));
  });
  const r = host.tsveth(['-t', String(zombie), 've-box', 'eth0']);
  t.equal(r.status, 1);
  t.equal(r.stderr, `tsveth: setns(fd#0 (pidfd of ${zombie}), CLONE_NEWNET) failed: No such process\n`);
  t.equal(linkState(host), before, 'nothing made');
});
