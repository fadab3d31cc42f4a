/* Namespaces: unshare, setns, pidfds, host and domain names. */
#define _GNU_SOURCE
#include "core.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int step_unshare(struct ctx *c, char **w, int n)
{
	(void)c; (void)n;
	return unshare((int)num(w[0]));
}

/* setns SLOT NSTYPE: the slot holds a namespace file or a pidfd */
int step_setns(struct ctx *c, char **w, int n)
{
	(void)n;
	return setns(c->slot_fd[slot_index(w[0])], (int)num(w[1]));
}

/* pidfd-open PID SLOT: "self" is this process */
int step_pidfd_open(struct ctx *c, char **w, int n)
{
	(void)n;
	pid_t pid = strcmp(w[0], "self") == 0 ? getpid() : (pid_t)num(w[0]);
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
	if ((unsigned long)st.st_ino != (unsigned long)num(w[1])) {
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
