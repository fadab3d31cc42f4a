/* An OCI runtime's hooks run by the container's init (createContainer,
 * startContainer: in the container's namespaces, at the point the plan puts
 * them), the handshake with the runtime that runs the others, and the
 * descriptors closed before the program's exec. */
#define _GNU_SOURCE
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* what a hook wrote last (stdout and stderr), for the error line */
#define KEEP 1024

/* The state with "pid":{pid} made our PID, as the process sees itself
 * (runc's for the hooks the init runs), in a memfd: the hook's stdin. The
 * quotes of the key cannot be inside a JSON string (they would be escaped
 * there), so the first match is the key's. */
static int state_fd(const char *state)
{
	static const char token[] = "\"pid\":{pid}";
	int fd = (int)syscall(SYS_memfd_create, "state", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	const char *at = strstr(state, token);
	char pid[24];
	int n = snprintf(pid, sizeof pid, "\"pid\":%d", (int)getpid());
	size_t head = at ? (size_t)(at - state) : strlen(state);
	if (write(fd, state, head) != (ssize_t)head ||
	    (at && (write(fd, pid, (size_t)n) != n ||
		    write(fd, at + sizeof token - 1, strlen(at + sizeof token - 1)) != (ssize_t)strlen(at + sizeof token - 1))) ||
	    lseek(fd, 0, SEEK_SET) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The last line of what the hook wrote, control bytes made '?' */
static const char *last_line(char *out, size_t len)
{
	while (len && (out[len - 1] == '\n' || out[len - 1] == '\r'))
		len--;
	out[len] = 0;
	char *start = out + len;
	while (start > out && start[-1] != '\n')
		start--;
	for (char *p = start; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return start;
}

/* hook LABEL IGN PATH TIMEOUT STATE NAME K NARGS ARGS... ENV...: run PATH
 * with ARGS as its argv and ENV as its environment, the state on its stdin,
 * its output kept; TIMEOUT seconds at most (0: none). It failing (a status
 * other than 0, a signal, the timeout) fails the plan with one line naming
 * it: NAME. A hook is exec'd the way the program is (exec_hook, proc.c). */
int step_hook(struct ctx *c, char **w, int n)
{
	(void)n;
	const char *path = w[0], *name = w[3];
	long timeout = num(w[1]);
	int k = inum(w[4]), nargs = inum(w[5]);
	char **args = &w[6], **env = &w[6 + nargs];
	int nenv = k - 1 - nargs;
	int in = state_fd(w[2]);
	int out[2];
	if (in < 0 || pipe2(out, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (dup2(in, 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
			_exit(126);
		exec_hook(c, path, args, nargs, env, nenv);
	}
	close(in);
	close(out[1]);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	char kept[KEEP + 1];
	size_t len = 0;
	long end = timeout > 0 ? now_ms() + timeout * 1000 : -1;
	int timed_out = 0, eof = 0;
	for (;;) {
		struct pollfd p[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = eof ? -1 : out[0], .events = POLLIN } };
		long left = end < 0 ? -1 : end - now_ms();
		if (end >= 0 && left <= 0) {
			timed_out = 1;
			break;
		}
		int r = poll(p, 2, (int)left);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && p[1].revents) {
			char buf[4096];
			ssize_t got = read(out[0], buf, sizeof buf);
			if (got <= 0) {
				eof = 1;
			} else if ((size_t)got >= KEEP) {
				memcpy(kept, buf + got - KEEP, KEEP);
				len = KEEP;
			} else {
				size_t drop = len + (size_t)got > KEEP ? len + (size_t)got - KEEP : 0;
				memmove(kept, kept + drop, len - drop);
				len -= drop;
				memcpy(kept + len, buf, (size_t)got);
				len += (size_t)got;
			}
		}
		if (r > 0 && p[0].revents)
			break;
	}
	if (timed_out)
		kill(pid, SIGKILL);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	close(pidfd);
	close(out[0]);
	if (!timed_out && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	char why[64];
	if (timed_out)
		snprintf(why, sizeof why, "ran past its timeout of %ld s", timeout);
	else if (WIFEXITED(st))
		snprintf(why, sizeof why, "exit status %d", WEXITSTATUS(st));
	else
		snprintf(why, sizeof why, "killed by signal %d", WTERMSIG(st));
	/* one line: what failed, how, and the last thing it said */
	const char *said = last_line(kept, len);
	size_t size = strlen(why) + strlen(said) + 16;
	char *line = malloc(size);
	if (line)
		snprintf(line, size, *said ? "%s: %s" : "%s", why, said);
	say("error running ", name, ": ", line ? line : why);
	fail_exit_said(c);
}

/* notify FD DATA: tell the runtime where we are (one write on a descriptor
 * it gave us); EPIPE if it is gone */
int step_notify(struct ctx *c, char **w, int n)
{
	(void)c; (void)n;
	ssize_t r;
	do
		r = write(inum(w[0]), w[1], strlen(w[1]));
	while (r < 0 && errno == EINTR);
	return r < 0 ? -1 : 0;
}

/* close-from FD: every descriptor from FD up closed at the exec (marked
 * close-on-exec, so the steps before it keep theirs): only those the
 * program is meant to get cross into it */
int step_close_from(struct ctx *c, char **w, int n)
{
	(void)c; (void)n;
	return (int)syscall(SYS_close_range, (unsigned)inum(w[0]), ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
}
