// CVE-2019-5736 probes: the host's executor file, and a watcher that runs in
// a container: it waits for a process whose exe is not busybox (the executor
// run again by a program of the container that is "#!/proc/self/exe"), opens
// that exe, writes down in /tmp/got what it is, tries a write only on what is
// not the host's file (the host's executor is never written), and kills it.
import type { Test } from 'tap';
import fs = require('fs');
import path = require('path');
import { ROOT } from './run';

export const EXECUTOR = path.join(ROOT, 'native-core', 'prebuilds', `linux-${process.arch === 'arm64' ? 'arm64' : 'x64'}`, 'tscore-exec');

/** dev:ino of the host's executor file */
export function executorId(): string {
  const st = fs.statSync(EXECUTOR);
  return `${st.dev}:${st.ino}`;
}

/** /bin/evil and /bin/node "#!/proc/self/exe --launch": run, the executor
 * runs again as the launcher, which execs "node", again: a loop that keeps it there */
export const EVIL = "printf '#!/proc/self/exe --launch\\n' > /bin/node; chmod +x /bin/node; cp /bin/node /bin/evil";

/** The watcher's script: `first` before it watches, `then` after it killed what it found. */
export const watcher = (hostId: string, first: string, then: string) => `
  ${first}
  echo watching >&2
  while :; do
    for d in /proc/[0-9]*; do
      e=$(readlink $d/exe 2>/dev/null) || continue
      case "$e" in */busybox|"") continue ;; esac
      exec 9<$d/exe || continue
      id=$(stat -L -c %d:%i /proc/self/fd/9)
      { echo "$e"; echo "$id"; } > /tmp/got
      if [ "$id" != "${hostId}" ]; then (printf x >>/proc/self/fd/9) 2>/dev/null && echo wrote >> /tmp/got || echo refused >> /tmp/got; fi
      kill -9 \${d#/proc/}
      ${then}
    done
  done`;

/** What the watcher wrote down in the container's root: its exe, dev:ino, and "wrote" or "refused" */
export function got(root: string): string[] {
  const file = path.join(root, 'tmp', 'got');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n') : [];
}

/** What the watcher saw, told and judged: it found the executor run again
 * (where `found`), what it opened is not the host's executor file, it could
 * not write to that, and the host's file is as it was (`before`). */
export function judge(t: Test, root: string, before: fs.Stats, how = '', found = true): void {
  const seen = got(root);
  const id = `${before.dev}:${before.ino}`;
  t.comment(`${how}the container got ${seen.join(' | ')}`);
  if (found) t.ok(seen.length > 1, `${how}the container found the executor run again`);
  t.not(seen[1], id, `${how}what it opened is not the host's executor file`);
  t.notOk(seen.includes('wrote'), `${how}and it could not write to it`);
  t.equal(fs.statSync(EXECUTOR).size, before.size, 'the host\'s executor is as it was');
}
