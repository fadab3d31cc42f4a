/* Processes: helpers, fork and supervise, parent-death signal, exec. */
#define _GNU_SOURCE
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t g_forward_to;

/* a helper's status when it gave up before it was released (it runs no step
 * that exits so: a failing step exits 1, after saying why) */
#define HELPER_GAVE_UP 255

/* Wait for a byte on fd; EOF means the other side gave up. */
static int await_go(int fd)
{
	char b;
	ssize_t r;
	do
		r = read(fd, &b, 1);
	while (r < 0 && errno == EINTR);
	close(fd);
	return r == 1 ? 0 : -1;
}

/* Let a waiting process go; -1 (EPIPE) if it is gone already. */
static int go(int fd)
{
	ssize_t r;
	do
		r = write(fd, "g", 1);
	while (r < 0 && errno == EINTR);
	int err = errno;
	close(fd);
	errno = err;
	return r == 1 ? 0 : -1;
}

/* "{parent}" in a helper's words is the PID of the process that forked it
 * (the one that goes on to unshare): the plan cannot know it, for in a
 * folded chain that may be a child an earlier link forked. */
static void name_parent(char **w, int from, int to, pid_t parent)
{
	static const char token[] = "{parent}";
	char pid[16];
	int n = snprintf(pid, sizeof pid, "%d", (int)parent);
	for (int k = from; k < to; k++) {
		char *at = strstr(w[k], token);
		if (!at)
			continue;
		size_t len = strlen(w[k]) + (size_t)n; /* one token at most a word */
		char *word = malloc(len + 1);
		if (!word)
			_exit(HELPER_GAVE_UP);
		snprintf(word, len + 1, "%.*s%s%s", (int)(at - w[k]), w[k], pid, at + sizeof token - 1);
		w[k] = word;
	}
}

/* helper LABEL IGN SLOT N, then N steps: a child forked now, in the original
 * namespaces and with the original credentials, that runs its steps when
 * released (after the parent has unshared or forked). */
int block_helper(struct ctx *c, char **w, int i, int end)
{
	int k = slot_index(w[i + 3]);
	int body = i + 3 + 2;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		fail_exit(c, w[i + 1], errno);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		fail_exit(c, w[i + 1], errno);
	if (pid == 0) {
		close(p[1]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent || await_go(p[0]) < 0)
			_exit(HELPER_GAVE_UP);
		struct ctx hc = *c;
		hc.child = 0;
		name_parent(w, body, end, parent);
		run_steps(&hc, w, body, end);
		_exit(0);
	}
	close(p[0]);
	c->slot_fd[k] = p[1];
	c->slot_pid[k] = pid;
	return end;
}

/* release SLOT: let the helper run, wait for it; its failure is ours. One
 * that died before it was released said nothing itself: we say it. */
