// linux.resources.devices on cgroup v2, which has no devices files: an eBPF
// program of type BPF_PROG_TYPE_CGROUP_DEVICE that the kernel runs at each
// open or mknod of a device in the cgroup, built here instruction by
// instruction and attached by the addon. The rules are first reduced as
// cgroup v1 reads them: an "a" rule sets the default and drops the rules
// before it; the others are exceptions, the last that matches decides.
import type { DeviceRule } from './cgroup';

// struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major; u32 minor; }
const TYPE: Record<string, number> = { b: 1, c: 2 }; // BPF_DEVCG_DEV_BLOCK, _CHAR
const ACCESS: Record<string, number> = { m: 1, r: 2, w: 4 }; // BPF_DEVCG_ACC_MKNOD, _READ, _WRITE

// opcodes (64-bit ALU; loads of 32-bit words zero-extend)
const LDXW = 0x61; // dst = *(u32 *)(src + off)
const AND_K = 0x57;
const RSH_K = 0x77;
const MOV_K = 0xb7;
const MOV_X = 0xbf;
const JNE_K = 0x55;
const JEQ_K = 0x15;
const JNE_X = 0x5d;
const EXIT = 0x95;

type Insn = [op: number, dst: number, src: number, off: number, imm: number];

/** "c 1:3 rwm" (or "a") → its parts; "*" is any */
function parse(rule: string): { type: string; major: number | '*'; minor: number | '*'; access: number } {
  if (rule === 'a') return { type: 'a', major: '*', minor: '*', access: 7 };
  const [type, numbers, letters] = rule.split(' ');
  const [major, minor] = numbers.split(':').map((n) => (n === '*' ? '*' : Number(n)));
  return { type, major, minor, access: [...letters].reduce((a, l) => a | ACCESS[l], 0) };
}

/** The rules (in order, as the v1 files take them) → the program's instructions. */
export function deviceProgram(rules: DeviceRule[]): Buffer {
  let allow = true;
  let exceptions: { allow: boolean; rule: ReturnType<typeof parse> }[] = [];
  for (const r of rules) {
    const rule = parse(r.rule);
    if (rule.type === 'a' && rule.major === '*' && rule.minor === '*') {
      allow = r.allow;
      exceptions = [];
    } else {
      exceptions.push({ allow: r.allow, rule });
    }
  }
  const insns: Insn[] = [
    [LDXW, 2, 1, 0, 0], [AND_K, 2, 0, 0, 0xffff], // r2: type
    [LDXW, 3, 1, 0, 0], [RSH_K, 3, 0, 0, 16], // r3: access
    [LDXW, 4, 1, 4, 0], // r4: major
    [LDXW, 5, 1, 8, 0], // r5: minor
  ];
  // the last rule first: the first that matches returns
  for (const { allow: ok, rule } of [...exceptions].reverse()) {
    // each test jumps past the rest of the block when the device does not match
    const tests: ((skip: number) => Insn)[] = [];
    if (rule.type !== 'a') tests.push((skip) => [JNE_K, 2, 0, skip, TYPE[rule.type]]);
    if (rule.access !== 7) {
      tests.push(() => [MOV_X, 1, 3, 0, 0], () => [AND_K, 1, 0, 0, rule.access]);
      // allowed: only if every access asked is in the rule's; denied: if any is
      tests.push((skip) => (ok ? [JNE_X, 1, 3, skip, 0] : [JEQ_K, 1, 0, skip, 0]));
    }
    if (rule.major !== '*') tests.push((skip) => [JNE_K, 4, 0, skip, rule.major as number]);
    if (rule.minor !== '*') tests.push((skip) => [JNE_K, 5, 0, skip, rule.minor as number]);
    tests.forEach((test, k) => insns.push(test(tests.length - k - 1 + 2)));
    insns.push([MOV_K, 0, 0, 0, ok ? 1 : 0], [EXIT, 0, 0, 0, 0]);
  }
  insns.push([MOV_K, 0, 0, 0, allow ? 1 : 0], [EXIT, 0, 0, 0, 0]);
  const out = Buffer.alloc(insns.length * 8);
  insns.forEach(([op, dst, src, off, imm], k) => {
    out.writeUInt8(op, k * 8);
    out.writeUInt8((src << 4) | dst, k * 8 + 1);
    out.writeInt16LE(off, k * 8 + 2);
    out.writeInt32LE(imm | 0, k * 8 + 4);
  });
  return out;
}
