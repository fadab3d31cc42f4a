// tsveth's command line: the options table, the usage text, and argv →
// validated VethOptions. Nothing here changes the system: names, CIDRs,
// MACs, the MTU and the target are checked before the first system call.
import fs = require('fs');
import path = require('path');
import {
  addon, callerEnv as defaultEnv, cidrText, envTable, getopt, ifnameProblem, inNetwork, mustExist, parseCidr, parseMac,
  print, program, ToolError, UsageError, CLONE,
  type Cidr, type Option, type Outcome, type Program, type Tool,
  STANDARD_OPTIONS, helpOrVersion,
} from 'tscontainer-core';
import { plan } from './plan';

export const OPTIONS: Option[] = [
  { key: 'target', short: 't', long: 'target', arg: 'required' },
  { key: 'netns', short: 'n', long: 'netns', arg: 'required' },
  { key: 'pid-file', long: 'pid-file', arg: 'required' },
  { key: 'address', short: 'a', long: 'address', arg: 'required' },
  { key: 'peer-address', short: 'A', long: 'peer-address', arg: 'required' },
  { key: 'gateway', long: 'gateway', arg: 'none' },
  { key: 'mtu', long: 'mtu', arg: 'required' },
  { key: 'mac', long: 'mac', arg: 'required' },
  { key: 'peer-mac', long: 'peer-mac', arg: 'required' },
  { key: 'bridge', long: 'bridge', arg: 'required' },
  { key: 'bridge-address', long: 'bridge-address', arg: 'required' },
  { key: 'delete', long: 'delete', arg: 'none' },
  ...STANDARD_OPTIONS,
];

export const USAGE = `
Usage:
 tsveth [options] <host-ifname> <peer-ifname> [<program> [<argument>...]]
 tsveth --delete <host-ifname> [<program> [<argument>...]]

Create a veth pair in this network namespace, move its peer end into the
target's, give both ends their addresses and bring them up, then run the
program, if any. If any step fails, what was made is deleted again.

Target (one of):
 -t, --target <pid>             the network namespace of this process
 -n, --netns <file>             a network namespace bound on a file
     --pid-file <file>          the process whose PID is in this file (a FIFO
                                  waits for its writer: tsunshare --fork --pid-file)

Options:
 -a, --address <cidr>           an address of the host end (repeatable; IPv4 or IPv6)
 -A, --peer-address <cidr>      an address of the peer end (repeatable)
     --gateway                  the peer's default route, via the host end's
                                  (or the bridge's) first address of each family
     --mtu <n>                  the MTU of both ends (68 to 65535)
     --mac <addr>               the MAC address of the host end
     --peer-mac <addr>          the MAC address of the peer end
     --bridge <name>            make the host end a port of this bridge,
                                  created if missing
     --bridge-address <cidr>    an address of the bridge (repeatable; with --bridge,
                                  the host end has none)
     --delete                   delete the pair whose host end is <host-ifname>

The peer's loopback is brought up too. IPv6 addresses skip duplicate address
detection: they are usable at once.

     --dry-run                  print the netlink requests and system calls, in
                                  order, and change nothing
 -h, --help                     display this help
 -V, --version                  display version
`;

export type Target = { pid: number } | { netns: string } | { pidFile: string };

export interface VethOptions {
  delete: boolean;
  host: string;
  peer: string;
  target?: Target;
  addresses: Cidr[];
  peerAddresses: Cidr[];
  bridge?: string;
  bridgeAddresses: Cidr[];
  /** the peer's default routes: a gateway of each family */
  gateways: string[];
  mtu?: number;
  mac?: string;
  peerMac?: string;
  program?: Program;
  env: string[];
  dryRun: boolean;
}

/** the kernel's limits: PID_MAX_LIMIT; an ethernet MTU (IPv6 wants 1280) */
const PID_MAX = 4194304;
const MTU_MIN = 68;
const MTU_MAX = 65535;
const IPV6_MTU_MIN = 1280;

function linkName(name: string, what: string): string {
  const problem = ifnameProblem(name);
  if (problem) throw new ToolError(`invalid ${what} name '${name}': ${problem}`);
  return name;
}

function cidr(text: string, list: Cidr[], what: string): void {
  const c = parseCidr(text);
  if (!c) throw new ToolError(`invalid ${what} '${text}': expected <address>/<prefix length>, IPv4 or IPv6`);
  if (list.some((x) => x.address === c.address && x.prefix === c.prefix)) throw new ToolError(`${what} ${text} given twice`);
  list.push(c);
}

function mac(text: string, what: string): string {
  const m = parseMac(text);
  if (!m.mac) throw new ToolError(`invalid ${what} '${text}': ${m.problem}`);
  return m.mac;
}

/** Whether execvp() would find the program: one that is nowhere is refused
 * now, before anything is made (exit 127, as the exec would). */
function mustFind(p: Program, env: string[]): void {
  const candidates = p.file.includes('/')
    ? [p.file]
    : (envTable(env).PATH ?? '/bin:/usr/bin').split(':').map((dir) => path.join(dir || '.', p.file));
  if (!candidates.some((f) => fs.existsSync(f)))
    throw new ToolError(`failed to execute ${p.file}: No such file or directory`, 127);
}

/** The peer's default routes: via the first gateway-side address of each
 * family that the peer has an address of, and which must lie in the peer's
 * networks (or the kernel would refuse the route as unreachable). */
