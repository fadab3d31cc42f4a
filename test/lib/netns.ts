// Network namespaces of a test's own, for tsveth: each one a process made by
// `tsunshare -n --fork`, killed by its PID at teardown (and its links go with
// its namespace). The host's network namespace is never touched: every
// command runs through `tsnsenter -t PID -n`, and a namespace that turns out
// to be ours is refused before anything runs in it.
import fs = require('fs');
import type { Test } from 'tap';
import { background, childrenOf, firstLine, tool, type Result } from './run';

export interface Link {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  operstate: string;
  address: string;
  master?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

export interface Netns {
  /** the process that holds the namespace */
  pid: number;
  /** argv run in this network namespace (only) */
  run(argv: string[], input?: string): Result;
  sh(script: string): Result;
  /** `ip -j ARGS` here, parsed */
  ip(args: string): unknown[];
  /** every link here, with details and addresses */
  links(): Link[];
  link(name: string): Link | undefined;
  /** `tsveth ARGS` run here */
  tsveth(args: string[]): Result;
}

const own = () => fs.readlinkSync('/proc/self/ns/net');

/** A new network namespace; `script` runs in it first (its last line must
 * print "ready" and wait, e.g. `echo ready; exec sleep 600`). */
export async function netns(t: Test, script = 'echo ready; exec sleep 600', options = '-n --fork'): Promise<Netns> {
  const child = background(t, `tsunshare ${options} sh -c '${script}'`);
  const line = await firstLine(child);
  if (line !== 'ready') throw new Error(`netns: ${line}`);
  const [pid] = childrenOf(child.pid!);
  const mine = fs.readlinkSync(`/proc/${pid}/ns/net`);
  if (!pid || mine === own()) throw new Error(`netns: process ${pid} is not in a network namespace of its own (${mine})`);
  return inNetns(pid);
}

/** The network namespace of a process a test made (never ours). */
export function inNetns(pid: number): Netns {
  const checked = () => {
    if (fs.readlinkSync(`/proc/${pid}/ns/net`) === own()) throw new Error(`refused: process ${pid} is in our own network namespace`);
  };
  checked();
  const run = (argv: string[], input?: string) => {
    checked();
    return tool('tsnsenter', ['-t', String(pid), '-n', ...argv], { input });
  };
  const ip = (args: string) => {
    const r = run(['ip', '-j', ...args.split(' ')]);
    if (r.status !== 0) throw new Error(`ip -j ${args}: ${r.stderr}`);
    return JSON.parse(r.stdout || '[]') as unknown[];
  };
  const links = () => {
    const details = ip('-d link') as Link[];
    const addrs = ip('addr') as Link[];
    return details.map((l) => ({ ...l, addr_info: addrs.find((a) => a.ifindex === l.ifindex)?.addr_info ?? [] }));
  };
  return {
    pid, run, ip, links,
    sh: (script) => run(['sh', '-c', script]),
    link: (name) => links().find((l) => l.ifname === name),
    tsveth: (args) => run(['tsveth', ...args]),
  };
}

/** What a failed call must leave alone: the links of a namespace (ifindex,
 * name, flags, MTU, MAC, master, addresses), without counters that move. */
export function linkState(ns: Netns): string {
  return JSON.stringify(ns.links().map((l) => ({
    ifindex: l.ifindex, ifname: l.ifname, flags: l.flags, mtu: l.mtu, address: l.address, master: l.master,
    addrs: (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`).sort(),
  })));
}

/** `ping -c1 -W2` (busybox's: Debian's busybox-static, which ./setup installs) from `ns`. */
export function ping(ns: Netns, address: string): Result {
  return ns.run(['busybox', 'ping', ...(address.includes(':') ? ['-6'] : []), '-c1', '-W2', address]);
}
