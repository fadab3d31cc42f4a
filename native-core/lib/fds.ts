// Which open descriptors the caller gave us, so that exactly those reach the
// program. Node's start-up (libuv's uv_disable_stdio_inheritance) marks every
// inherited fd below 16 close-on-exec, so the flag cannot tell them from
// Node's own. Node's own are event machinery: epoll, eventfd, signalfd and
// timerfd instances, self-pipes whose both ends it holds, and libuv's reserve
// /dev/null, which it opens when stdout is first used: hence the snapshot of
// fd numbers taken before anything is written. A caller passes files,
// sockets, terminals and single pipe ends.
import fs = require('fs');

const NODE_INODES = /^anon_inode:\[?(eventpoll|eventfd|signalfd|timerfd|inotify)\]?$/;

function accessMode(fd: number): number {
  const flags = /^flags:\s*(\d+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  return flags ? parseInt(flags[1], 8) & 3 : -1;
}

/** The fds open now, with what they point to: take this before the first write to stdout or stderr. */
export function openFds(): Map<number, string> {
  const open = new Map<number, string>();
  for (const name of fs.readdirSync('/proc/self/fd')) {
    try {
      open.set(Number(name), fs.readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      // readdir's own fd, closed by now
    }
  }
  return open;
}

/** Of the fds open at start-up, the caller's, above 2 (0–2 are always passed on). */
export function inheritedFds(open: Map<number, string>): number[] {
  const pipeEnds = new Map<string, Set<number>>();
  for (const [fd, link] of open) {
    if (fd > 2 && link.startsWith('pipe:')) {
      const modes = pipeEnds.get(link) ?? new Set();
      modes.add(accessMode(fd));
      pipeEnds.set(link, modes);
    }
  }
  const selfPipe = (link: string) => pipeEnds.get(link)?.has(0) === true && pipeEnds.get(link)?.has(1) === true;
  return [...open]
    .filter(([fd, link]) => fd > 2 && !NODE_INODES.test(link) && !selfPipe(link))
    .map(([fd]) => fd);
}
