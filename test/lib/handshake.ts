// The seeds' container handshake, as a shell script with no sleeps: the
// child waits in tsreexec --wait, the parent reads its PID from a FIFO,
// writes its maps with tsmaproot, and lets it go.
import type { Test } from 'tap';
import { scratch, sh, type Result } from './run';
export { rootfs } from './rootfs';

export const MAPS = '--map-users 0:100000:65536 --map-groups 0:100000:65536';

/** The script, for `sh`: the container's program gets `program` (shell words). */
export function handshakeScript(run: string, reexec: string, program: string, unshare = '-Upmnui', maps = MAPS): string {
  return `set -e; mkfifo ${run}/pid ${run}/go
tsunshare ${unshare} --keep-caps --fork --pid-file ${run}/pid tsreexec --wait ${run}/go ${reexec} -- ${program} &
read pid < ${run}/pid
tsmaproot ${maps} "$pid"
echo > ${run}/go
set +e; wait $!`;
}

/** The script as one command, for background(). */
export const handshakeCommand = (...args: Parameters<typeof handshakeScript>) =>
  `sh -c '${handshakeScript(...args).replace(/'/g, `'\\''`)}'`;

export function handshake(t: Test, reexec: string, program: string, unshare?: string): Result {
  const run = scratch(t);
  return sh(handshakeScript(run, reexec, program, unshare));
}
