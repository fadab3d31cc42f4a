// Every failure is one line on stderr naming tsveth, exit status 1, and
// leaves `ip -j link` in both of the test's namespaces as it was: refused
// before any system call (names, CIDRs, MACs, MTU, the target), or undone
// (the pair deleted) when the kernel refuses a step after the pair exists.
import t, { type Test } from 'tap';
import { linkState, netns, type Netns } from '../lib/netns';

async function pair(t: Test): Promise<{ host: Netns; box: Netns; same: (what: string) => void }> {
  const host = await netns(t);
  const box = await netns(t);
  // something of each namespace's own, to be left exactly as it is
  t.equal(host.sh('ip link add name taken type veth peer name taken-peer && ip addr add 10.9.0.1/24 dev taken').status, 0);
  t.equal(box.sh('ip link add name eth0 type veth peer name eth0-peer').status, 0);
  const before = [linkState(host), linkState(box)];
  const same = (what: string) => {
    t.equal(linkState(host), before[0], `${what}: the host namespace's links as they were`);
    t.equal(linkState(box), before[1], `${what}: the container's links as they were`);
  };
  return { host, box, same };
}

t.test('refusals and kernel errors: one line, status 1, links as they were', async (t) => {
  const { host, box, same } = await pair(t);
  const T = String(box.pid);
  const cases: [string, string[], string][] = [
    ['an existing name, host side', ['-t', T, 'taken', 'eth1'], 'tsveth: RTM_GETLINK "taken" (the name must be free) failed: File exists'],
    ['an existing name, container side', ['-t', T, 've-box', 'eth0'],
      'tsveth: RTM_GETLINK "eth0" in the target\'s net namespace (the name must be free) failed: File exists'],
    ['a name over 15 bytes', ['-t', T, 've-box-0123456789', 'eth1'], "tsveth: invalid host interface name 've-box-0123456789': it is longer than 15 bytes"],
    ['a peer name with a slash', ['-t', T, 've-box', 'eth/1'], 'tsveth: invalid peer interface name \'eth/1\': it contains "/"'],
    ['a bad CIDR', ['-t', T, '-a', '10.0.0.300/24', 've-box', 'eth1'],
      "tsveth: invalid address '10.0.0.300/24': expected <address>/<prefix length>, IPv4 or IPv6"],
    ['a CIDR without its prefix', ['-t', T, '-A', 'fd5e::2', 've-box', 'eth1'],
      "tsveth: invalid peer address 'fd5e::2': expected <address>/<prefix length>, IPv4 or IPv6"],
    ['a multicast MAC', ['-t', T, '--mac', '01:00:5e:00:00:01', 've-box', 'eth1'],
      "tsveth: invalid MAC address '01:00:5e:00:00:01': it is a multicast address"],
    ['an MTU out of bounds', ['-t', T, '--mtu', '65536', 've-box', 'eth1'], "tsveth: invalid MTU '65536': expected 68 to 65535"],
    ['a gateway outside the peer\'s network', ['-t', T, '-a', '10.1.0.1/24', '-A', '10.0.0.2/24', '--gateway', 've-box', 'eth1'],
      "tsveth: --gateway: 10.1.0.1 is not in the peer's network (10.0.0.2/24)"],
    ['a missing namespace file', ['-n', '/nonexistent/net', 've-box', 'eth1'], 'tsveth: cannot open /nonexistent/net: No such file or directory'],
    ['no target', ['ve-box', 'eth1'], 'tsveth: no target: give -t <pid>, -n <file> or --pid-file <file>'],
    ['a program that is nowhere', ['-t', T, 've-box', 'eth1', 'tsveth-no-such-program'],
      'tsveth: failed to execute tsveth-no-such-program: No such file or directory'],
    ['an unknown option', ['--bogus', 've-box', 'eth1'], "tsveth: unrecognized option '--bogus' (try 'tsveth --help')"],
  ];
  for (const [what, args, line] of cases) {
    const r = host.tsveth(args);
    t.equal(r.status, what.startsWith('a program') ? 127 : 1, `${what}: status`);
    t.equal(r.stderr, `${line}\n`, `${what}: one line`);
    same(what);
  }
});

t.test('a failure after the pair exists: the pair is deleted again', async (t) => {
  const { host, box, same } = await pair(t);
  // IPv6 off for new links in the container: the peer's IPv6 address is refused after the pair is made and moved
  t.equal(box.sh('sysctl -qw net.ipv6.conf.default.disable_ipv6=1').status, 0);
  const r = host.tsveth(['-t', String(box.pid), '-a', '10.0.0.1/24', '-A', '10.0.0.2/24', '-A', 'fd5e::2/64', '--gateway', 've-box', 'eth1']);
  t.equal(r.status, 1);
  t.equal(r.stderr, 'tsveth: RTM_NEWADDR fd5e::2/64 nodad dev "eth1" in the target\'s net namespace failed: Permission denied\n');
  same('IPv6 refused in the container');

  // the container already has a default route: the last request fails
  t.equal(box.sh('ip link set eth0 up && ip addr add 10.8.0.2/24 dev eth0 && ip route add default via 10.8.0.1').status, 0);
  const withRoute = [linkState(host), linkState(box)];
  const routed = host.tsveth(['-t', String(box.pid), '-a', '10.0.0.1/24', '-A', '10.0.0.2/24', '--gateway', 've-box', 'eth1']);
  t.equal(routed.status, 1);
  t.equal(routed.stderr, 'tsveth: RTM_NEWROUTE default via 10.0.0.1 dev "eth1" in the target\'s net namespace failed: File exists\n');
  t.equal(linkState(host), withRoute[0], 'host side as it was');
  t.equal(linkState(box), withRoute[1], 'container as it was (its loopback still down)');
});
