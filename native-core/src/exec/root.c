/* A new root: paths inside it resolved as the container will see them, and
 * pivot_root into it.
 *
 * Until the pivot, a path like ROOT/dev/null is looked up from the host's
 * root: a symlink inside the rootfs (dev -> /etc) would send a mkdir, a
 * created file or a mount out to the host's files. So every path below the
 * new root is resolved with openat2(RESOLVE_IN_ROOT) from an fd of the root
 * (symlinks stay inside it, as after the pivot), created with *at() calls
 * that never follow a last symlink, and mounted on through /proc/self/fd. */
#define _GNU_SOURCE
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

int open_in_root(int root, const char *path, int flags)
{
	struct open_how how = { .flags = (unsigned long long)(flags | O_CLOEXEC),
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	while (*path == '/')
		path++;
	return (int)syscall(SYS_openat2, root, *path ? path : ".", &how, sizeof how);
}

/* The directory that holds PATH's last component, and that component. */
static int parent_in_root(int root, const char *path, const char **name)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	*name = slash ? slash + 1 : path;
	size_t len = slash ? (size_t)(slash - path) : 0;
	if (len >= sizeof dir || !**name) {
		errno = EINVAL;
		return -1;
	}
	memcpy(dir, path, len);
	dir[len] = 0;
	return open_in_root(root, dir, O_PATH | O_DIRECTORY);
}

static int root_fd(struct ctx *c, const char *slot)
{
	return c->slot_fd[slot_index(slot)];
}

/* mkdir-in ROOT PATH MODE */
int step_mkdir_in(struct ctx *c, char **w, int n)
{
	(void)n;
	const char *name;
	int dir = parent_in_root(root_fd(c, w[0]), w[1], &name);
	if (dir < 0)
		return -1;
	int r = mkdirat(dir, name, (mode_t)inum(w[2]));
	int err = errno;
	close(dir);
	errno = err;
	return r;
}

/* touch-in ROOT PATH: an empty file to bind a file on (an existing one is kept) */
int step_touch_in(struct ctx *c, char **w, int n)
{
	(void)n;
	const char *name;
	int dir = parent_in_root(root_fd(c, w[0]), w[1], &name);
	if (dir < 0)
		return -1;
	int fd = openat(dir, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	int err = errno;
	close(dir);
	if (fd < 0) {
		errno = err;
		return -1;
	}
	close(fd);
	return 0;
}

/* mknod-in ROOT PATH MODE MAJOR MINOR UID GID: a device node (or FIFO) with
 * exactly MODE (umask 0 for the call), then its owner, never following a
 * last symlink */
int step_mknod_in(struct ctx *c, char **w, int n)
{
	(void)n;
	const char *name;
	int dir = parent_in_root(root_fd(c, w[0]), w[1], &name);
	if (dir < 0)
		return -1;
	mode_t old = umask(0);
	int r = mknodat(dir, name, (mode_t)unum(w[2], 10), makedev((unsigned)unum(w[3], 10), (unsigned)unum(w[4], 10)));
	umask(old);
	if (r == 0)
		r = fchownat(dir, name, (uid_t)unum(w[5], 10), (gid_t)unum(w[6], 10), AT_SYMLINK_NOFOLLOW);
	int err = errno;
	close(dir);
	errno = err;
	return r;
}

/* symlink-in ROOT TARGET PATH */
int step_symlink_in(struct ctx *c, char **w, int n)
{
	(void)n;
	const char *name;
	int dir = parent_in_root(root_fd(c, w[0]), w[2], &name);
	if (dir < 0)
		return -1;
	int r = symlinkat(w[1], dir, name);
	int err = errno;
	close(dir);
	errno = err;
	return r;
}

/* mount-in ROOT SRC PATH FSTYPE FLAGS DATA: SRC is the caller's (a path as the
 * host sees it, or a file system's name); PATH is inside the root. With
 * MS_REMOUNT, the flags the kernel locks on the mount (nosuid, nodev,
 * noexec, atime) are kept, or it would refuse a remount in a user namespace. */
int step_mount_in(struct ctx *c, char **w, int n)
{
	(void)n;
	int at = open_in_root(root_fd(c, w[0]), w[2], O_PATH);
	if (at < 0)
		return -1;
	char target[64];
	snprintf(target, sizeof target, "/proc/self/fd/%d", at);
	unsigned long flags = (unsigned long)unum(w[4], 10);
	if (flags & MS_REMOUNT) {
		struct statvfs st;
		if (statvfs(target, &st) == 0) {
			const unsigned long locked[][2] = {
				{ ST_NOSUID, MS_NOSUID }, { ST_NODEV, MS_NODEV }, { ST_NOEXEC, MS_NOEXEC },
				{ ST_NOATIME, MS_NOATIME }, { ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
			};
			for (size_t k = 0; k < sizeof locked / sizeof locked[0]; k++)
				if (st.f_flag & locked[k][0])
					flags |= locked[k][1];
		}
	}
	int r = mount(*w[1] ? w[1] : NULL, target, *w[3] ? w[3] : NULL, flags, *w[5] ? w[5] : NULL);
	int err = errno;
	close(at);
	errno = err;
	return r;
}

/* the mount API of 5.2/5.12, by number: glibc's <sys/mount.h> and
 * <linux/mount.h> clash on older systems */
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
/* MS_* flags of a mount (not of its file system) as MOUNT_ATTR_*: set, and
 * (atime, a field of three values) cleared */
void mount_attrs(unsigned long ms, struct tscore_mount_attr *a)
{
	const unsigned long map[][2] = {
		{ MS_RDONLY, 0x1 }, { MS_NOSUID, 0x2 }, { MS_NODEV, 0x4 }, { MS_NOEXEC, 0x8 }, { MS_NODIRATIME, 0x80 },
	};
	for (size_t k = 0; k < sizeof map / sizeof map[0]; k++)
		if (ms & map[k][0])
			a->attr_set |= map[k][1];
	if (ms & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)) {
		a->attr_clr |= 0x70;
		a->attr_set |= ms & MS_NOATIME ? 0x10 : ms & MS_STRICTATIME ? 0x20 : 0;
	}
}

/* bind-in ROOT SRC PATH RECURSIVE FLAGS: SRC (the caller's path) bound on
 * PATH inside the root with FLAGS (ro, nosuid, ...) set on the new mount
 * before it is attached: open_tree(OPEN_TREE_CLONE), mount_setattr,
 * move_mount onto PATH resolved once. A bind and then a remount found PATH
 * twice: whoever swapped PATH in between (a volume shared with another
 * container) left the bind writable and made some other mount read-only.
 * Kernels without mount_setattr (before 5.12): that bind and remount. */
int step_bind_in(struct ctx *c, char **w, int n)
{
	(void)n;
	int rec = inum(w[3]);
	unsigned long flags = (unsigned long)unum(w[4], 10);
	int at = open_in_root(root_fd(c, w[0]), w[2], O_PATH);
	if (at < 0)
		return -1;
	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, w[1], OPEN_TREE_CLONE | O_CLOEXEC | (rec ? AT_RECURSIVE : 0));
	int r = tree < 0 ? -1 : 0;
	if (r == 0 && flags) {
		struct tscore_mount_attr a = { 0 };
		mount_attrs(flags, &a);
		r = (int)syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &a, sizeof a);
	}
	if (r == 0)
		r = (int)syscall(SYS_move_mount, tree, "", at, "", 0x4 /* F_EMPTY_PATH */ | 0x40 /* T_EMPTY_PATH */);
	int err = errno;
	if (tree >= 0)
		close(tree);
	if (r < 0 && err == ENOSYS) {
		char target[64];
		snprintf(target, sizeof target, "/proc/self/fd/%d", at);
		r = mount(w[1], target, NULL, MS_BIND | (rec ? MS_REC : 0), NULL);
		err = errno;
		close(at);
		if (r < 0 || !flags) {
			errno = err;
			return r;
		}
		char *remount[] = { w[0], "", w[2], "", w[4], "" };
		char bits[32];
		snprintf(bits, sizeof bits, "%lu", flags | MS_REMOUNT | MS_BIND);
		remount[4] = bits;
		return step_mount_in(c, remount, 6);
	}
	close(at);
	errno = err;
	return r;
}

