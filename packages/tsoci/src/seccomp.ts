// linux.seccomp (runtime-spec config-linux.md) → the core's SeccompFilter,
// every field checked here, in one line naming it; runc's rules: SCMP_ACT_KILL
// is KILL_THREAD, ERRNO and TRACE return EPERM unless errnoRet says, a rule
// whose action is the default one is left out, and comparisons that test
// one argument twice become one rule each (they could never all hold).
import {
  SECCOMP_ACTIONS, SECCOMP_ACTIONS_WITH_RET, SECCOMP_ARCHES, SECCOMP_FLAGS, SECCOMP_OPS, seccompArchesHere, ToolError,
  type SeccompActionName, type SeccompArg, type SeccompFilter, type SeccompFlag, type SeccompRule,
} from 'tscontainer-core';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const EPERM = 1;
const ENOSYS = 38;
/** the kernel clamps a filter's errno to MAX_ERRNO */
const MAX_ERRNO = 4095;

function list(v: unknown, field: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ToolError(`${field}: expected an array`);
  return v;
}

function name<T extends string>(v: unknown, field: string, known: readonly T[], what: string): T {
  if (typeof v !== 'string') throw new ToolError(`${field}: expected a string`);
  if (!known.includes(v as T)) throw new ToolError(`${field}: '${v}' is not ${what} tsoci knows (${known.join(', ')})`);
  return v as T;
}

function action(v: unknown, ret: unknown, field: string, retField: string): number {
  if (v === 'SCMP_ACT_NOTIFY') throw new ToolError(`${field}: SCMP_ACT_NOTIFY is not supported by tsoci (no seccomp agent: listenerPath)`);
  const act = name(v, field, Object.keys(SECCOMP_ACTIONS) as SeccompActionName[], 'an action');
  if (ret === undefined || ret === null) return SECCOMP_ACTIONS_WITH_RET.includes(act) ? SECCOMP_ACTIONS[act] | EPERM : SECCOMP_ACTIONS[act];
  if (!SECCOMP_ACTIONS_WITH_RET.includes(act)) throw new ToolError(`${retField}: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return a value, not ${act}`);
  if (typeof ret !== 'number' || !Number.isInteger(ret) || ret < 0 || ret > MAX_ERRNO) throw new ToolError(`${retField}: expected an errno from 0 to ${MAX_ERRNO}`);
  return (SECCOMP_ACTIONS[act] | ret) >>> 0;
}

/** a 64-bit argument value: JSON numbers are exact only up to 2^53 */
function u64(v: unknown, field: string): string {
  if (v === undefined) return '0';
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ToolError(`${field}: expected a non-negative integer`);
  if (!Number.isSafeInteger(v)) throw new ToolError(`${field}: ${v} is beyond 2^53, which a JSON number does not hold exactly`);
  return String(v);
}

function args(v: unknown, field: string): SeccompArg[] {
  return list(v, field).map((a, i) => {
    const f = `${field}[${i}]`;
    if (!isObject(a)) throw new ToolError(`${f}: expected an object`);
    if (typeof a.index !== 'number' || !Number.isInteger(a.index) || a.index < 0 || a.index > 5) throw new ToolError(`${f}.index: expected an argument index from 0 to 5`);
    const op = name(a.op, `${f}.op`, Object.keys(SECCOMP_OPS) as (keyof typeof SECCOMP_OPS)[], 'an operator');
    return { index: a.index, op: SECCOMP_OPS[op], value: u64(a.value, `${f}.value`), valueTwo: u64(a.valueTwo, `${f}.valueTwo`) };
  });
}

/** linux.seccomp, or undefined when there is none */
export function parseSeccomp(v: unknown): SeccompFilter | undefined {
  if (v === undefined || v === null) return undefined;
  const field = 'linux.seccomp';
  if (!isObject(v)) throw new ToolError(`${field}: expected an object`);
  for (const key of ['listenerPath', 'listenerMetadata']) {
    if (v[key] !== undefined && v[key] !== '') throw new ToolError(`${field}.${key} is not supported by tsoci (no seccomp agent)`);
  }
  const defaultAction = action(v.defaultAction, v.defaultErrnoRet, `${field}.defaultAction`, `${field}.defaultErrnoRet`);
  const here = seccompArchesHere();
  const arches = [...new Set(list(v.architectures, `${field}.architectures`).map((a, i) => {
    const arch = name(a, `${field}.architectures[${i}]`, Object.keys(SECCOMP_ARCHES), 'an architecture');
    if (!here.includes(arch)) throw new ToolError(`${field}.architectures[${i}]: ${arch} is of the other byte order: a filter on this machine cannot hold it`);
    return SECCOMP_ARCHES[arch];
  }))];
  const flags = [...new Set(list(v.flags, `${field}.flags`)
    .map((f, i) => SECCOMP_FLAGS[name(f, `${field}.flags[${i}]`, Object.keys(SECCOMP_FLAGS) as (keyof typeof SECCOMP_FLAGS)[], 'a flag')]))] as SeccompFlag[];

  const rules: SeccompRule[] = [];
  for (const [i, s] of list(v.syscalls, `${field}.syscalls`).entries()) {
    const f = `${field}.syscalls[${i}]`;
    if (!isObject(s)) throw new ToolError(`${f}: expected an object`);
    const names = list(s.names, `${f}.names`);
    if (!names.length) throw new ToolError(`${f}.names: expected at least one system call name`);
    const act = action(s.action, s.errnoRet, `${f}.action`, `${f}.errnoRet`);
    const cmp = args(s.args, `${f}.args`);
    for (const [k, n] of names.entries()) {
      if (typeof n !== 'string' || !/^[a-z_][a-z0-9_]*$/.test(n)) throw new ToolError(`${f}.names[${k}]: '${String(n)}' is not a system call name`);
    }
    if (act === defaultAction) continue; // what the filter does anyway (libseccomp refuses such a rule)
    const indexes = cmp.map((a) => a.index);
    const split = new Set(indexes).size < indexes.length;
    for (const n of names as string[]) {
      if (split) for (const a of cmp) rules.push({ name: n, action: act, args: [a] });
      else rules.push({ name: n, action: act, args: cmp });
    }
  }
  // runc's prologue: calls newer than the profile get ENOSYS (libc falls back), unless
  // the default lets them through anyway or already says ENOSYS
  const permissive = ['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'].includes(v.defaultAction as string);
  const stub = !permissive && defaultAction !== (SECCOMP_ACTIONS.SCMP_ACT_ERRNO | ENOSYS);
  const enosysAbove = stub ? [...new Set(list(v.syscalls, `${field}.syscalls`).flatMap((s) => (s as Json).names as string[]))] : [];
  return { defaultAction, arches, flags, rules, enosysAbove };
}

/** what `features` says (runtime-spec features-linux.md) */
export function seccompFeatures(): Record<string, unknown> {
  const flags = Object.keys(SECCOMP_FLAGS);
  return {
    enabled: true,
    actions: Object.keys(SECCOMP_ACTIONS),
    operators: Object.keys(SECCOMP_OPS),
    archs: seccompArchesHere(),
    knownFlags: flags,
    supportedFlags: flags,
  };
}
