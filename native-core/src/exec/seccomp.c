/* The seccomp step: a filter built with libseccomp from the plan's words and
 * loaded now, or kept for the exec step, which loads it just before execve.
 * TypeScript chose every action, operator, architecture and flag; here they
 * only become libseccomp calls. A system call name libseccomp does not know
 * (a newer kernel's) is skipped, as runc does.
 *
 * As runc, when the plan asks (a default action that is not an allow), a
 * short BPF prologue goes before libseccomp's program: a call numbered above
 * the highest the profile names, on its architecture, returns ENOSYS (a
 * system call newer than the profile: libc then falls back, as it does on an
 * older kernel) instead of the default action. So the filter is loaded with
 * seccomp(2) here, not seccomp_load(). */
#define _GNU_SOURCE
#include "core.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define X32_BIT 0x40000000u
#define MAX_ARCHES 16 /* more than libseccomp knows */

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

/* what the exec step loads */
struct loaded {
	struct sock_fprog prog;
	unsigned flags;
};

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

/* A BPF program being written; jumps to ENOSYS or to the filter are
 * recorded and resolved once their places are known. */
struct prog {
	struct sock_filter ins[16 + 9 * MAX_ARCHES];
	int n;
	int to_enosys[2 * MAX_ARCHES], n_enosys;
	int to_filter[1 + 2 * MAX_ARCHES], n_filter;
};

static void emit(struct prog *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (p->n == (int)(sizeof p->ins / sizeof p->ins[0]))
		bad_words();
	p->ins[p->n++] = (struct sock_filter){ code, jt, jf, k };
}

static void ja(struct prog *p, int enosys)
{
	int *list = enosys ? p->to_enosys : p->to_filter;
	int *n = enosys ? &p->n_enosys : &p->n_filter;
	if (*n == (enosys ? 2 * MAX_ARCHES : 1 + 2 * MAX_ARCHES))
		bad_words();
	list[(*n)++] = p->n;
	emit(p, BPF_JMP | BPF_JA, 0, 0, 0);
}

/* the number, or above max: ENOSYS; else on to the filter (3 instructions; 1 if no max) */
static void above(struct prog *p, int max)
{
	if (max < 0) {
		ja(p, 0);
		return;
	}
	emit(p, BPF_JMP | BPF_JGT | BPF_K, 0, 1, (uint32_t)max);
	ja(p, 1);
	ja(p, 0);
}

/* The highest number a name of the profile has on this architecture, or -1. */
static int highest(uint32_t arch, char **names, int k)
{
	int max = -1;
	for (int i = 0; i < k; i++) {
		int nr = seccomp_syscall_resolve_name_arch(arch, names[i]);
		if (nr > max) /* a name absent there is negative */
			max = nr;
	}
	return max;
}

/* The prologue: per architecture of the filter (x86_64 and x32 share one,
 * x32's numbers have bit 30 set), a call above its highest gets ENOSYS. */
static void enosys_stub(struct prog *p, const uint32_t *arches, int n_arches, char **names, int k)
{
	struct { uint32_t audit; int max, max32; } g[MAX_ARCHES];
	int n = 0;
	for (int a = 0; a < n_arches; a++) {
		int x32 = arches[a] == SCMP_ARCH_X32;
		uint32_t audit = x32 ? AUDIT_ARCH_X86_64 : arches[a];
		int j = 0;
		while (j < n && g[j].audit != audit)
			j++;
		if (j == n)
			g[n++] = (typeof(g[0])){ audit, -1, -1 };
		int max = highest(arches[a], names, k);
		if (x32)
			g[j].max32 = max;
		else
			g[j].max = max;
	}
	emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch));
	for (int j = 0; j < n; j++) {
		int x86 = g[j].audit == AUDIT_ARCH_X86_64;
		int len64 = g[j].max < 0 ? 1 : 3, len32 = g[j].max32 < 0 ? 1 : 3;
		if (g[j].max < 0 && g[j].max32 < 0)
			continue; /* the profile names nothing there */
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)(1 + (x86 ? 1 + len32 + len64 : len64)), g[j].audit);
		emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
		if (x86) {
			emit(p, BPF_JMP | BPF_JSET | BPF_K, 0, (uint8_t)len32, X32_BIT);
			above(p, g[j].max32);
		}
		above(p, g[j].max);
	}
	ja(p, 0); /* an architecture not listed: the filter decides */
	int enosys = p->n;
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | ENOSYS);
	for (int i = 0; i < p->n_enosys; i++)
		p->ins[p->to_enosys[i]].k = (uint32_t)(enosys - p->to_enosys[i] - 1);
	for (int i = 0; i < p->n_filter; i++)
		p->ins[p->to_filter[i]].k = (uint32_t)(p->n - p->to_filter[i] - 1);
}

