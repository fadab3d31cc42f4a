/* A container's terminal (OCI process.terminal): a pty of the container's
 * own devpts, its master sent to the caller's console socket (SCM_RIGHTS,
 * as runc sends it), its slave the process's stdio and controlling tty. */
#define _GNU_SOURCE
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

/* console-connect PATH SLOT: connect to the caller's console socket now,
 * while its path is reachable (before the pivot) */
int step_console_connect(struct ctx *c, char **w, int n)
{
	(void)n;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(w[0]) >= sizeof addr.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(addr.sun_path, w[0]);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	c->slot_fd[slot_index(w[1])] = fd;
	return 0;
}

/* console SLOT ROWS COLS: open /dev/ptmx (the container's), unlock it, size
 * it, send the master on the socket in SLOT, then become the leader of a
 * new session whose controlling terminal is the slave, on fds 0, 1 and 2 */
int step_console(struct ctx *c, char **w, int n)
{
	(void)n;
	int k = slot_index(w[0]);
	int sock = c->slot_fd[k];
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return -1;
	int unlock = 0;
	int slave = -1;
	if (ioctl(master, TIOCSPTLCK, &unlock) == 0)
		slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (slave < 0)
		goto fail;
	struct winsize ws = { .ws_row = (unsigned short)inum(w[1]), .ws_col = (unsigned short)inum(w[2]) };
	if (ws.ws_row && ws.ws_col)
		ioctl(master, TIOCSWINSZ, &ws);
	char payload[] = "/dev/ptmx";
	struct iovec iov = { .iov_base = payload, .iov_len = sizeof payload - 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof u);
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	ssize_t r;
	do
		r = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		goto fail;
	close(master);
	close(sock);
	c->slot_fd[k] = -1;
	master = -1;
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		goto fail;
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			goto fail;
	if (slave > 2)
		close(slave);
	return 0;
fail:;
	int err = errno;
	if (master >= 0)
		close(master);
	if (slave > 2)
		close(slave);
	errno = err;
	return -1;
}

/* stderr FD RESTORE: the caller's stderr, kept on FD while our own fd 2
 * went to tsoci (which says and logs the setup's errors), is put back on
 * fd 2 for the program (RESTORE 1), or only closed (0: a terminal's slave
 * is fd 2 already) */
int step_stderr(struct ctx *c, char **w, int n)
{
	(void)c; (void)n;
	int fd = inum(w[0]);
	if (inum(w[1]) && dup2(fd, 2) < 0)
		return -1;
	return close(fd);
}