int step_release(struct ctx *c, char **w, int n)
{
	(void)n;
	int k = slot_index(w[0]);
	int st;
	int gone = go(c->slot_fd[k]) < 0;
	c->slot_fd[k] = -1;
	while (waitpid(c->slot_pid[k], &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	c->slot_pid[k] = 0;
	if (gone || WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) == HELPER_GAVE_UP)) {
		errno = ESRCH; /* "No such process": it died, or gave up, before it was released */
		return -1;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (c->child > 0) {
		kill(c->child, SIGKILL);
		waitpid(c->child, NULL, 0);
	}
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
}

static void forward(int sig)
{
	if (g_forward_to > 0)
		kill(g_forward_to, sig);
}

/* "relay": what a process sends the waiting parent (kill, sigqueue) goes on
 * to the child, as if the parent were the program; what the kernel sends,
 * as a terminal does to its whole foreground group, the child got itself */
static const int relayed[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2 };
#define N_RELAYED (sizeof relayed / sizeof relayed[0])

static void relay(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (g_forward_to > 0 && si->si_code <= 0)
		kill(g_forward_to, sig);
}

/* Signal masks as the kernel takes them, 64 bits: musl's sigset_t calls
 * refuse signals 32-34, where glibc (util-linux's) keeps only 32 and 33 for
 * itself; 34 is SIGRTMIN, a signal like any other to a program. */
#define KSIG(n) (1ULL << ((n) - 1))
static int ksigmask(int how, uint64_t set, uint64_t *old)
{
	return (int)syscall(SYS_rt_sigprocmask, how, &set, old, sizeof set);
}

/* The child died of sig: die of it too, so our caller sees 128+sig. */
static void reraise(int sig) __attribute__((noreturn));
static void reraise(int sig)
{
	if (sig != SIGKILL) {
		struct rlimit none = { 0, 0 };
		setrlimit(RLIMIT_CORE, &none); /* the child dumped core already */
		struct ksigaction dfl = { .handler = SIG_DFL };
		syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
		ksigmask(SIG_UNBLOCK, KSIG(sig), NULL);
	}
	kill(getpid(), sig);
	_exit(128 + sig);
}

static void supervise(struct ctx *c, pid_t pid, int untraced) __attribute__((noreturn));
static void supervise(struct ctx *c, pid_t pid, int untraced)
{
	for (;;) {
		int st;
		pid_t r = waitpid(pid, &st, untraced ? WUNTRACED : 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fail_exit(c, "waitpid()", errno);
		}
		if (WIFSTOPPED(st)) {
			/* stop with the child, and take it along when we are continued */
			kill(getpid(), SIGSTOP);
			kill(pid, SIGCONT);
			continue;
		}
		report_watches(st);
		if (WIFEXITED(st))
			_exit(WEXITSTATUS(st));
		if (WIFSIGNALED(st))
			reraise(WTERMSIG(st));
	}
}

/* fork LABEL IGN MODE UNTRACED N, then N steps for the parent alone.
 * MODE "block": the waiting parent blocks SIGINT and SIGTERM (unshare);
 * "forward": it passes them on to the child; "none": it leaves them be
 * (nsenter); "relay": it passes on what a process sends it, not what the
 * terminal sent the child too (tscgexec). The child continues with the
 * rest of the plan once the parent's steps are done.
 * "detach" (an OCI runtime's create): the child goes on at once and the
 * parent waits for its `ready` step; then it runs its steps (the pid file)
 * and exits 0, leaving the child to whoever reaps orphans. A child that
 * ends (or execs) before it is ready: its status is ours, as supervised. */
int block_fork(struct ctx *c, char **w, int i, int end)
{
	const char *label = w[i + 1];
	int forwarding = strcmp(w[i + 3], "forward") == 0;
	int relaying = strcmp(w[i + 3], "relay") == 0;
	struct sigaction old_relayed[N_RELAYED];
	int untraced = inum(w[i + 4]);
	int body = i + 3 + 3;
	sigset_t intterm, old;
	struct sigaction sa = { 0 }, old_int, old_term;

	sigemptyset(&intterm);
	sigaddset(&intterm, SIGINT);
	sigaddset(&intterm, SIGTERM);
	if (forwarding) {
		sa.sa_handler = forward;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGINT, &sa, &old_int);
		sigaction(SIGTERM, &sa, &old_term);
		sigprocmask(SIG_SETMASK, NULL, &old);
	} else if (relaying) {
		struct sigaction ra = { 0 };
		ra.sa_sigaction = relay;
		ra.sa_flags = SA_SIGINFO | SA_RESTART;
		for (size_t k = 0; k < N_RELAYED; k++)
			sigaction(relayed[k], &ra, &old_relayed[k]);
		sigprocmask(SIG_SETMASK, NULL, &old);
	} else if (strcmp(w[i + 3], "block") == 0) {
		sigprocmask(SIG_BLOCK, &intterm, &old);
	} else {
		sigprocmask(SIG_SETMASK, NULL, &old);
	}

	int detach = strcmp(w[i + 3], "detach") == 0;
	int p[2], ready[2] = { -1, -1 };
	if (pipe2(p, O_CLOEXEC) < 0 || (detach && pipe2(ready, O_CLOEXEC) < 0))
		fail_exit(c, label, errno);
	pid_t pid = fork();
	if (pid < 0)
		fail_exit(c, label, errno);
	if (pid == 0) {
		close(p[1]);
		if (detach) {
			close(ready[0]);
			c->ready_fd = ready[1];
		}
		if (forwarding) {
			sigaction(SIGINT, &old_int, NULL);
			sigaction(SIGTERM, &old_term, NULL);
		}
		for (size_t k = 0; relaying && k < N_RELAYED; k++)
			sigaction(relayed[k], &old_relayed[k], NULL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (await_go(p[0]) < 0)
			_exit(1);
		return end;
	}
	close(p[0]);
	c->child = pid;
	g_forward_to = pid;
	if (detach) {
		close(ready[1]);
		go(p[1]);
		if (await_go(ready[0]) < 0)
			supervise(c, pid, untraced);
		run_steps(c, w, body, end);
		_exit(0);
	}
	run_steps(c, w, body, end);
	go(p[1]);
	supervise(c, pid, untraced);
}

/* ready: tell a detaching parent that this child is set up (one byte on the
 * pipe the fork made); EPIPE if that parent is gone */
int step_ready(struct ctx *c, char **w, int n)
{
	(void)w; (void)n;
	if (c->ready_fd < 0) {
		errno = EBADF;
		return -1;
	}
	int r = go(c->ready_fd);
	c->ready_fd = -1;
	return r;
}

/* wait fd|slot|path WHAT: block until the host side writes one byte; EOF,
 * with no byte, means it failed (ENODATA). "slot": a file an earlier step
 * opened (an OCI exec FIFO, opened O_RDWR before the pivot), closed after */
int step_wait(struct ctx *c, char **w, int n)
{
	(void)n;
	int fd;
	if (strcmp(w[0], "slot") == 0) {
		int k = slot_index(w[1]);
		fd = c->slot_fd[k];
		c->slot_fd[k] = -1;
	} else {
		fd = strcmp(w[0], "fd") == 0 ? inum(w[1]) : open(w[1], O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return -1;
	char b;
	ssize_t r;
	do
		r = read(fd, &b, 1);
	while (r < 0 && errno == EINTR);
	int err = errno;
	close(fd);
	errno = r == 0 ? ENODATA : err;
	return r == 1 ? 0 : -1;
}

/* init: stay as PID 1 while the program runs in a child: every catchable
 * signal goes on to the program, every child that ends is reaped (orphans
 * of the namespace included), and the program's status is ours (128+N if
 * signal N ended it: PID 1 cannot die of a signal it sends itself). */
int step_init(struct ctx *c, char **w, int n)
{
	(void)w; (void)n;
	/* every signal but glibc's own two (32, 33) */
	uint64_t all = ~(KSIG(32) | KSIG(33)), old;
	/* the faults a program makes itself, and terminal stops, are not passed on */
	int own[] = { SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGABRT, SIGTRAP, SIGSYS, SIGTTIN, SIGTTOU };
	for (size_t k = 0; k < sizeof own / sizeof own[0]; k++)
		all &= ~KSIG(own[k]);
	ksigmask(SIG_BLOCK, all, &old);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		ksigmask(SIG_SETMASK, old, NULL);
		return 0;
	}
	c->child = pid;
	for (;;) {
		siginfo_t si;
		int sig = (int)syscall(SYS_rt_sigtimedwait, &all, &si, NULL, sizeof all);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(pid, sig);
			continue;
		}
		int st;
		pid_t gone;
		while ((gone = waitpid(-1, &st, WNOHANG)) > 0) {
			if (gone != pid)
				continue;
			_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		}
	}
}

/* pdeathsig SIG SLOT: SLOT is a pidfd of the parent, opened before the fork;
 * if it already exited we were re-parented, and the signal will never come. */
int step_pdeathsig(struct ctx *c, char **w, int n)
{
	(void)n;
	if (prctl(PR_SET_PDEATHSIG, inum(w[0])) < 0)
		return -1;
	int k = slot_index(w[1]);
	struct pollfd pfd = { .fd = c->slot_fd[k], .events = POLLIN };
	if (poll(&pfd, 1, 0) > 0)
		_exit(1);
	close(c->slot_fd[k]);
	c->slot_fd[k] = -1;
	return 0;
}

extern char **environ;

/* execve PATH; a file the kernel will not run (ENOEXEC: a script without
 * #!) is run by /bin/sh, as glibc's execvp does */
static void exec_or_sh(const char *path, char **argv)
{
	execve(path, argv, environ);
	if (errno != ENOEXEC)
		return;
	int n = 0;
	while (argv[n])
		n++;
	char **sh = malloc(sizeof(char *) * ((size_t)n + 3));
	if (!sh)
		return;
	sh[0] = "/bin/sh";
	sh[1] = (char *)path;
	for (int k = 1; k < n; k++)
		sh[k + 1] = argv[k];
	sh[n > 0 ? n + 1 : 2] = NULL;
	execve("/bin/sh", sh, environ);
	free(sh);
}

/* execvp() as glibc has it, the C library util-linux's tools run under (this
 * program is linked with musl): PATH, or "/bin:/usr/bin" where it is unset;
 * an empty entry is the current directory; a search goes on past ENOENT,
 * ENOTDIR, EACCES, ESTALE, ENODEV and ETIMEDOUT (a name too long for the
 * kernel ends it), and ends with EACCES if it met one. Unlike glibc 2.36,
 * an entry of PATH_MAX bytes or more is passed over, never taken for the
 * current directory. Returns only on failure, errno set. */
static void exec_search(const char *file, char **argv)
{
	if (!*file) {
		errno = ENOENT;
		return;
	}
	if (strchr(file, '/')) {
		exec_or_sh(file, argv);
		return;
	}
	size_t flen = strlen(file);
	if (flen > NAME_MAX) {
		errno = ENAMETOOLONG;
		return;
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/bin:/usr/bin";
	int eacces = 0;
	errno = ENOENT;
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		size_t dlen = (size_t)(end - p);
		char buf[PATH_MAX + NAME_MAX + 2];
		if (dlen < PATH_MAX) {
			memcpy(buf, p, dlen);
			if (dlen)
				buf[dlen++] = '/';
			memcpy(buf + dlen, file, flen + 1);
			exec_or_sh(buf, argv);
			switch (errno) {
			case EACCES:
				eacces = 1;
				break;
			case ENOENT:
			case ENOTDIR:
			case ESTALE:
			case ENODEV:
			case ETIMEDOUT:
				break;
			default:
				return;
			}
		}
		if (!*end)
			break;
		p = end;
	}
	if (eacces)
		errno = EACCES;
}

/* execvp FILE with the K words as argv, in the plan's environment (so PATH
 * is the program's) and the caller's signal state; if that fails, say why
 * and exit 127 (not found) or 126 (found, not runnable), as the shell does */
static void exec_or_exit(const struct ctx *c, const char *file, char **words, int k) __attribute__((noreturn));
static void exec_or_exit(const struct ctx *c, const char *file, char **words, int k)
{
	static char *no_env[] = { NULL };
	char **argv = malloc(sizeof(char *) * ((size_t)k + 1));
	if (!argv)
		_exit(126);
	memcpy(argv, words, sizeof(char *) * (size_t)k);
	argv[k] = NULL;
	restore_caller(c);
	environ = c->envp ? c->envp : no_env;
	seccomp_at_exec(c);
	exec_search(file, argv);
	int err = errno;
	/* the name may be a container's (its SHELL): no control bytes to the terminal */
	size_t len = strlen(file);
	char *shown = malloc(len + 1);
	for (size_t k = 0; shown && k <= len; k++)
		shown[k] = k < len && ((unsigned char)file[k] < 0x20 || file[k] == 0x7f) ? '?' : file[k];
	say("failed to execute ", shown ? shown : "the program", ": ", errtext(err));
	_exit(err == ENOENT ? 127 : 126);
}

/* a hook: exec'd as the program is, in an environment of its own */
void exec_hook(const struct ctx *c, const char *file, char **args, int nargs, char **env, int nenv)
{
	struct ctx hc = *c;
	char **e = malloc(sizeof(char *) * ((size_t)nenv + 1));
	if (!e)
		_exit(126);
	memcpy(e, env, sizeof(char *) * (size_t)nenv);
	e[nenv] = NULL;
	hc.envp = e;
	exec_or_exit(&hc, file, args, nargs);
}

/* run K ARGV...: run a program to completion; its failure status is ours */
int step_run(struct ctx *c, char **w, int n)
{
	(void)n;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		exec_or_exit(c, w[1], &w[1], inum(w[0]));
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
}

/* exec FILE K ARGV...: FILE is looked up in PATH */
int step_exec(struct ctx *c, char **w, int n)
{
	(void)n;
	exec_or_exit(c, w[0], &w[2], inum(w[1]));
}
