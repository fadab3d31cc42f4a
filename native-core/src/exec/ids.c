/* Credentials: groups, gid, uid, ambient capabilities. */
#define _GNU_SOURCE
#include "core.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int step_setgroups(struct ctx *c, char **w, int n)
{
	(void)c; (void)w; (void)n;
	return setgroups(0, NULL);
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
