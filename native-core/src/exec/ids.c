/* Credentials: groups, gid, uid, ambient capabilities. */
#define _GNU_SOURCE
#include "core.h"

#include <errno.h>
#include <stdint.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* setgroups K GID...: the supplementary groups (none when K is 0) */
int step_setgroups(struct ctx *c, char **w, int n)
{
	(void)c; (void)n;
	int k = inum(w[0]);
	gid_t groups[k > 0 ? k : 1];
	for (int i = 0; i < k; i++)
		groups[i] = (gid_t)unum(w[1 + i], 10);
	return setgroups((size_t)k, groups);
}

/* Keep the permitted capabilities across a setuid() away from root (the
 * caps step then makes them effective again). */
int step_keep_permitted(struct ctx *c, char **w, int n)
{
	(void)c; (void)w; (void)n;
	return prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
}

int step_no_new_privs(struct ctx *c, char **w, int n)
{
	(void)c; (void)w; (void)n;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

int step_setgid(struct ctx *c, char **w, int n)
{
	(void)c; (void)n;
	return setgid((gid_t)unum(w[0], 10));
}

int step_setuid(struct ctx *c, char **w, int n)
{
	(void)c; (void)n;
	return setuid((uid_t)unum(w[0], 10));
}

/* permitted -> inheritable -> ambient, so the caps survive exec as non-root */
int step_keep_caps(struct ctx *c, char **w, int n)
{
	(void)c; (void)w; (void)n;
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -1;
	data[0].inheritable = data[0].permitted;
	data[1].inheritable = data[1].permitted;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -1;
	for (int cap = 0; cap < 64; cap++) {
		if (!(data[cap / 32].permitted & (1u << (cap % 32))))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0 && errno != EINVAL)
			return -1;
	}
	return 0;
}
