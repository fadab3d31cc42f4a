// VethOptions → the system calls and netlink requests, in order: reach the
// target's network namespace, open a netlink socket there and one here, then
// one request a step — the pair (its peer made directly in the target's
// namespace), the bridge, addresses, links up, routes, the bridge and the
// peer's loopback up — and the program.
//
// Why a socket in each namespace: a NETLINK_ROUTE socket acts in the
// namespace it was made in, wherever its user is later. So the executor
// steps into the target's namespace only to make that socket, and back at
// once (through an fd of its own namespace, opened first); every request is
// then sent from here. No child process, nothing left in the target.
import { CLONE, errno, O, type RtnlRequest, type Step } from 'tscontainer-core';
import type { Target, VethOptions } from './cli';

const PIDFD = 0;
const NETNS = 1;
const HOME = 2;
const HOST_NL = 3;
const PEER_NL = 4;

const IN_TARGET = "in the target's net namespace";

const host = (req: RtnlRequest): Step => ({ op: 'rtnl', sock: HOST_NL, req });
const peer = (req: RtnlRequest): Step => ({ op: 'rtnl', sock: PEER_NL, req, where: IN_TARGET });
/** a request that may find its work done already (EEXIST); undone only if it did it */
const ensure = (req: RtnlRequest, undo: RtnlRequest): Step[] =>
  [{ ...host(req), ignore: errno.EEXIST }, { op: 'on-failure', steps: [host(undo)] }];

/** The target's network namespace in fd#NETNS, a netlink socket in it in
 * fd#PEER_NL, and one in our own in fd#HOST_NL. A process is pinned by its
 * pidfd and its namespace entered through it: setns() on a pidfd fails if
 * the process has exited, so a recycled PID cannot slip in. */
function reach(t: Target): Step[] {
  const steps: Step[] = [];
  if ('pid' in t) steps.push({ op: 'pidfd-open', pid: t.pid, slot: PIDFD });
  if ('pidFile' in t) steps.push({ op: 'pidfile-read', path: t.pidFile, slot: PIDFD });
  if ('netns' in t) steps.push({ op: 'open', path: t.netns, slot: NETNS, flags: O.RDONLY });
  steps.push(
    { op: 'open', path: '/proc/self/ns/net', slot: HOME, flags: O.RDONLY },
    { op: 'netlink-open', slot: HOST_NL },
  );
  if ('netns' in t) {
    steps.push({ op: 'setns', slot: NETNS, nstype: CLONE.NEWNET, what: `fd#${NETNS} (${t.netns})` });
  } else {
    const who = 'pid' in t ? `${t.pid}` : `the PID in ${JSON.stringify(t.pidFile)}`;
    steps.push(
      { op: 'setns', slot: PIDFD, nstype: CLONE.NEWNET, what: `fd#${PIDFD} (pidfd of ${who})` },
      { op: 'open', path: '/proc/self/ns/net', slot: NETNS, flags: O.RDONLY },
    );
  }
  steps.push(
    { op: 'netlink-open', slot: PEER_NL, where: IN_TARGET },
    { op: 'setns', slot: HOME, nstype: CLONE.NEWNET, what: `fd#${HOME} (our own net namespace)` },
  );
  return steps;
}

function create(o: VethOptions): Step[] {
  const steps = reach(o.target!);
  // which name is taken, said plainly, before the pair is tried
  steps.push(host({ kind: 'link-free', name: o.host }), peer({ kind: 'link-free', name: o.peer }));
  steps.push(
    host({
      kind: 'veth-add', name: o.host, peer: o.peer, netns: { slot: NETNS, what: "the target's net namespace" },
      mtu: o.mtu, mac: o.mac, peerMac: o.peerMac,
    }),
    // deleting one end deletes both, wherever the peer is
    { op: 'on-failure', steps: [host({ kind: 'link-del', name: o.host })] },
  );
  if (o.bridge) {
    steps.push(...ensure({ kind: 'bridge-add', name: o.bridge }, { kind: 'link-del', name: o.bridge }));
    for (const cidr of o.bridgeAddresses)
      steps.push(...ensure({ kind: 'addr-add', name: o.bridge, cidr }, { kind: 'addr-del', name: o.bridge, cidr }));
    steps.push(host({ kind: 'link-master', name: o.host, master: o.bridge }));
  }
  for (const cidr of o.addresses) steps.push(host({ kind: 'addr-add', name: o.host, cidr }));
  steps.push(host({ kind: 'link-up', name: o.host }));

  for (const cidr of o.peerAddresses) steps.push(peer({ kind: 'addr-add', name: o.peer, cidr }));
  // up before the routes: the kernel takes no gateway on a link that is down
  steps.push(peer({ kind: 'link-up', name: o.peer }));
  for (const gateway of o.gateways) steps.push(peer({ kind: 'route-add', gateway, dev: o.peer }));

  // last, links that were there before us, which no undo puts down again:
  // a failure before this point leaves them as they were
  if (o.bridge) steps.push(host({ kind: 'link-up', name: o.bridge }));
  steps.push(peer({ kind: 'link-up', name: 'lo' }));
  return steps;
}

export function plan(o: VethOptions): Step[] {
  const steps = o.delete
    ? [
        { op: 'netlink-open', slot: HOST_NL } as Step,
        host({ kind: 'veth-check', name: o.host }),
        host({ kind: 'link-del', name: o.host }),
      ]
    : create(o);
  if (o.program) steps.push({ op: 'exec', file: o.program.file, argv: o.program.argv });
  return steps;
}
