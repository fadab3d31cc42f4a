// A seccomp filter as the executor builds it with libseccomp (src/exec/seccomp.c):
// the names libseccomp 2.5 knows, the kernel's action values, and the words of
// the `seccomp` plan step. What a filter may hold is decided here and by the
// tool that fills it (tsoci's seccomp.ts); the C side only makes the calls.
import os = require('os');

/** runtime-spec's action names → SECCOMP_RET_* (an errno or trace code goes in the low 16 bits) */
export const SECCOMP_ACTIONS = {
  SCMP_ACT_KILL: 0x00000000, // KILL_THREAD, as runc
  SCMP_ACT_KILL_THREAD: 0x00000000,
  SCMP_ACT_KILL_PROCESS: 0x80000000,
  SCMP_ACT_TRAP: 0x00030000,
  SCMP_ACT_ERRNO: 0x00050000,
  SCMP_ACT_TRACE: 0x7ff00000,
  SCMP_ACT_LOG: 0x7ffc0000,
  SCMP_ACT_ALLOW: 0x7fff0000,
} as const;
export type SeccompActionName = keyof typeof SECCOMP_ACTIONS;

/** the actions whose low 16 bits carry a value (errnoRet) */
export const SECCOMP_ACTIONS_WITH_RET: SeccompActionName[] = ['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE'];

/** runtime-spec's operators → libseccomp's enum scmp_compare */
export const SECCOMP_OPS = {
  SCMP_CMP_NE: 1, SCMP_CMP_LT: 2, SCMP_CMP_LE: 3, SCMP_CMP_EQ: 4, SCMP_CMP_GE: 5, SCMP_CMP_GT: 6, SCMP_CMP_MASKED_EQ: 7,
} as const;

/** runtime-spec's architectures → the names seccomp_arch_resolve_name takes (libseccomp 2.5) */
export const SECCOMP_ARCHES: Record<string, string> = {
  SCMP_ARCH_X86: 'x86', SCMP_ARCH_X86_64: 'x86_64', SCMP_ARCH_X32: 'x32', SCMP_ARCH_ARM: 'arm', SCMP_ARCH_AARCH64: 'aarch64',
  SCMP_ARCH_MIPS: 'mips', SCMP_ARCH_MIPS64: 'mips64', SCMP_ARCH_MIPS64N32: 'mips64n32', SCMP_ARCH_MIPSEL: 'mipsel',
  SCMP_ARCH_MIPSEL64: 'mipsel64', SCMP_ARCH_MIPSEL64N32: 'mipsel64n32', SCMP_ARCH_PPC: 'ppc', SCMP_ARCH_PPC64: 'ppc64',
  SCMP_ARCH_PPC64LE: 'ppc64le', SCMP_ARCH_S390: 's390', SCMP_ARCH_S390X: 's390x', SCMP_ARCH_PARISC: 'parisc',
  SCMP_ARCH_PARISC64: 'parisc64', SCMP_ARCH_RISCV64: 'riscv64',
};

/** libseccomp will not mix byte orders in one filter (EDOM): these are big-endian */
const BIG_ENDIAN = new Set(['mips', 'mips64', 'mips64n32', 'ppc', 'ppc64', 's390', 's390x', 'parisc', 'parisc64']);

/** the architectures a filter on this machine can hold: those of its byte order */
export function seccompArchesHere(): string[] {
  const big = os.endianness() === 'BE';
  return Object.keys(SECCOMP_ARCHES).filter((k) => BIG_ENDIAN.has(SECCOMP_ARCHES[k]) === big);
}

/** runtime-spec's filter flags → the libseccomp attribute each sets */
export const SECCOMP_FLAGS = {
  SECCOMP_FILTER_FLAG_TSYNC: 'tsync',
  SECCOMP_FILTER_FLAG_LOG: 'log',
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 'ssb',
} as const;
export type SeccompFlag = (typeof SECCOMP_FLAGS)[keyof typeof SECCOMP_FLAGS];

export interface SeccompArg {
  index: number;
  op: number;
  /** decimal, up to 2^64-1 */
  value: string;
  valueTwo: string;
}

/** one seccomp_rule_add_array: a system call by name (skipped if libseccomp does not know it) */
export interface SeccompRule {
  name: string;
  action: number;
  args: SeccompArg[];
}

export interface SeccompFilter {
  defaultAction: number;
  /** libseccomp's names, added to the native one */
  arches: string[];
  flags: SeccompFlag[];
  rules: SeccompRule[];
  /** runc's ENOSYS prologue: a call numbered above the highest of these names
   * (on its architecture) returns ENOSYS, not the default action; none: no prologue */
  enosysAbove: string[];
}

/** An action value as runtime-spec names it, for printed plans. */
export function seccompActionName(action: number): string {
  const base = action >= 0x7fff0000 || action === 0x80000000 ? action : (action & 0xffff0000) >>> 0;
  const name = Object.entries(SECCOMP_ACTIONS).find(([n, v]) => v === base && n !== 'SCMP_ACT_KILL')?.[0] ?? `0x${action.toString(16)}`;
  return base === SECCOMP_ACTIONS.SCMP_ACT_ERRNO || base === SECCOMP_ACTIONS.SCMP_ACT_TRACE ? `${name}(${action & 0xffff})` : name;
}

/** The step's words after its `load` word: the default action, flags, arches, rules (each: name action K then K×4 words), the prologue's names. */
export function seccompWords(f: SeccompFilter): string[] {
  return [
    String(f.defaultAction), f.flags.join(',') || '-',
    String(f.arches.length), ...f.arches,
    String(f.rules.length),
    ...f.rules.flatMap((r) => [r.name, String(r.action), String(r.args.length), ...r.args.flatMap((a) => [String(a.index), String(a.op), a.value, a.valueTwo])]),
    String(f.enosysAbove.length), ...f.enosysAbove,
  ];
}

export function describeSeccomp(f: SeccompFilter, load: 'now' | 'exec'): string {
  const names = new Set(f.rules.map((r) => r.name)).size;
  return `seccomp filter (libseccomp): default ${seccompActionName(f.defaultAction)}, architectures ${['this machine\'s', ...f.arches].join(', ')}`
    + `${f.flags.length ? `, flags ${f.flags.join(',')}` : ''}, ${f.rules.length} rules on ${names} system calls (unknown ones skipped)`
    + `${f.enosysAbove.length ? ', ENOSYS above the highest call the profile names' : ''}; `
    + (load === 'now' ? 'loaded now (before the capabilities are dropped: without no_new_privs it needs CAP_SYS_ADMIN)' : 'loaded just before execve');
}
