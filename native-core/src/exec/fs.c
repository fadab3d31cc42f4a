/* Files and mounts: open, write, mount, chroot, chdir, pid files. */
#define _GNU_SOURCE
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *or_null(const char *s)
{
	return *s ? s : NULL;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t r = write(fd, buf, len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += r;
		len -= (size_t)r;
	}
	return 0;
}

/* open PATH SLOT FLAGS */
int step_open(struct ctx *c, char **w, int n)
{
	(void)n;
	int fd = open(w[0], inum(w[2]) | O_CLOEXEC);
	if (fd < 0)
		return -1;
	c->slot_fd[slot_index(w[1])] = fd;
	return 0;
}

/* write PATH DATA: one write(2), as /proc files want */
int step_write(struct ctx *c, char **w, int n)
{
	(void)c; (void)n;
	int fd = open(w[0], O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = strlen(w[1]);
	ssize_t r = write(fd, w[1], len);
	int err = errno;
	close(fd);
	if (r < 0 || (size_t)r != len) {
		errno = r < 0 ? err : EIO;
		return -1;
	}
	return 0;
}

/* write-fd SLOT DATA: one write(2) to a file opened by an earlier step, so
 * that what is written is what was opened (a /proc/PID file of a pidfd's
 * process, checked alive in between) */
int step_write_fd(struct ctx *c, char **w, int n)
{
	(void)n;
	int k = slot_index(w[0]);
	size_t len = strlen(w[1]);
	ssize_t r = write(c->slot_fd[k], w[1], len);
	int err = errno;
	close(c->slot_fd[k]);
	c->slot_fd[k] = -1;
	if (r < 0 || (size_t)r != len) {
		errno = r < 0 ? err : EIO;
		return -1;
	}
	return 0;
}

/* mount SRC TARGET FSTYPE FLAGS DATA: an empty word is NULL */
int step_mount(struct ctx *c, char **w, int n)
{
	(void)c; (void)n;
	return mount(or_null(w[0]), w[1], or_null(w[2]), (unsigned long)num(w[3]), or_null(w[4]));
}

/* umount TARGET FLAGS */
int step_umount(struct ctx *c, char **w, int n)
{
	(void)c; (void)n;
	return umount2(w[0], inum(w[1]));
}

int step_chroot(struct ctx *c, char **w, int n)
{
	(void)c; (void)n;
	return chroot(w[0]);
}

/* chdir PATH: and the directory reached must be under our root: through
 * a descriptor of a directory outside it (/proc/self/fd/N) it is not, and
 * the program would start on the host's files (runc's CVE-2024-21626).
 * The kernel's getcwd says "(unreachable)" then: ENOENT, as glibc says it. */
int step_chdir(struct ctx *c, char **w, int n)
{
	(void)c; (void)n;
	if (chdir(w[0]) < 0)
		return -1;
	char where[4096];
	long r = syscall(SYS_getcwd, where, sizeof where);
	if (r < 0 && errno == ERANGE)
		return 0; /* deeper than we can say, but a path from our root */
	if (r < 0 || where[0] != '/') {
		errno = r < 0 ? errno : ENOENT;
		return -1;
	}
	return 0;
}

/* close SLOT: what an earlier step opened, let go of here */
int step_close(struct ctx *c, char **w, int n)
{
	(void)n;
	int k = slot_index(w[0]);
	int fd = c->slot_fd[k];
	c->slot_fd[k] = -1;
	return fd < 0 ? 0 : close(fd);
}

int step_fchdir(struct ctx *c, char **w, int n)
{
	(void)n;
	return fchdir(c->slot_fd[slot_index(w[0])]);
}

/* pidfile-open DIR NAME SLOT: opened before any namespace or root changes, so
 * the file lands where the caller named it. A FIFO of the caller's own is
 * opened for writing (this waits for its reader); anything else is replaced
 * later through its directory, atomically. Nothing is followed: the name is
 * looked at with O_PATH|O_NOFOLLOW, so neither a planted link nor a planted
 * FIFO of someone else can steer or stall us. */
int step_pidfile_open(struct ctx *c, char **w, int n)
{
	(void)n;
	int k = slot_index(w[2]);
	int dir = open(w[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -1;
	struct stat st;
	int at = openat(dir, w[1], O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (at >= 0 && fstat(at, &st) == 0 && S_ISFIFO(st.st_mode)) {
		char self[64];
		snprintf(self, sizeof self, "/proc/self/fd/%d", at);
		int fd = st.st_uid == geteuid() ? open(self, O_WRONLY | O_CLOEXEC) : (errno = EPERM, -1);
		int err = errno;
		close(at);
		close(dir);
		if (fd < 0) {
			errno = err;
			return -1;
		}
		c->slot_fd[k] = fd;
		c->slot_name[k] = NULL;
		return 0;
	}
	if (at >= 0)
		close(at);
	c->slot_fd[k] = dir;
	c->slot_name[k] = w[1];
	return 0;
}

/* A new file of an unpredictable name in dir, never one that was there. */
static int create_temp(int dir, const char *name, char *tmp, size_t size)
{
	for (int tries = 0; tries < 16; tries++) {
		unsigned long long r;
		if (getrandom(&r, sizeof r, 0) != sizeof r)
			return -1;
		snprintf(tmp, size, ".%s.%016llx", name, r);
		int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* pidfile-write SLOT pid|inode: the PID that runs the program, as the
 * caller sees it; "inode": PID:INODE, the inode of a pidfd of it (a pidfs
 * inode names one process for the whole boot: tsnsenter -t PID:INODE then
 * refuses a successor that got the PID) */
int step_pidfile_write(struct ctx *c, char **w, int n)
{
	(void)n;
	int k = slot_index(w[0]);
	pid_t pid = c->child > 0 ? c->child : getpid();
	char buf[64];
	int len = snprintf(buf, sizeof buf, "%d\n", (int)pid);
	if (strcmp(w[1], "inode") == 0) {
		struct stat st;
		int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		int r = pidfd < 0 ? -1 : fstat(pidfd, &st);
		int err = errno;
		if (pidfd >= 0)
			close(pidfd);
		if (r < 0) {
			errno = err;
			return -1;
		}
		len = snprintf(buf, sizeof buf, "%d:%llu\n", (int)pid, (unsigned long long)st.st_ino);
	}
	int fd = c->slot_fd[k], rc;
	if (!c->slot_name[k]) {
		rc = write_all(fd, buf, (size_t)len);
	} else {
		char tmp[4096];
		int out = create_temp(fd, c->slot_name[k], tmp, sizeof tmp);
		if (out < 0)
			return -1;
		rc = write_all(out, buf, (size_t)len);
		if (close(out) < 0)
			rc = -1;
		if (rc == 0)
			rc = renameat(fd, tmp, fd, c->slot_name[k]);
		if (rc < 0) {
			int err = errno;
			unlinkat(fd, tmp, 0);
			errno = err;
		}
	}
	int err = errno;
	close(fd);
	c->slot_fd[k] = -1;
	errno = err;
	return rc;
}
