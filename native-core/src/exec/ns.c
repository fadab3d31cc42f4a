/* Namespaces: unshare, setns, pidfds, host and domain names. */
#define _GNU_SOURCE
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/nsfs.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int step_unshare(struct ctx *c, char **w, int n)
{
	(void)c; (void)n;
	return unshare(inum(w[0]));
}

/* setns SLOT NSTYPE: the slot holds a namespace file or a pidfd. A slot
 * entered once is not entered again: a second pass retries only what the
 * first could not do (nsenter's order: the others, then the user namespace). */
int step_setns(struct ctx *c, char **w, int n)
{
	(void)n;
	int k = slot_index(w[0]);
	if (c->entered[k])
		return 0;
	if (setns(c->slot_fd[k], inum(w[1])) < 0)
		return -1;
	c->entered[k] = 1;
	return 0;
}

/* pidfd-alive SLOT: the process is still running, so what we opened of its
 * /proc directory since its pidfd was opened is its own, not a successor's */
int step_pidfd_alive(struct ctx *c, char **w, int n)
{
	(void)n;
	struct pollfd p = { .fd = c->slot_fd[slot_index(w[0])], .events = POLLIN };
	int r = poll(&p, 1, 0);
	if (r < 0)
		return -1;
	if (r > 0) {
		errno = ESRCH;
		return -1;
	}
	return 0;
}

/* pidfd-check SLOT PID STARTTIME: the pidfd in SLOT (opened from PID) is
 * the process that started at STARTTIME (field 22 of /proc/PID/stat, read
 * after the pidfd was opened, while it has not exited): not a process that
 * got the PID after the one the caller checked died. ESRCH if not. */
int step_pidfd_check(struct ctx *c, char **w, int n)
{
	(void)n;
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", inum(w[1]));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (fd >= 0)
		close(fd);
	char *p = r > 0 ? (buf[r] = 0, strrchr(buf, ')')) : NULL;
	for (int field = 2; p && field < 22; field++) {
		p = strchr(p + 1, ' ');
	}
	if (!p || strtoull(p + 1, NULL, 10) != unum(w[2], 10)) {
		errno = ESRCH;
		return -1;
	}
	return step_pidfd_alive(c, w, 1);
}

/* socket-netns PIDFD_SLOT FD SLOT: the network namespace of a socket that
 * another process holds as FD */
int step_socket_netns(struct ctx *c, char **w, int n)
{
	(void)n;
	int sock = (int)syscall(SYS_pidfd_getfd, c->slot_fd[slot_index(w[0])], inum(w[1]), 0);
	if (sock < 0)
		return -1;
	int ns = ioctl(sock, SIOCGSKNS);
	int err = errno;
	close(sock);
	if (ns < 0) {
		errno = err;
		return -1;
	}
	c->slot_fd[slot_index(w[2])] = ns;
	return 0;
}

/* ns-get SLOT parent|userns SLOT: the parent user namespace of a user
 * namespace, or the user namespace that owns a namespace */
int step_ns_get(struct ctx *c, char **w, int n)
{
	(void)n;
	unsigned long req = strcmp(w[1], "parent") == 0 ? NS_GET_PARENT : NS_GET_USERNS;
	int fd = ioctl(c->slot_fd[slot_index(w[0])], req);
	if (fd < 0)
		return -1;
	c->slot_fd[slot_index(w[2])] = fd;
	return 0;
}

/* pidfd-open PID SLOT: "self" is this process, "parent" its parent now */
int step_pidfd_open(struct ctx *c, char **w, int n)
{
	(void)n;
	pid_t pid = strcmp(w[0], "self") == 0 ? getpid() : strcmp(w[0], "parent") == 0 ? getppid() : (pid_t)inum(w[0]);
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -1;
	c->slot_fd[slot_index(w[1])] = fd; /* pidfds are always close-on-exec */
	return 0;
}

/* check-ino SLOT INODE: the fd must be that very inode (a recycled PID fails) */
int step_check_ino(struct ctx *c, char **w, int n)
{
	(void)n;
	struct stat st;
	if (fstat(c->slot_fd[slot_index(w[0])], &st) < 0)
		return -1;
	if ((unsigned long)st.st_ino != unum(w[1], 10)) {
		errno = ESRCH;
		return -1;
	}
	return 0;
}

int step_sethostname(struct ctx *c, char **w, int n)
{
	(void)c; (void)n;
	return sethostname(w[0], strlen(w[0]));
}

int step_setdomainname(struct ctx *c, char **w, int n)
{
	(void)c; (void)n;
	return setdomainname(w[0], strlen(w[0]));
}