/* libseccomp's program, after the prologue, as one sock_fprog */
static struct loaded *assemble(scmp_filter_ctx f, const struct prog *stub, unsigned flags)
{
	int fd = memfd_create("seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return NULL;
	int rc = seccomp_export_bpf(f, fd);
	off_t size = rc < 0 ? -1 : lseek(fd, 0, SEEK_END);
	size_t total = (size_t)stub->n * sizeof(struct sock_filter) + (size > 0 ? (size_t)size : 0);
	struct loaded *l = size < 0 ? NULL : malloc(sizeof *l + total);
	if (!l || pread(fd, (char *)(l + 1) + stub->n * sizeof(struct sock_filter), (size_t)size, 0) != size) {
		int err = rc < 0 ? -rc : errno ? errno : EIO;
		free(l);
		close(fd);
		errno = err;
		return NULL;
	}
	close(fd);
	memcpy(l + 1, stub->ins, (size_t)stub->n * sizeof(struct sock_filter));
	l->prog.filter = (struct sock_filter *)(l + 1);
	l->prog.len = (unsigned short)(total / sizeof(struct sock_filter));
	l->flags = flags;
	if (total / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		free(l);
		errno = E2BIG;
		return NULL;
	}
	return l;
}

static int load(const struct loaded *l)
{
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, l->flags, &l->prog) < 0 ? -1 : 0;
}

/* seccomp now|exec K WORDS: DEFAULT FLAGS NARCH ARCH... NRULES RULE... NNAMES NAME...
 * (NAMES: the profile's, whose highest numbers bound the ENOSYS prologue; none: no prologue) */
int step_seccomp(struct ctx *c, char **args, int n)
{
	(void)n;
	struct words w = { &args[2], inum(args[1]), 0 };
	scmp_filter_ctx f = seccomp_init((uint32_t)unum(next(&w), 10));
	if (!f) {
		errno = EINVAL;
		return -1;
	}
	const char *fl = next(&w);
	unsigned flags = (strstr(fl, "tsync") ? SECCOMP_FILTER_FLAG_TSYNC : 0) | (strstr(fl, "log") ? SECCOMP_FILTER_FLAG_LOG : 0)
		| (strstr(fl, "ssb") ? SECCOMP_FILTER_FLAG_SPEC_ALLOW : 0);
	uint32_t arches[MAX_ARCHES] = { seccomp_arch_native() };
	int n_arches = 1, rc = 0;
	for (int a = inum(next(&w)); a > 0; a--) {
		uint32_t arch = seccomp_arch_resolve_name(next(&w));
		if (arch == 0)
			rc = -EINVAL;
		else if ((rc = seccomp_arch_add(f, arch)) == 0 && n_arches < MAX_ARCHES)
			arches[n_arches++] = arch;
		else if (rc == -EEXIST) /* the native one is there already */
			rc = 0;
		if (rc < 0)
			break;
	}
	if (rc == 0 && w.i < w.n && inum(w.v[w.i]) > 32) /* a binary tree of syscalls, as runc asks */
		seccomp_attr_set(f, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (rc == 0)
		rc = add_rules(f, &w);
	if (rc < 0) {
		seccomp_release(f);
		errno = -rc;
		return -1;
	}
	int k = inum(next(&w));
	if (k < 0 || w.i + k != w.n)
		bad_words();
	struct prog stub = { .n = 0 };
	if (k > 0)
		enosys_stub(&stub, arches, n_arches, &w.v[w.i], k);
	struct loaded *l = assemble(f, &stub, flags);
	seccomp_release(f);
	if (!l)
		return -1;
	if (strcmp(args[0], "exec") == 0) {
		free(c->seccomp);
		c->seccomp = l;
		return 0;
	}
	int r = load(l);
	free(l);
	return r;
}

/* the exec step's: the filter a `seccomp exec` step built, loaded last */
void seccomp_at_exec(const struct ctx *c)
{
	if (c->seccomp && load(c->seccomp) < 0) {
		say("seccomp(SECCOMP_SET_MODE_FILTER) failed: ", errtext(errno), NULL, NULL);
		_exit(1);
	}
}
