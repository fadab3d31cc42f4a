// Errors that say what to do: a step's failure with a given errno said as
// "<step> failed: <strerror> (<what to do>)" — carried in the plan, printed
// by the executor instead of the bare line (src/exec/report.c).
import { errno } from './kernel';
import { addon } from './native';
import { describe, type Step } from './plan';

/** The step, told to say `hint` after its error when it fails with one of `errnos`. */
export function withHint<S extends Step>(step: S, errnos: number[], hint: string): S {
  const explain = { ...step.explain };
  for (const e of errnos) explain[e] = `${describe(step)} failed: ${addon().strerror(e)} (${hint})`;
  return { ...step, explain };
}

/** The step, told to say `line` instead of its error when it fails with `errno`. */
export function withMessage<S extends Step>(step: S, errno: number, line: string): S {
  return { ...step, explain: { ...step.explain, [errno]: line } };
}

/** Go on from a sealed in-memory copy of the executor, the plan's first
 * step where a program comes from a container's files (CVE-2019-5736); a
 * host that forbids running a memfd says so. */
export function sealedExe(): Step {
  return withHint({ op: 'sealed-exe' }, [errno.EACCES], 'this host forbids running a memfd: vm.memfd_noexec is 2');
}
