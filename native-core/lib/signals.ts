// Signal names, as util-linux reads and writes them.
import os = require('os');

const SIGRTMIN = 34; // glibc's, for programs that use its threads
const SIGRTMAX = 64;

export function signalName(n: number): string {
  const name = Object.entries(os.constants.signals).find(([, v]) => v === n)?.[0];
  if (name) return name;
  if (n >= SIGRTMIN && n <= SIGRTMAX) return n - SIGRTMIN <= SIGRTMAX - n ? `SIGRTMIN+${n - SIGRTMIN}` : `SIGRTMAX-${SIGRTMAX - n}`;
  return String(n);
}

/** "term", "SIGTERM", "RTMIN+3" → number; undefined if it names no signal. Numbers are not names. */
export function parseSignalName(text: string): number | undefined {
  const name = text.toUpperCase().replace(/^SIG/, '');
  const rt = /^RT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (rt) {
    const offset = rt[3] === undefined ? 0 : Number(rt[3]) * (rt[2] === '+' ? 1 : -1);
    const n = (rt[1] === 'MIN' ? SIGRTMIN : SIGRTMAX) + offset;
    return n >= SIGRTMIN && n <= SIGRTMAX ? n : undefined;
  }
  const signals = os.constants.signals as Record<string, number>;
  return Object.hasOwn(signals, 'SIG' + name) ? signals['SIG' + name] : undefined;
}
