// Which open descriptors the caller gave us, so that exactly those reach the
// program. Node's start-up (libuv's uv_disable_stdio_inheritance) marks every
// inherited fd below 16 close-on-exec, so the flag cannot tell them from
// Node's own. Node's own are event machinery: epoll, eventfd, signalfd and
// timerfd instances, and self-pipes whose both ends it holds. A caller passes
// files, sockets, terminals and single pipe ends.
//
// Read the table before process.stdout or process.stderr is first used:
// creating those streams makes libuv open a reserve /dev/null, which would
// look like the caller's. The tool runner keeps to that on its exec path.
import { callerRecord } from './entry';
import { addon } from './native';

const NODE_INODES = /^anon_inode:\[?(eventpoll|eventfd|signalfd|timerfd|inotify)\]?$/;

/** Of the open fds, the caller's, above 2 (0–2 are always passed on): as
 * the launcher recorded them, or else told from Node's own by their kind. */
export function inheritedFds(): number[] {
  const recorded = callerRecord();
  if (recorded) return recorded.fds.filter((fd) => fd > 2);
  const open = addon().fdTable().filter((f) => f.fd > 2);
  const pipeModes = new Map<string, Set<number>>();
  for (const { link, mode } of open) {
    if (link.startsWith('pipe:')) pipeModes.set(link, (pipeModes.get(link) ?? new Set()).add(mode));
  }
  const O_RDONLY = 0;
  const O_WRONLY = 1;
  const selfPipe = (link: string) => pipeModes.get(link)?.has(O_RDONLY) === true && pipeModes.get(link)?.has(O_WRONLY) === true;
  return open.filter(({ link }) => !NODE_INODES.test(link) && !selfPipe(link)).map((f) => f.fd);
}
