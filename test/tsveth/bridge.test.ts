// --bridge: the host end becomes a port of a bridge, made if missing, with the
// gateway address on the bridge (as docker0 and lxcbr0 have it). All in a
// "host" namespace of the test's own.
import t from 'tap';
import { linkState, netns, ping } from '../lib/netns';

t.test('a bridge with two containers: each reaches the other and the bridge', async (t) => {
  const host = await netns(t);
  const one = await netns(t);
  const two = await netns(t);
  const bridge = ['--bridge', 'tsbr0', '--bridge-address', '10.0.0.1/24', '--bridge-address', 'fd5e::1/64', '--gateway'];
  const a = host.tsveth(['-t', String(one.pid), ...bridge, '-A', '10.0.0.2/24', '-A', 'fd5e::2/64', 've-one', 'eth0']);
  t.equal(a.status, 0, a.stderr);
  // the second call finds the bridge and its addresses there: kept as they are
  const b = host.tsveth(['-t', String(two.pid), ...bridge, '-A', '10.0.0.3/24', '-A', 'fd5e::3/64', 've-two', 'eth0']);
  t.equal(b.status, 0, b.stderr);

  const br = host.link('tsbr0')!;
  t.equal(br.linkinfo?.info_kind, 'bridge');
  t.ok(br.flags.includes('UP'), 'the bridge is up');
  t.same((br.addr_info ?? []).filter((x) => !x.local.startsWith('fe80:')).map((x) => `${x.local}/${x.prefixlen}`), ['10.0.0.1/24', 'fd5e::1/64']);
  for (const port of ['ve-one', 've-two']) {
    const l = host.link(port)!;
    t.equal(l.master, 'tsbr0', `${port} is a port of the bridge`);
    t.same((l.addr_info ?? []).filter((x) => !x.local.startsWith('fe80:')), [], `${port} has no address of its own`);
  }
  for (const [from, to] of [[one, '10.0.0.3'], [two, '10.0.0.2'], [one, '10.0.0.1'], [two, '10.0.0.1'],
    [one, 'fd5e::3'], [two, 'fd5e::2'], [one, 'fd5e::1'], [two, 'fd5e::1']] as const) {
    const r = ping(from, to);
    t.equal(r.status, 0, `${from === one ? 'one' : 'two'} → ${to} ${r.stderr}`);
  }
  t.match((two.ip('route') as { dst: string }[]).find((x) => x.dst === 'default'), { gateway: '10.0.0.1' }, 'default route via the bridge');
});

t.test('a failing call deletes the bridge it made; a bridge that was there stays as it was', async (t) => {
  const host = await netns(t);
  const box = await netns(t);
  // IPv6 off for new links in the host namespace: the bridge's IPv6 address fails after the pair and the bridge exist
  t.equal(host.sh('sysctl -qw net.ipv6.conf.default.disable_ipv6=1').status, 0);
  const hostBefore = linkState(host);
  const boxBefore = linkState(box);
  const args = ['-t', String(box.pid), '--bridge', 'tsbr0', '--bridge-address', '10.0.0.1/24', '--bridge-address', 'fd5e::1/64', '-A', '10.0.0.2/24', 've-box', 'eth0'];
  const r = host.tsveth(args);
  t.equal(r.status, 1);
  t.equal(r.stderr, 'tsveth: RTM_NEWADDR fd5e::1/64 nodad dev "tsbr0" failed: Permission denied\n');
  t.equal(linkState(host), hostBefore, 'no pair, no bridge left in the host namespace');
  t.equal(linkState(box), boxBefore, 'nothing left in the container');

  // now a bridge of someone else's, down, with an address: tsveth's failure leaves it be
  t.equal(host.sh('ip link add name tsbr0 type bridge && ip addr add 10.0.0.1/24 dev tsbr0').status, 0);
  const withBridge = linkState(host);
  const again = host.tsveth(['--bridge-address', '10.0.9.1/24', ...args]);
  t.equal(again.status, 1);
  t.equal(again.stderr, 'tsveth: RTM_NEWADDR fd5e::1/64 nodad dev "tsbr0" failed: Permission denied\n');
  t.equal(linkState(host), withBridge, 'the bridge is there, down, with only its own address');
  t.equal(linkState(box), boxBefore);
});