/* pivot-root ROOT: the root becomes "/", the old one is detached (runc's way:
 * pivot_root(".", ".") stacks the old root on the new one, then it goes) */
int step_pivot_root(struct ctx *c, char **w, int n)
{
	(void)n;
	if (fchdir(root_fd(c, w[0])) < 0)
		return -1;
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return -1;
	if (umount2(".", MNT_DETACH) < 0)
		return -1;
	return chdir("/");
}

/* mask-in ROOT PATH: an OCI maskedPaths entry, as runc masks it: a directory
 * gets an empty read-only tmpfs over it, anything else /dev/null bound on it
 * (the /dev/null of the root we are in); a path that is not there is fine */
int step_mask_in(struct ctx *c, char **w, int n)
{
	(void)n;
	int at = open_in_root(root_fd(c, w[0]), w[1], O_PATH | O_NOFOLLOW);
	if (at < 0)
		return errno == ENOENT ? 0 : -1;
	struct stat st;
	char target[64];
	snprintf(target, sizeof target, "/proc/self/fd/%d", at);
	int r = fstat(at, &st);
	if (r == 0 && S_ISDIR(st.st_mode)) {
		r = mount("tmpfs", target, "tmpfs", MS_RDONLY, NULL);
	} else if (r == 0) {
		/* the null device itself: a /dev/null the image made a link (to
		 * /proc/sys/kernel/core_pattern, say) would be bound there instead */
		int null = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
		struct stat ns;
		r = null < 0 ? -1 : fstat(null, &ns);
		if (r == 0 && (!S_ISCHR(ns.st_mode) || ns.st_rdev != makedev(1, 3))) {
			errno = ENODEV;
			r = -1;
		}
		char source[64];
		snprintf(source, sizeof source, "/proc/self/fd/%d", null);
		if (r == 0)
			r = mount(source, target, NULL, MS_BIND, NULL);
		int err = errno;
		if (null >= 0)
			close(null);
		errno = err;
	}
	int err = errno;
	close(at);
	errno = err;
	return r;
}
