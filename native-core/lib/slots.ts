// Descriptor slots by name. A plan keeps the fds its steps open in numbered
// slots; printed, a slot goes by what it holds (pidfd, nsfd[net], rootfd, the
// helper that writes the maps), as the step that fills it names it (`as`),
// never by a small number that reads like stdin.
import type { Step } from './plan';

export type SlotNames = ReadonlyMap<number, string>;

/** The name each slot of this plan goes by, from the step that fills it. */
export function slotNames(steps: Step[], names = new Map<number, string>()): Map<number, string> {
  for (const s of steps) {
    if (s.as !== undefined && 'slot' in s) names.set(s.slot, s.op === 'helper' ? `the helper that ${s.as}` : s.as);
    if (s.op === 'helper') slotNames(s.steps, names);
    if (s.op === 'fork') slotNames(s.parent, names);
  }
  return names;
}

/** A slot as printed: its name, or (a plan that names none) fd#N. */
export const slotName = (names: SlotNames | undefined, slot: number, kind = 'fd'): string => names?.get(slot) ?? `${kind}#${slot}`;
