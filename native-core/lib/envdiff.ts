// The program's environment, against the one the caller gave, in a line a
// learner can read in a printed plan: what --clear-env, --whitelist-env,
// --env or tsnsenter -e change. Names, not values, of what is kept or
// removed (values may be secrets); values of what is set, as given.
import type { Step } from './plan';

const nameOf = (kv: string) => (kv.includes('=') ? kv.slice(0, kv.indexOf('=')) : kv);

function list(items: string[], most = 6): string {
  const shown = items.slice(0, most).map((x) => (x.length > 40 ? `${x.slice(0, 37)}...` : x));
  return items.length > most ? `${shown.join(', ')} and ${items.length - most} more` : shown.join(', ');
}

/** How `program` differs from `caller`, or undefined if it does not.
 * `origin` names where a wholly other environment comes from. */
export function envSummary(caller: string[], program: string[], origin?: string): string | undefined {
  if (caller.length === program.length && caller.every((kv, i) => kv === program[i])) return undefined;
  if (origin) return `the environment of ${origin} (${program.length} variables), not the caller's`;
  const had = new Set(caller);
  const names = new Set(program.map(nameOf));
  const kept = program.filter((kv) => had.has(kv));
  const set = program.filter((kv) => !had.has(kv));
  const removed = caller.filter((kv) => !names.has(nameOf(kv)));
  if (program.length === 0) return `an empty environment (all ${caller.length} of the caller's variables removed)`;
  const base = kept.length === 0 ? `only ${list(set)}`
    : removed.length === 0 ? "the caller's environment"
      : `only ${list(kept.map(nameOf))} of the caller's environment`;
  const plus = kept.length && set.length ? `, with ${list(set)} set` : '';
  const minus = removed.length ? ` (${removed.length} of the caller's ${caller.length} variables removed)` : '';
  return base + plus + minus;
}

/** The 'environ' step for a printed plan (and the real one: the executor
 * applies it at the exec, as the runner's own), if the environment changes. */
export function envStep(caller: string[], program: string[], origin?: string): Step[] {
  const summary = envSummary(caller, program, origin);
  return summary === undefined ? [] : [{ op: 'environ', vars: program, summary }];
}
