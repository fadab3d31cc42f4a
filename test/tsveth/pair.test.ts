// A veth pair between two network namespaces a test made: traffic both ways,
// and everything tsveth set read back with `ip -j` from each side. tsveth
// runs in the first namespace ("host"), its peer goes to the second.
import t from 'tap';
import fs = require('fs');
import os = require('os');
import path = require('path');
import { netns, ping } from '../lib/netns';
import { until } from '../lib/run';

t.test('must-show: two namespaces from tsunshare -n, a pair with --gateway, ping both ways', async (t) => {
  const host = await netns(t);
  const box = await netns(t);
  const r = host.tsveth(['-t', String(box.pid), '-a', '10.0.0.1/24', '-A', '10.0.0.2/24', '--gateway', 've-box', 'eth0']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stderr, '');
  t.equal(ping(host, '10.0.0.2').status, 0, 'host → container');
  t.equal(ping(box, '10.0.0.1').status, 0, 'container → host');
});

t.test('IPv6 both ways, usable at once (no DAD)', async (t) => {
  const host = await netns(t);
  const box = await netns(t);
  const r = host.tsveth(['-t', String(box.pid), '-a', 'fd5e::1/64', '-A', 'fd5e::2/64', '--gateway', 've-box', 'eth0']);
  t.equal(r.status, 0, r.stderr);
  const h = ping(host, 'fd5e::2');
  t.equal(h.status, 0, `host → container: ${h.stdout}${h.stderr}`);
  const b = ping(box, 'fd5e::1');
  t.equal(b.status, 0, `container → host: ${b.stdout}${b.stderr}`);
});

t.test('addresses, routes, MTU, MACs, link state and the peer\'s loopback, read back from each side', async (t) => {
  const host = await netns(t);
  const box = await netns(t);
  const r = host.tsveth([
    '-t', String(box.pid), '-a', '10.0.0.1/24', '-a', 'fd5e::1/64', '-a', '10.0.1.1/24',
    '-A', '10.0.0.2/24', '-A', 'fd5e::2/64', '--gateway', '--mtu', '1400',
    '--mac', '02:00:5e:00:00:01', '--peer-mac', '02:00:5E:00:00:02', 've-box', 'eth0',
  ]);
  t.equal(r.status, 0, r.stderr);

  const near = host.link('ve-box')!;
  const far = box.link('eth0')!;
  const global = (l: typeof near) => (l.addr_info ?? []).filter((a) => !a.local.startsWith('fe80:')).map((a) => `${a.local}/${a.prefixlen}`);
  t.same(global(near), ['10.0.0.1/24', '10.0.1.1/24', 'fd5e::1/64'], 'host end: its addresses');
  t.same(global(far), ['10.0.0.2/24', 'fd5e::2/64'], 'peer end: its addresses');
  for (const [side, l] of [['host', near], ['peer', far]] as const) {
    t.equal(l.linkinfo?.info_kind, 'veth', `${side} end is a veth`);
    t.equal(l.mtu, 1400, `${side} end: MTU`);
    t.ok(l.flags.includes('UP') && l.flags.includes('LOWER_UP'), `${side} end: UP, LOWER_UP (${l.flags})`);
  }
  t.equal(near.address, '02:00:5e:00:00:01', 'host end: MAC');
  t.equal(far.address, '02:00:5e:00:00:02', 'peer end: MAC');
  await until(() => host.link('ve-box')!.operstate === 'UP' && box.link('eth0')!.operstate === 'UP');
  t.pass('both ends: operstate UP');

  const lo = box.link('lo')!;
  t.ok(lo.flags.includes('UP'), 'the peer\'s loopback is up');
  t.equal(box.run(['busybox', 'ping', '-c1', '-W2', '127.0.0.1']).status, 0, 'and carries traffic');
  t.equal(host.link('lo')!.flags.includes('UP'), false, 'the host end\'s namespace\'s loopback is left alone');

  const routes4 = box.ip('route') as { dst: string; gateway?: string; dev: string }[];
  const routes6 = box.ip('-6 route') as { dst: string; gateway?: string; dev: string }[];
  t.match(routes4.find((x) => x.dst === 'default'), { gateway: '10.0.0.1', dev: 'eth0' }, 'IPv4 default route via the host end\'s first address');
  t.match(routes6.find((x) => x.dst === 'default'), { gateway: 'fd5e::1', dev: 'eth0' }, 'IPv6 default route');
  t.notOk((host.ip('route') as { dst: string }[]).some((x) => x.dst === 'default'), 'no route added on the host side');

  // the only links on each side: ours
  t.same(host.links().map((l) => l.ifname).sort(), ['lo', 've-box']);
  t.same(box.links().map((l) => l.ifname).sort(), ['eth0', 'lo']);
});

t.test('a trailing program runs after the pair is made, in tsveth\'s place', async (t) => {
  const host = await netns(t);
  const box = await netns(t);
  const r = host.tsveth(['-t', String(box.pid), '-a', '10.0.0.1/24', '-A', '10.0.0.2/24', 've-box', 'eth0',
    'sh', '-c', 'busybox ping -c1 -W2 10.0.0.2 >/dev/null && echo reached; exit 7']);
  t.equal(r.status, 7, 'the program\'s own status');
  t.equal(r.stdout, 'reached\n');
});

t.test('--delete removes both ends', async (t) => {
  const host = await netns(t);
  const box = await netns(t);
  t.equal(host.tsveth(['-t', String(box.pid), 've-box', 'eth0']).status, 0);
  t.ok(box.link('eth0'), 'the peer is in the container');
  const r = host.tsveth(['--delete', 've-box']);
  t.equal(r.status, 0, r.stderr);
  t.equal(host.link('ve-box'), undefined, 'host end gone');
  t.equal(box.link('eth0'), undefined, 'peer end gone');
  const again = host.tsveth(['--delete', 've-box']);
  t.equal(again.status, 1);
  t.equal(again.stderr, 'tsveth: RTM_GETLINK "ve-box" (it must be a veth) failed: No such device\n');
  const lo = host.tsveth(['--delete', 'lo']);
  t.equal(lo.stderr, 'tsveth: RTM_GETLINK "lo" (it must be a veth) failed: Wrong medium type\n', 'a link that is not a veth is refused');
  t.ok(host.link('lo'), 'and kept');
});

t.test('strace -f -e trace=execve: no ip process, only the tool\'s own', async (t) => {
  const host = await netns(t);
  const box = await netns(t);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsveth-strace-'));
  t.teardown(() => fs.rmSync(out, { recursive: true, force: true }));
  const log = path.join(out, 'log');
  const r = host.run(['strace', '-f', '-qq', '-e', 'trace=execve', '-o', log,
    'tsveth', '-t', String(box.pid), '-a', '10.0.0.1/24', '-A', '10.0.0.2/24', '--gateway', 've-box', 'eth0']);
  t.equal(r.status, 0, r.stderr);
  t.ok(box.link('eth0'), 'the pair was made');
  const execs = fs.readFileSync(log, 'utf8').split('\n')
    .map((l) => /execve\("([^"]+)"/.exec(l)?.[1]).filter((x): x is string => !!x && !x.includes('resumed'));
  t.ok(execs.length > 0, `execs: ${execs.join(' ')}`);
  const names = new Set(execs.map((e) => path.basename(e)));
  t.notOk(names.has('ip'), 'no ip');
  t.same([...names].filter((n) => !['tsveth', 'tscore-exec', 'node', 'sh', 'dash'].includes(n)), [], `only the tool's own programs: ${[...names].join(', ')}`);
});
