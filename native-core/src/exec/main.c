/* tscore-exec: the plan interpreter. See core.h for the word format. */
#include "core.h"

#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const struct op ops[] = {
	{ "unshare", 1, 0, step_unshare },
	{ "setns", 2, 0, step_setns },
	{ "pidfd-open", 2, 0, step_pidfd_open },
	{ "check-ino", 2, 0, step_check_ino },
	{ "pidfd-alive", 1, 0, step_pidfd_alive },
	{ "pidfd-check", 3, 0, step_pidfd_check },
	{ "socket-netns", 3, 0, step_socket_netns },
	{ "ns-get", 3, 0, step_ns_get },
	{ "sethostname", 1, 0, step_sethostname },
	{ "setdomainname", 1, 0, step_setdomainname },
	{ "netlink-open", 1, 0, step_netlink_open },
	{ "rtnl", 2, 1, step_rtnl },
	{ "pidfile-read", 2, 0, step_pidfile_read },
	{ "on-failure", 0, 1, step_on_failure },
	{ "open", 3, 0, step_open },
	{ "write", 2, 0, step_write },
	{ "mount", 5, 0, step_mount },
	{ "umount", 2, 0, step_umount },
	{ "chroot", 1, 0, step_chroot },
	{ "chdir", 1, 0, step_chdir },
	{ "fchdir", 1, 0, step_fchdir },
	{ "close", 1, 0, step_close },
	{ "pidfile-open", 3, 0, step_pidfile_open },
	{ "pidfile-write", 2, 0, step_pidfile_write },
	{ "setgroups", 0, 1, step_setgroups },
	{ "setgid", 1, 0, step_setgid },
	{ "setuid", 1, 0, step_setuid },
	{ "keep-caps", 0, 0, step_keep_caps },
	{ "pdeathsig", 2, 0, step_pdeathsig },
	{ "run", 0, 1, step_run },
	{ "exec", 1, 1, step_exec },
	{ "release", 1, 0, step_release },
	{ "caller", 7, 0, step_caller },
	{ "environ", 0, 1, step_environ },
	{ "nondumpable", 0, 0, step_nondumpable },
	{ "sealed-exe", 0, 0, step_sealed_exe },
	{ "tool", 2, 0, step_tool },
	{ "write-fd", 2, 0, step_write_fd },
	{ "keep-permitted", 0, 0, step_keep_permitted },
	{ "no-new-privs", 0, 0, step_no_new_privs },
	{ "mkdir-in", 3, 0, step_mkdir_in },
	{ "touch-in", 2, 0, step_touch_in },
	{ "mknod-in", 7, 0, step_mknod_in },
	{ "symlink-in", 3, 0, step_symlink_in },
	{ "mount-in", 6, 0, step_mount_in },
	{ "bind-in", 5, 0, step_bind_in },
	{ "pivot-root", 1, 0, step_pivot_root },
	{ "mask-in", 2, 0, step_mask_in },
	{ "tmpfs-copyup", 5, 0, step_tmpfs_copyup },
	{ "capsets", 5, 0, step_capsets },
	{ "rlimit", 3, 0, step_rlimit },
	{ "umask", 1, 0, step_umask },
	{ "seccomp", 1, 1, step_seccomp },
	{ "console-connect", 2, 0, step_console_connect },
	{ "console", 3, 0, step_console },
	{ "stderr", 2, 0, step_stderr },
	{ "ready", 0, 0, step_ready },
	{ "wait", 2, 0, step_wait },
	{ "init", 0, 0, step_init },
	{ "watch-counter", 4, 0, step_watch_counter },
	{ "hook", 4, 1, step_hook },
	{ "notify", 2, 0, step_notify },
	{ "close-from", 1, 0, step_close_from },
	/* blocks: the last fixed argument counts the nested steps that follow */
	{ "helper", 2, 0, NULL },
	{ "fork", 3, 0, NULL },
};

static const char *g_tool = "tscore-exec";

static void bad_plan(int i) __attribute__((noreturn));
static void bad_plan(int i)
{
	char n[16];
	int k = sizeof n - 1;
	n[k] = 0;
	do { n[--k] = '0' + i % 10; i /= 10; } while (i && k);
	say("internal error: malformed plan at word ", n + k, NULL, NULL);
	_exit(1);
}

static const struct op *find_op(const char *name)
{
	for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
		if (strcmp(ops[k].name, name) == 0)
			return &ops[k];
	return NULL;
}

/* The index just past the step that starts at w[i] (and its nested steps). */
int step_end(char **w, int i, int to)
{
	const struct op *o = i + 3 <= to ? find_op(w[i]) : NULL;
	if (!o || i + 3 + o->nargs > to)
		bad_plan(i);
	int j = i + 3 + o->nargs;
	if (o->tail) {
		if (j >= to)
			bad_plan(i);
		j += 1 + inum(w[j]);
	}
	if (!o->fn) {
		long nested = num(w[j - 1]);
		while (nested-- > 0)
			j = step_end(w, j, to);
	}
	if (j > to)
		bad_plan(i);
	return j;
}

static int ignored(const char *ign, int err)
{
	return strcmp(ign, "*") == 0 || (strcmp(ign, "0") != 0 && num(ign) == err);
}

