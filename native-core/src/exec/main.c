/* tscore-exec: the plan interpreter. See core.h for the word format. */
#include "core.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct op ops[] = {
	{ "unshare", 1, 0, step_unshare },
	{ "setns", 2, 0, step_setns },
	{ "pidfd-open", 2, 0, step_pidfd_open },
	{ "check-ino", 2, 0, step_check_ino },
	{ "pidfd-alive", 1, 0, step_pidfd_alive },
	{ "socket-netns", 3, 0, step_socket_netns },
	{ "ns-get", 3, 0, step_ns_get },
	{ "sethostname", 1, 0, step_sethostname },
	{ "setdomainname", 1, 0, step_setdomainname },
	{ "open", 3, 0, step_open },
	{ "write", 2, 0, step_write },
	{ "mount", 5, 0, step_mount },
	{ "umount", 2, 0, step_umount },
	{ "chroot", 1, 0, step_chroot },
	{ "chdir", 1, 0, step_chdir },
	{ "fchdir", 1, 0, step_fchdir },
	{ "pidfile-open", 3, 0, step_pidfile_open },
	{ "pidfile-write", 1, 0, step_pidfile_write },
	{ "setgroups", 0, 0, step_setgroups },
	{ "setgid", 1, 0, step_setgid },
	{ "setuid", 1, 0, step_setuid },
	{ "keep-caps", 0, 0, step_keep_caps },
	{ "pdeathsig", 2, 0, step_pdeathsig },
	{ "run", 0, 1, step_run },
	{ "exec", 1, 1, step_exec },
	{ "release", 1, 0, step_release },
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
		j += 1 + (int)num(w[j]);
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
		if (o->fn(c, args, n) < 0 && !ignored(w[i + 2], errno))
			fail_exit(c, w[i + 1], errno);
		i = end;
	}
	return i;
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
	say(label, " failed: ", strerror(err), NULL);
	if (c && c->child > 0) {
		kill(c->child, SIGKILL);
		waitpid(c->child, NULL, 0);
	}
	_exit(1);
}

long num(const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *s == 0 || *end) {
		say("internal error: not a number in plan: ", s, NULL, NULL);
		_exit(1);
	}
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

int main(int argc, char **argv)
{
	if (argc < 2) {
		say("usage: tscore-exec TOOL STEP...", NULL, NULL, NULL);
		return 1;
	}
	g_tool = argv[1];
	signal(SIGCHLD, SIG_DFL);

	struct ctx c = { .tool = argv[1] };
	for (int k = 0; k < MAX_SLOTS; k++)
		c.slot_fd[k] = -1;
	run_steps(&c, argv, 2, argc);
	/* a plan ends in exec; one that does not simply succeeds */
	return 0;
}