function gateways(near: Cidr[], peer: Cidr[], nearWhat: string): string[] {
  const out: string[] = [];
  for (const family of [4, 6] as const) {
    const gw = near.find((c) => c.family === family);
    const mine = peer.filter((c) => c.family === family);
    if (!gw || mine.length === 0) continue;
    if (!mine.some((c) => inNetwork(c, gw.address)))
      throw new ToolError(`--gateway: ${gw.address} is not in the peer's network${mine.length > 1 ? 's' : ''} (${mine.map(cidrText).join(', ')})`);
    out.push(gw.address);
  }
  if (out.length === 0) throw new ToolError(`--gateway needs ${nearWhat} and -A addresses of the same family`);
  return out;
}

function parseTarget(key: string, value: string): Target {
  if (key === 'target') {
    if (!/^[1-9]\d*$/.test(value) || Number(value) > PID_MAX) throw new ToolError(`failed to parse pid: '${value}'`);
    mustExist(`/proc/${value}`, `cannot open /proc/${value}`);
    return { pid: Number(value) };
  }
  const file = path.resolve(value);
  if (key === 'pid-file') {
    mustExist(file, `cannot read the pid file ${value}`);
    return { pidFile: file };
  }
  const type = addon().nsType(file);
  if (type === -2) throw new ToolError(`cannot open ${value}: No such file or directory`);
  if (type < 0 && type !== -25) throw new ToolError(`cannot open ${value}: ${addon().strerror(-type)}`);
  if (type !== CLONE.NEWNET) throw new ToolError(`${value} is not a network namespace`);
  return { netns: file };
}

export function parse(argv: string[], env: string[] = defaultEnv()): VethOptions | { print: string } {
  const { options, operands } = getopt(argv, OPTIONS);
  const o: VethOptions = {
    delete: false, host: '', peer: '', addresses: [], peerAddresses: [], bridgeAddresses: [], gateways: [],
    env, dryRun: false,
  };
  let gateway = false;
  const given = new Set<string>();
  for (const { key, value, as } of options) {
    given.add(key);
    switch (key) {
      case 'help': case 'version': return helpOrVersion(key, 'tsveth', USAGE, require('../package.json').version);
      case 'target': case 'netns': case 'pid-file':
        if (o.target) throw new ToolError('only one target: -t, -n or --pid-file');
        o.target = parseTarget(key, value!);
        break;
      case 'address': cidr(value!, o.addresses, 'address'); break;
      case 'peer-address': cidr(value!, o.peerAddresses, 'peer address'); break;
      case 'bridge-address': cidr(value!, o.bridgeAddresses, 'bridge address'); break;
      case 'gateway': gateway = true; break;
      case 'mtu':
        if (!/^\d{1,5}$/.test(value!) || Number(value) < MTU_MIN || Number(value) > MTU_MAX)
          throw new ToolError(`invalid MTU '${value}': expected ${MTU_MIN} to ${MTU_MAX}`);
        o.mtu = Number(value);
        break;
      case 'mac': o.mac = mac(value!, 'MAC address'); break;
      case 'peer-mac': o.peerMac = mac(value!, 'peer MAC address'); break;
      case 'bridge': o.bridge = linkName(value!, 'bridge'); break;
      case 'delete': o.delete = true; break;
      case 'dry-run': o.dryRun = true; break;
      default: throw new UsageError(`unhandled option ${as}`);
    }
  }

  if (o.delete) {
    const others = [...given].filter((k) => k !== 'delete' && k !== 'dry-run');
    if (others.length) throw new UsageError(`--delete takes no other option than --dry-run (got --${others[0]})`);
    if (operands.length < 1) throw new UsageError('expected <host-ifname> after --delete');
    o.host = linkName(operands.shift()!, 'host interface');
  } else {
    if (operands.length < 2) throw new UsageError('expected <host-ifname> <peer-ifname>');
    o.host = linkName(operands.shift()!, 'host interface');
    o.peer = linkName(operands.shift()!, 'peer interface');
    if (!o.target) throw new ToolError('no target: give -t <pid>, -n <file> or --pid-file <file>');
    if (o.bridge === o.host) throw new ToolError(`the bridge and the host end cannot both be '${o.host}'`);
    if (o.bridge && o.addresses.length)
      throw new ToolError('with --bridge, addresses go on the bridge (--bridge-address): a bridge port\'s own address is not reachable');
    if (!o.bridge && o.bridgeAddresses.length) throw new ToolError('--bridge-address needs --bridge');
    const v6 = [...o.addresses, ...o.peerAddresses, ...o.bridgeAddresses].find((c) => c.family === 6);
    if (v6 && o.mtu !== undefined && o.mtu < IPV6_MTU_MIN)
      throw new ToolError(`invalid MTU '${o.mtu}': IPv6 (${cidrText(v6)}) needs at least ${IPV6_MTU_MIN}`);
    if (gateway) o.gateways = o.bridge
      ? gateways(o.bridgeAddresses, o.peerAddresses, '--bridge-address')
      : gateways(o.addresses, o.peerAddresses, '-a');
  }
  if (operands.length) {
    o.program = program(operands, envTable(env), process.getuid!());
    if (!o.dryRun) mustFind(o.program, env);
  }
  return o;
}

export const tsveth: Tool = {
  name: 'tsveth',
  plan(argv: string[]): Outcome {
    const o = parse(argv);
    if ('print' in o) return o;
    const steps = plan(o);
    if (o.dryRun) return { print: print(steps).join('\n') + '\n' };
    return { steps, env: o.env };
  },
};
