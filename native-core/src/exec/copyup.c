/* tmpfs-copyup: runc's tmpcopyup. A tmpfs is made detached (fsopen, one
 * fsconfig per option, fsmount), filled with a copy of what the root has at
 * PATH, and then attached on PATH. PATH is resolved once, inside the root
 * (RESOLVE_IN_ROOT); the copy walks the image's tree by directory fds and
 * names (*at calls with O_NOFOLLOW / AT_SYMLINK_NOFOLLOW), so no symlink in
 * the image takes it anywhere else: links are copied as links. */
#define _GNU_SOURCE
#include "core.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* the mount API of 5.2, by number (header clashes on older systems) */
#define TS_FSOPEN_CLOEXEC 0x1
#define TS_FSCONFIG_SET_FLAG 0
#define TS_FSCONFIG_SET_STRING 1
#define TS_FSCONFIG_CMD_CREATE 6
#define TS_FSMOUNT_CLOEXEC 0x1
#define TS_MOUNT_ATTR_RDONLY 0x1
#define TS_MOVE_MOUNT_F_EMPTY_PATH 0x4
#define TS_MOVE_MOUNT_T_EMPTY_PATH 0x40

/* deeper than this is refused (each level holds two fds) */
#define MAX_DEPTH 128

/* owner, mode (after the owner: chown clears set-id bits) and times of NAME in TO */
static int attrs_at(int to, const char *name, const struct stat *st)
{
	if (fchownat(to, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (!S_ISLNK(st->st_mode) && fchmodat(to, name, st->st_mode & 07777, 0) < 0)
		return -1;
	const struct timespec times[2] = { st->st_atim, st->st_mtim };
	return utimensat(to, name, times, AT_SYMLINK_NOFOLLOW);
}

static int copy_file(int from, int to, const char *name)
{
	/* O_NONBLOCK: a file swapped for a FIFO since fstatat does not hang us */
	int src = openat(from, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (src < 0)
		return -1;
	struct stat st;
	int dst = -1, r = fstat(src, &st);
	if (r == 0 && !S_ISREG(st.st_mode)) {
		errno = EAGAIN;
		r = -1;
	}
	if (r == 0) {
		dst = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		r = dst < 0 ? -1 : 0;
	}
	char buf[65536];
	while (r == 0) {
		ssize_t got = read(src, buf, sizeof buf);
		if (got <= 0) {
			r = got < 0 ? -1 : 0;
			break;
		}
		for (ssize_t off = 0; off < got && r == 0;) {
			ssize_t put = write(dst, buf + off, (size_t)(got - off));
			if (put < 0)
				r = -1;
			else
				off += put;
		}
	}
	int err = errno;
	close(src);
	if (dst >= 0)
		close(dst);
	errno = err;
	return r;
}

static int copy_tree(int from, int to, int depth);

static int copy_dir(int from, int to, const char *name, int depth)
{
	if (mkdirat(to, name, 0700) < 0)
		return -1;
	int src = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int dst = src < 0 ? -1 : openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int r = dst < 0 ? -1 : copy_tree(src, dst, depth + 1);
	int err = errno;
	if (src >= 0)
		close(src);
	if (dst >= 0)
		close(dst);
	errno = err;
	return r;
}

/* each entry of directory FROM made again in directory TO */
static int copy_tree(int from, int to, int depth)
{
	if (depth > MAX_DEPTH) {
		errno = ELOOP;
		return -1;
	}
	int fd = dup(from);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int r = 0;
	struct dirent *e;
	while (r == 0 && (errno = 0, e = readdir(d))) {
		const char *name = e->d_name;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		struct stat st;
		r = fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW);
		if (r < 0)
			break;
		if (S_ISDIR(st.st_mode)) {
			r = copy_dir(from, to, name, depth);
		} else if (S_ISREG(st.st_mode)) {
			r = copy_file(from, to, name);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t len = readlinkat(from, name, target, sizeof target - 1);
			r = len < 0 ? -1 : 0;
			if (r == 0) {
				target[len] = 0;
				r = symlinkat(target, to, name);
			}
		} else {
			r = mknodat(to, name, st.st_mode & S_IFMT, st.st_rdev);
		}
		if (r == 0)
			r = attrs_at(to, name, &st);
	}
	if (r == 0 && errno)
		r = -1; /* readdir failed */
	int err = errno;
	closedir(d);
	errno = err;
	return r;
}

/* one fsconfig call per option of "a=b,c": a string, or a flag */
static int configure(int fs, const char *data)
{
	char opts[4096];
	if (strlen(data) >= sizeof opts) {
		errno = E2BIG;
		return -1;
	}
	strcpy(opts, data);
	for (char *save = NULL, *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(o, '=');
		if (eq)
			*eq = 0;
		if (syscall(SYS_fsconfig, fs, eq ? TS_FSCONFIG_SET_STRING : TS_FSCONFIG_SET_FLAG, o, eq ? eq + 1 : NULL, 0) < 0)
			return -1;
	}
	return (int)syscall(SYS_fsconfig, fs, TS_FSCONFIG_CMD_CREATE, NULL, NULL, 0);
}

/* tmpfs-copyup ROOT SOURCE PATH FLAGS DATA (SOURCE: the name /proc/mounts shows) */
int step_tmpfs_copyup(struct ctx *c, char **w, int n)
{
	(void)n;
	unsigned long flags = (unsigned long)unum(w[3], 10);
	int at = open_in_root(c->slot_fd[slot_index(w[0])], w[2], O_RDONLY | O_DIRECTORY);
	if (at < 0)
		return -1;
	int fs = (int)syscall(SYS_fsopen, "tmpfs", TS_FSOPEN_CLOEXEC);
	int r = fs < 0 ? -1 : (int)syscall(SYS_fsconfig, fs, TS_FSCONFIG_SET_STRING, "source", w[1], 0);
	if (r == 0)
		r = configure(fs, w[4]);
	int mnt = -1;
	if (r == 0) {
		/* writable while it is filled; read-only (if asked) before it is attached */
		struct tscore_mount_attr a = { 0 };
		mount_attrs(flags & ~(unsigned long)MS_RDONLY, &a);
		mnt = (int)syscall(SYS_fsmount, fs, TS_FSMOUNT_CLOEXEC, (unsigned int)a.attr_set);
		r = mnt < 0 ? -1 : 0;
	}
	if (r == 0)
		r = copy_tree(at, mnt, 0);
	if (r == 0 && (flags & MS_RDONLY)) {
		struct tscore_mount_attr ro = { .attr_set = TS_MOUNT_ATTR_RDONLY };
		r = (int)syscall(SYS_mount_setattr, mnt, "", AT_EMPTY_PATH, &ro, sizeof ro);
	}
	if (r == 0)
		r = (int)syscall(SYS_move_mount, mnt, "", at, "", TS_MOVE_MOUNT_F_EMPTY_PATH | TS_MOVE_MOUNT_T_EMPTY_PATH);
	int err = errno;
	if (mnt >= 0)
		close(mnt);
	if (fs >= 0)
		close(fs);
	close(at);
	errno = err;
	return r;
}
