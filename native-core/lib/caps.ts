// Capability names (linux/capability.h), as --cap-add/--cap-drop take them.
import { ToolError } from './errors';

export const CAPS = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
] as const;

export const ALL_CAPS = (1n << BigInt(CAPS.length)) - 1n;

/** "net_admin,CAP_SYS_ADMIN" or "all" → a mask (bit N = capability N). */
export function parseCaps(text: string, option: string): bigint {
  let mask = 0n;
  for (const word of text.split(',').filter(Boolean)) {
    if (word.toLowerCase() === 'all') {
      mask |= ALL_CAPS;
      continue;
    }
    const k = CAPS.indexOf(word.toUpperCase().replace(/^CAP_/, '') as (typeof CAPS)[number]);
    if (k < 0) throw new ToolError(`${option}: unknown capability '${word}'`);
    mask |= 1n << BigInt(k);
  }
  return mask;
}

export function capNames(mask: bigint): string {
  if (mask === ALL_CAPS) return 'all';
  const names = CAPS.filter((_, k) => (mask >> BigInt(k)) & 1n).map((n) => `CAP_${n}`);
  return names.length ? names.join(',') : 'none';
}
