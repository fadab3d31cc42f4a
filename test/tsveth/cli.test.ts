// --help, --version, and --dry-run: each netlink request printed in order,
// nothing changed. Run in a namespace of the test's own all the same.
import t from 'tap';
import { linkState, netns } from '../lib/netns';
import { scratch, sh } from '../lib/run';

t.test('--help and --version', async (t) => {
  const host = await netns(t);
  const help = host.tsveth(['--help']);
  t.equal(help.status, 0);
  t.match(help.stdout, /^ tsveth \[options\] <host-ifname> <peer-ifname> \[<program> \[<argument>\.\.\.\]\]$/m);
  t.match(help.stdout, /--bridge-address <cidr>/);
  t.match(host.tsveth(['-V']).stdout, /^tsveth from ts-container-tools \d+\.\d+\.\d+\n$/);
});

t.test('--dry-run prints each netlink request, in order, and changes nothing', async (t) => {
  const host = await netns(t);
  const box = await netns(t);
  const before = [linkState(host), linkState(box)];
  const p = box.pid;
  const r = host.tsveth(['--dry-run', '-t', String(p), '-a', '10.0.0.1/24', '-A', '10.0.0.2/24', '-a', 'fd5e::1/64', '-A', 'fd5e::2/64',
    '--gateway', '--mtu', '1400', '--peer-mac', '02:00:5e:00:00:02', 've-box', 'eth0', 'sh']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, [
    `pidfd_open(${p}) as fd#0`,
    'open("/proc/self/ns/net", O_RDONLY|O_CLOEXEC) as fd#2',
    'socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) as fd#3',
    `setns(fd#0 (pidfd of ${p}), CLONE_NEWNET)`,
    'open("/proc/self/ns/net", O_RDONLY|O_CLOEXEC) as fd#1',
    'socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) as fd#4 in the target\'s net namespace',
    'setns(fd#2 (our own net namespace), CLONE_NEWNET)',
    'RTM_GETLINK "ve-box" (the name must be free)',
    'RTM_GETLINK "eth0" in the target\'s net namespace (the name must be free)',
    'RTM_NEWLINK veth "ve-box" peer "eth0" in fd#1 (the target\'s net namespace) mtu 1400 peer address 02:00:5e:00:00:02',
    'if a later step fails, undo what the step above made:',
    '  undo: RTM_DELLINK "ve-box"',
    'RTM_NEWADDR 10.0.0.1/24 dev "ve-box"',
    'RTM_NEWADDR fd5e::1/64 nodad dev "ve-box"',
    'RTM_NEWLINK "ve-box" up',
    'RTM_NEWADDR 10.0.0.2/24 dev "eth0" in the target\'s net namespace',
    'RTM_NEWADDR fd5e::2/64 nodad dev "eth0" in the target\'s net namespace',
    'RTM_NEWLINK "eth0" in the target\'s net namespace up',
    'RTM_NEWROUTE default via 10.0.0.1 dev "eth0" in the target\'s net namespace',
    'RTM_NEWROUTE default via fd5e::1 dev "eth0" in the target\'s net namespace',
    'RTM_NEWLINK "lo" in the target\'s net namespace up',
    'execvp("sh", ["sh"])',
    '',
  ].join('\n'));
  t.equal(linkState(host), before[0], 'nothing made');
  t.equal(linkState(box), before[1]);
});

t.test('--dry-run with a bridge, by a namespace file, and --delete', async (t) => {
  const host = await netns(t);
  const r = host.tsveth(['--dry-run', '-n', '/proc/self/ns/net', '--bridge', 'br0', '--bridge-address', '10.0.0.1/24', '-A', '10.0.0.2/24', '--gateway', 've-box', 'eth0']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, [
    'open("/proc/self/ns/net", O_RDONLY|O_CLOEXEC) as fd#1',
    'open("/proc/self/ns/net", O_RDONLY|O_CLOEXEC) as fd#2',
    'socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) as fd#3',
    'setns(fd#1 (/proc/self/ns/net), CLONE_NEWNET)',
    'socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) as fd#4 in the target\'s net namespace',
    'setns(fd#2 (our own net namespace), CLONE_NEWNET)',
    'RTM_GETLINK "ve-box" (the name must be free)',
    'RTM_GETLINK "eth0" in the target\'s net namespace (the name must be free)',
    'RTM_NEWLINK veth "ve-box" peer "eth0" in fd#1 (the target\'s net namespace)',
    'if a later step fails, undo what the step above made:',
    '  undo: RTM_DELLINK "ve-box"',
    'RTM_NEWLINK bridge "br0"  (EEXIST ignored)',
    'if a later step fails, undo what the step above made:',
    '  undo: RTM_DELLINK "br0"',
    'RTM_NEWADDR 10.0.0.1/24 dev "br0"  (EEXIST ignored)',
    'if a later step fails, undo what the step above made:',
    '  undo: RTM_DELADDR 10.0.0.1/24 dev "br0"',
    'RTM_NEWLINK "ve-box" master "br0"',
    'RTM_NEWLINK "ve-box" up',
    'RTM_NEWADDR 10.0.0.2/24 dev "eth0" in the target\'s net namespace',
    'RTM_NEWLINK "eth0" in the target\'s net namespace up',
    'RTM_NEWROUTE default via 10.0.0.1 dev "eth0" in the target\'s net namespace',
    'RTM_NEWLINK "br0" up',
    'RTM_NEWLINK "lo" in the target\'s net namespace up',
    '',
  ].join('\n'));
  const del = host.tsveth(['--dry-run', '--delete', 've-box']);
  t.equal(del.stdout, 'socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) as fd#3\nRTM_GETLINK "ve-box" (it must be a veth)\nRTM_DELLINK "ve-box"\n');
});

t.test('--dry-run --pid-file does not read the pid file (a FIFO\'s writer is not released)', async (t) => {
  const host = await netns(t);
  const dir = scratch(t);
  t.equal(sh(`mkfifo ${dir}/pid`).status, 0);
  const r = host.tsveth(['--dry-run', '--pid-file', `${dir}/pid`, 've-box', 'eth0']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, new RegExp(`^read a PID from "${dir}/pid", pidfd_open\\(it\\) as fd#0\nopen`));
  t.match(r.stdout, new RegExp(`setns\\(fd#0 \\(pidfd of the PID in "${dir}/pid"\\), CLONE_NEWNET\\)`));
});
