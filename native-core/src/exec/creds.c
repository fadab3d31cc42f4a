/* What an OCI process carries beyond uid and gid: the five capability sets
 * each as given, resource limits, the umask. */
#define _GNU_SOURCE
#include "core.h"

#include <errno.h>
#include <stdint.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* capsets BOUNDING EFFECTIVE PERMITTED INHERITABLE AMBIENT (hex masks):
 * unlike `caps`, each set as given (runc's order): the bounding set first,
 * while every permitted cap is still effective (dropping takes
 * CAP_SETPCAP), then the three sets of capset(2), then the ambient set,
 * which holds only what is both permitted and inheritable */
int step_capsets(struct ctx *c, char **w, int n)
{
	(void)c; (void)n;
	uint64_t bounding = unum(w[0], 16), effective = unum(w[1], 16), permitted = unum(w[2], 16);
	uint64_t inheritable = unum(w[3], 16), ambient = unum(w[4], 16);
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -1;
	data[0].effective = data[0].permitted;
	data[1].effective = data[1].permitted;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -1;
	for (int cap = 0; cap < 64; cap++) {
		if (bounding & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -1;
	}
	for (int k = 0; k < 2; k++) {
		data[k].permitted &= (uint32_t)(permitted >> (32 * k));
		data[k].effective = data[k].permitted & (uint32_t)(effective >> (32 * k));
		data[k].inheritable = (uint32_t)(inheritable >> (32 * k));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return -1;
	for (int cap = 0; cap < 64; cap++)
		if ((ambient & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return -1;
	return 0;
}

/* rlimit RESOURCE SOFT HARD: "-1" is RLIM_INFINITY */
int step_rlimit(struct ctx *c, char **w, int n)
{
	(void)c; (void)n;
	struct rlimit r;
	r.rlim_cur = w[1][0] == '-' ? RLIM_INFINITY : (rlim_t)unum(w[1], 10);
	r.rlim_max = w[2][0] == '-' ? RLIM_INFINITY : (rlim_t)unum(w[2], 10);
	return setrlimit(inum(w[0]), &r);
}

/* umask MODE (octal) */
int step_umask(struct ctx *c, char **w, int n)
{
	(void)c; (void)n;
	umask((mode_t)unum(w[0], 8));
	return 0;
}
