// rtnetlink requests as plan data: each is one 'rtnl' step (plan.ts), made by
// src/exec/net.c on a NETLINK_ROUTE socket, and printed here as `--dry-run`
// shows it. Also what a request's words must be: link names, CIDRs and MACs
// parsed and refused here, before any system call.
// Node's net module costs every tool ~2 ms to load: only tsveth's parsing needs it
const net = (): typeof import('net') => require('net');

/** An address with its prefix length, as `ip addr` takes it: 10.0.0.1/24, fd00::1/64. */
export interface Cidr {
  family: 4 | 6;
  address: string;
  prefix: number;
}

export type RtnlRequest =
  /** RTM_GETLINK: no link has this name yet */
  | { kind: 'link-free'; name: string }
  /** RTM_GETLINK: the link is one end of a veth pair */
  | { kind: 'veth-check'; name: string }
  /** RTM_NEWLINK: a veth pair, its peer made in the namespace of fd `netns` */
  | { kind: 'veth-add'; name: string; peer: string; netns: { slot: number; what: string }; mtu?: number; mac?: string; peerMac?: string }
  | { kind: 'bridge-add'; name: string }
  | { kind: 'link-up'; name: string }
  | { kind: 'link-master'; name: string; master: string }
  | { kind: 'link-del'; name: string }
  | { kind: 'addr-add'; name: string; cidr: Cidr }
  | { kind: 'addr-del'; name: string; cidr: Cidr }
  /** RTM_NEWROUTE: the default route of the gateway's family */
  | { kind: 'route-add'; gateway: string; dev: string };

export const cidrText = (c: Cidr) => `${c.address}/${c.prefix}`;
const q = JSON.stringify;

/** The request as `ip` would spell it, after the rtnetlink message's name;
 * `where` (" in the target's net namespace") says which socket it goes to. */
export function describeRtnl(r: RtnlRequest, where = ''): string {
  switch (r.kind) {
    case 'link-free': return `RTM_GETLINK ${q(r.name)}${where} (the name must be free)`;
    case 'veth-check': return `RTM_GETLINK ${q(r.name)}${where} (it must be a veth)`;
    case 'veth-add': {
      const opts = [
        r.mtu !== undefined ? ` mtu ${r.mtu}` : '',
        r.mac !== undefined ? ` address ${r.mac}` : '',
        r.peerMac !== undefined ? ` peer address ${r.peerMac}` : '',
      ].join('');
      return `RTM_NEWLINK veth ${q(r.name)}${where} peer ${q(r.peer)} in fd#${r.netns.slot} (${r.netns.what})${opts}`;
    }
    case 'bridge-add': return `RTM_NEWLINK bridge ${q(r.name)}${where}`;
    case 'link-up': return `RTM_NEWLINK ${q(r.name)}${where} up`;
    case 'link-master': return `RTM_NEWLINK ${q(r.name)}${where} master ${q(r.master)}`;
    case 'link-del': return `RTM_DELLINK ${q(r.name)}${where}`;
    case 'addr-add': return `RTM_NEWADDR ${cidrText(r.cidr)}${r.cidr.family === 6 ? ' nodad' : ''} dev ${q(r.name)}${where}`;
    case 'addr-del': return `RTM_DELADDR ${cidrText(r.cidr)} dev ${q(r.name)}${where}`;
    case 'route-add': return `RTM_NEWROUTE default via ${r.gateway} dev ${q(r.dev)}${where}`;
  }
}

/** The request's words for tscore-exec: its kind, then its arguments. */
export function rtnlWords(r: RtnlRequest): [string, string[]] {
  switch (r.kind) {
    case 'link-free': case 'veth-check': case 'bridge-add': case 'link-up': case 'link-del':
      return [r.kind, [r.name]];
    case 'veth-add':
      return [r.kind, [r.name, r.peer, String(r.netns.slot), String(r.mtu ?? 0), r.mac ?? '', r.peerMac ?? '']];
    case 'link-master': return [r.kind, [r.name, r.master]];
    case 'addr-add': case 'addr-del': return [r.kind, [r.name, r.cidr.address, String(r.cidr.prefix)]];
    case 'route-add': return [r.kind, [r.gateway, r.dev]];
  }
}

/** The kernel's IFNAMSIZ, with its NUL. */
export const IFNAMSIZ = 16;

/** Why `name` cannot name a link (the kernel's dev_valid_name(), and no
 * "%d" templates, which would name the link otherwise), or undefined. */
export function ifnameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (Buffer.byteLength(name) >= IFNAMSIZ) return `it is longer than ${IFNAMSIZ - 1} bytes`;
  if (name === '.' || name === '..') return 'it is . or ..';
  const bad = /[/:%\s]/.exec(name);
  if (bad) return `it contains ${q(bad[0])}`;
  return undefined;
}

/** 10.0.0.1/24 or fd00::1/64: an address and a prefix length, both required. */
export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const family = net().isIPv4(m[1]) ? 4 : net().isIPv6(m[1]) && !m[1].includes('%') ? 6 : 0;
  const prefix = Number(m[2]);
  if (family === 0 || prefix > (family === 4 ? 32 : 128) || (m[2].length > 1 && m[2][0] === '0')) return undefined;
  return { family, address: m[1], prefix };
}

/** Whether `address` (of the same family) lies in the network of `cidr`. */
export function inNetwork(cidr: Cidr, address: string): boolean {
  const type = cidr.family === 4 ? 'ipv4' : 'ipv6';
  const network = new (net().BlockList)();
  network.addSubnet(cidr.address, cidr.prefix, type);
  return network.check(address, type);
}

/** aa:bb:cc:dd:ee:ff, lower case; refused: malformed, multicast (and so
 * broadcast), all zeros — what the kernel would refuse for an ethernet link. */
export function parseMac(text: string): { mac?: string; problem?: string } {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(text)) return { problem: 'expected six hex bytes, as aa:bb:cc:dd:ee:ff' };
  const mac = text.toLowerCase();
  if (parseInt(mac.slice(0, 2), 16) & 1) return { problem: 'it is a multicast address' };
  if (mac === '00:00:00:00:00:00') return { problem: 'it is all zeros' };
  return { mac };
}
