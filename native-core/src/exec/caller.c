/* The caller's process state, as the launcher recorded it before Node
 * started (Node resets dispositions and the mask, raises RLIMIT_NOFILE and
 * may set O_NONBLOCK on stdio), and the program's environment: both are plan
 * data, applied only in the moment before the program's exec. */
#define _GNU_SOURCE
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>


/* caller IGNORED BLOCKED NOFILE_CUR NOFILE_MAX FL0 FL1 FL2 (hex, hex, dec...) */
int step_caller(struct ctx *c, char **w, int n)
{
	(void)n;
	c->caller.recorded = 1;
	c->caller.ignored = unum(w[0], 16);
	c->caller.blocked = unum(w[1], 16);
	c->caller.nofile.rlim_cur = unum(w[2], 10);
	c->caller.nofile.rlim_max = unum(w[3], 10);
	for (int fd = 0; fd < 3; fd++)
		c->caller.stdio_fl[fd] = inum(w[4 + fd]);
	return 0;
}

/* environ K VARS...: the program's environment (never this process's) */
int step_environ(struct ctx *c, char **w, int n)
{
	(void)n;
	int k = inum(w[0]);
	char **env = malloc(sizeof(char *) * ((size_t)k + 1));
	if (!env)
		return -1;
	memcpy(env, &w[1], sizeof(char *) * (size_t)k);
	env[k] = NULL;
	c->envp = env;
	return 0;
}

/* Until it execs, a process that has entered a container's namespaces must
 * not be open to that container's processes: /proc/PID/{exe,fd,mem,environ}
 * of a non-dumpable process belong to (host) root, and ptrace is refused. */
int step_nondumpable(struct ctx *c, char **w, int n)
{
	(void)c; (void)w; (void)n;
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* sealed-exe (a plan's first step): go on from a sealed in-memory copy of
 * this executable. A container can have us exec a program of its that is
 * "#!/proc/self/exe": the kernel then runs us again, in the container and
 * dumpable, and a process there could open /proc/PID/exe and write the
 * host's tscore-exec once no one runs it (runc's CVE-2019-5736). A copy
 * sealed against writing is what that exe then is. Run from the copy
 * already (seals hold F_SEAL_WRITE): nothing to do. */
static int sealed_copy(void)
{
	int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -1;
	struct stat st;
	/* MFD_EXEC (6.3): executable where vm.memfd_noexec would make it not; older kernels know no such flag */
	int mem = fstat(self, &st) < 0 ? -1 : memfd_create("tscore-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING | 0x0010U);
	if (mem < 0 && errno == EINVAL)
		mem = memfd_create("tscore-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	off_t left = st.st_size;
	while (mem >= 0 && left > 0) {
		ssize_t r = sendfile(mem, self, NULL, (size_t)left);
		if (r <= 0) {
			int err = r < 0 ? errno : EIO;
			close(mem);
			errno = err;
			mem = -1;
			break;
		}
		left -= r;
	}
	int err = errno;
	close(self);
	if (mem < 0) {
		errno = err;
		return -1;
	}
	if (fcntl(mem, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		err = errno;
		close(mem);
		errno = err;
		return -1;
	}
	/* exec refuses a file someone has open for writing: ours, read-only */
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", mem);
	int ro = open(path, O_RDONLY | O_CLOEXEC);
	err = errno;
	close(mem);
	errno = err;
	return ro;
}

int step_sealed_exe(struct ctx *c, char **w, int n)
{
	(void)n;
	const char *buf;
	size_t len;
	plan_bytes(&buf, &len);
	/* the copy runs the plan from its start: anything but the first step
	 * would be done twice (w[-3] is this step's name, the plan's first word) */
	if (w[-3] != buf) {
		errno = EINVAL;
		return -1;
	}
	int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -1;
	int seals = fcntl(self, F_GET_SEALS);
	close(self);
	if (seals >= 0 && (seals & F_SEAL_WRITE))
		return 0;
	int exe = sealed_copy();
	if (exe < 0)
		return -1;
	/* the copy reads the same plan, from a memfd it inherits */
	int plan = memfd_create("tscore-plan", 0);
	size_t done = 0;
	while (plan >= 0 && done < len) {
		ssize_t r = write(plan, buf + done, len - done);
		if (r <= 0) {
			close(plan);
			plan = -1;
			break;
		}
		done += (size_t)r;
	}
	if (plan < 0) {
		int err = errno;
		close(exe);
		errno = err;
		return -1;
	}
	char var[32];
	snprintf(var, sizeof var, "TSCORE_PLAN=%d", plan);
	char *env[] = { var, NULL };
	syscall(SYS_execveat, exe, "", c->argv, env, AT_EMPTY_PATH);
	int err = errno;
	close(plan);
	close(exe);
	errno = err;
	return -1;
}

/* tool NAME FROM: the steps that follow are a folded link of the chain,
 * this tool's: its errors name it, pgrep sees its name, and where its
 * command line is the tail of ours from word FROM on (-1: it is not), ps
 * shows that command line, as the link's own process would have */
int step_tool(struct ctx *c, char **w, int n)
{
	(void)n;
	c->tool = w[0];
	set_tool_name(w[0]);
	int from = inum(w[1]);
	if (from > 0 && from < c->argc) {
		char *start = c->argv[0];
		char *end = c->argv[c->argc - 1] + strlen(c->argv[c->argc - 1]) + 1;
		size_t tail = (size_t)(end - c->argv[from]);
		memmove(start, c->argv[from], tail);
		memset(start + tail, 0, (size_t)(end - start) - tail);
	}
	return prctl(PR_SET_NAME, w[0], 0, 0, 0);
}

void restore_caller(const struct ctx *c)
{
	const struct caller *k = &c->caller;
	for (int sig = 1; sig <= 64; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		struct ksigaction a = { 0 };
		a.handler = (k->ignored >> (sig - 1)) & 1 ? SIG_IGN : SIG_DFL;
		syscall(SYS_rt_sigaction, sig, &a, NULL, sizeof a.mask);
	}
	if (k->recorded) {
		for (int fd = 0; fd < 3; fd++) {
			int now = fcntl(fd, F_GETFL);
			if (k->stdio_fl[fd] < 0)
				close(fd); /* the caller had it closed; Node opened /dev/null there */
			else if (now >= 0 && (now & O_NONBLOCK) != (k->stdio_fl[fd] & O_NONBLOCK))
				fcntl(fd, F_SETFL, (now & ~O_NONBLOCK) | (k->stdio_fl[fd] & O_NONBLOCK));
		}
		setrlimit(RLIMIT_NOFILE, &k->nofile);
	}
	uint64_t mask = k->blocked;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &mask, NULL, sizeof mask);
}
