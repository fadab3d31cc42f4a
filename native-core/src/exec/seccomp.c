/* The seccomp step: a filter built with libseccomp from the plan's words and
 * loaded now, or kept for the exec step, which loads it just before execve.
 * TypeScript chose every action, operator, architecture and flag; here they
 * only become libseccomp calls. A system call name libseccomp does not know
 * (a newer kernel's) is skipped, as runc does. */
#include "core.h"

#define _GNU_SOURCE
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void bad_words(void) __attribute__((noreturn));
static void bad_words(void)
{
	say("internal error: malformed seccomp words in plan", NULL, NULL, NULL);
	_exit(1);
}

struct words {
	char **v;
	int n, i;
};

static const char *next(struct words *w)
{
	if (w->i >= w->n)
		bad_words();
	return w->v[w->i++];
}

static int fail(scmp_filter_ctx f, int rc)
{
	seccomp_release(f);
	errno = -rc;
	return -1;
}

static int add_rules(scmp_filter_ctx f, struct words *w)
{
	int rules = inum(next(w));
	for (int r = 0; r < rules; r++) {
		const char *name = next(w);
		uint32_t action = (uint32_t)unum(next(w), 10);
		int k = inum(next(w));
		if (k < 0 || k > 6)
			bad_words();
		struct scmp_arg_cmp cmp[6];
		for (int j = 0; j < k; j++) {
			cmp[j].arg = (unsigned)inum(next(w));
			cmp[j].op = (enum scmp_compare)inum(next(w));
			cmp[j].datum_a = unum(next(w), 10);
			cmp[j].datum_b = unum(next(w), 10);
		}
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR)
			continue;
		int rc = seccomp_rule_add_array(f, action, nr, (unsigned)k, cmp);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* seccomp now|exec K WORDS: DEFAULT FLAGS NARCH ARCH... NRULES RULE... */
int step_seccomp(struct ctx *c, char **args, int n)
{
	(void)n;
	struct words w = { &args[2], inum(args[1]), 0 };
	scmp_filter_ctx f = seccomp_init((uint32_t)unum(next(&w), 10));
	if (!f) {
		errno = EINVAL;
		return -1;
	}
	/* no_new_privs is the process's own step, not a side effect of the load;
	 * the kernel's errno when the load fails, not libseccomp's ECANCELED */
	int rc = seccomp_attr_set(f, SCMP_FLTATR_CTL_NNP, 0);
	if (rc == 0)
		rc = seccomp_attr_set(f, SCMP_FLTATR_API_SYSRAWRC, 1);
	const char *flags = next(&w);
	if (rc == 0 && strstr(flags, "tsync"))
		rc = seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc == 0 && strstr(flags, "log"))
		rc = seccomp_attr_set(f, SCMP_FLTATR_CTL_LOG, 1);
	if (rc == 0 && strstr(flags, "ssb"))
		rc = seccomp_attr_set(f, SCMP_FLTATR_CTL_SSB, 1);
	if (rc < 0)
		return fail(f, rc);
	int arches = inum(next(&w));
	for (int a = 0; a < arches; a++) {
		uint32_t arch = seccomp_arch_resolve_name(next(&w));
		if (arch == 0)
			return fail(f, -EINVAL);
		rc = seccomp_arch_add(f, arch);
		if (rc < 0 && rc != -EEXIST) /* the native one is there already */
			return fail(f, rc);
	}
	if (w.i < w.n && inum(w.v[w.i]) > 32) /* a binary tree of syscalls, as runc asks */
		seccomp_attr_set(f, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	rc = add_rules(f, &w);
	if (rc < 0)
		return fail(f, rc);
	if (w.i != w.n)
		bad_words();
	if (strcmp(args[0], "exec") == 0) {
		if (c->seccomp)
			seccomp_release(c->seccomp);
		c->seccomp = f;
		return 0;
	}
	rc = seccomp_load(f);
	seccomp_release(f);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

/* the exec step's: the filter a `seccomp exec` step built, loaded last */
void seccomp_at_exec(const struct ctx *c)
{
	if (!c->seccomp)
		return;
	int rc = seccomp_load(c->seccomp);
	if (rc < 0) {
		say("seccomp_load() failed: ", strerror(-rc), NULL, NULL);
		_exit(1);
	}
}