int run_steps(struct ctx *c, char **w, int from, int to)
{
	int i = from;
	while (i < to) {
		const struct op *o = find_op(w[i]);
		int end = step_end(w, i, to);
		if (!o->fn) {
			i = strcmp(o->name, "helper") == 0 ? block_helper(c, w, i, end)
							   : block_fork(c, w, i, end);
			continue;
		}
		char **args = &w[i + 3];
		int n = end - (i + 3);
		if (o->fn(c, args, n) < 0) {
			int err = errno; /* ignored() parses a number: errno is not its to keep */
			if (!ignored(w[i + 2], err))
				fail_exit(c, w[i + 1], err);
		}
		i = end;
	}
	return i;
}

void set_tool_name(const char *name)
{
	g_tool = name;
}

void say(const char *a, const char *b, const char *d, const char *e)
{
	const char *parts[] = { g_tool, ": ", a, b, d, e, "\n" };
	for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++)
		if (parts[k] && write(2, parts[k], strlen(parts[k])) < 0)
			return;
}

void fail_exit(struct ctx *c, const char *label, int err)
{
	say_failed(label, err);
	fail_exit_said(c);
}

void fail_exit_said(struct ctx *c)
{
	undo_all(c);
	if (c && c->child > 0) {
		kill(c->child, SIGKILL);
		waitpid(c->child, NULL, 0);
	}
	_exit(1);
}

/* Undo on failure, all or nothing (tsveth: a veth pair, a bridge it made).
 * on-failure K WORDS...: the K words are steps that undo what the step
 * before this one did; they are not run now but registered in the ctx, and
 * fail_exit runs them if a later step fails, the last registered first.
 * Each is taken off the list before it runs, so one that fails is reported
 * (its own fail_exit) and the rest still run. Nothing is registered when
 * the step before was a request whose error the plan ignores (c->skip_undo:
 * a bridge that existed already is not this call's to delete). */
int step_on_failure(struct ctx *c, char **w, int n)
{
	(void)n;
	int k = inum(w[0]);
	for (int j = 0; j < k; j = step_end(&w[1], j, k))
		; /* a malformed undo ends the run now, not at a failure */
	int skip = c->skip_undo;
	c->skip_undo = 0;
	if (skip)
		return 0;
	if (c->n_undo == MAX_UNDO) {
		errno = ENOSPC;
		return -1;
	}
	c->undo[c->n_undo++] = (struct undo){ &w[1], k };
	return 0;
}

void undo_all(struct ctx *c)
{
	while (c && c->n_undo > 0) {
		struct undo u = c->undo[--c->n_undo];
		run_steps(c, u.w, 0, u.n);
	}
}

static void not_a_number(const char *s) __attribute__((noreturn));
static void not_a_number(const char *s)
{
	say("internal error: not a number in plan: ", s, NULL, NULL);
	_exit(1);
}

long num(const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *s == 0 || *end)
		not_a_number(s);
	return v;
}

int inum(const char *s)
{
	long v = num(s);
	if (v < INT_MIN || v > INT_MAX)
		not_a_number(s);
	return (int)v;
}

unsigned long long unum(const char *s, int base)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || *s == 0 || *s == '-' || *end)
		not_a_number(s);
	return v;
}

int slot_index(const char *s)
{
	long k = num(s);
	if (k < 0 || k >= MAX_SLOTS) {
		say("internal error: bad slot in plan: ", s, NULL, NULL);
		_exit(1);
	}
	return (int)k;
}

static const char *g_plan;
static size_t g_plan_len;

void plan_bytes(const char **buf, size_t *len)
{
	*buf = g_plan;
	*len = g_plan_len;
}

/* The plan: all of the memfd named by TSCORE_PLAN, NUL-terminated words. */
static char **read_plan(int fd, int *count)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size <= 0)
		return NULL;
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t r = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return NULL;
		got += (size_t)r;
	}
	close(fd);
	if (!buf || buf[got - 1] != 0)
		return NULL;
	int n = 0;
	for (size_t k = 0; k < got; k++)
		n += buf[k] == 0;
	char **w = malloc(sizeof(char *) * ((size_t)n + 1));
	if (!w)
		return NULL;
	for (int k = 0, at = 0; k < n; k++) {
		w[k] = buf + at;
		at += (int)strlen(buf + at) + 1;
	}
	w[n] = NULL;
	*count = n;
	g_plan = buf;
	g_plan_len = got;
	return w;
}

int main(int argc, char **argv)
{
	const char *plan_fd = environ[0] && !environ[1] ? getenv("TSCORE_PLAN") : NULL;
	if (!plan_fd) {
		if (argc >= 3 && (strcmp(argv[1], "--launch") == 0 || strncmp(argv[1], "--launch=", 9) == 0)) {
			const char *name = strrchr(argv[2], '/');
			g_tool = name ? name + 1 : argv[2];
			return launch(argc, argv);
		}
		say("a plan executor for the ts* tools: their bin scripts run it", NULL, NULL, NULL);
		return 1;
	}
	/* argv is the tool's command line, for ps; the name is the tool's, for pgrep */
	g_tool = argv[0];
	prctl(PR_SET_NAME, argv[0], 0, 0, 0);
	signal(SIGCHLD, SIG_DFL);
	/* a helper that died leaves us a broken pipe: an error to report, not a death */
	signal(SIGPIPE, SIG_IGN);

	struct ctx c = { .tool = argv[0], .argc = argc, .argv = argv, .ready_fd = -1 };
	for (int k = 0; k < MAX_SLOTS; k++)
		c.slot_fd[k] = -1;
	int n;
	char **w = read_plan(inum(plan_fd), &n);
	if (!w) {
		say("internal error: cannot read the plan", NULL, NULL, NULL);
		return 1;
	}
	run_steps(&c, w, 0, n);
	/* a plan ends in exec; one that does not simply succeeds */
	return 0;
}
