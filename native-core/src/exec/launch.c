/* The launcher: each tool's entry (its bin script) execs it before Node.
 *
 *   tscore-exec --launch SCRIPT ARG...
 *
 * Node rewrites the process's state before any JavaScript runs: ignored
 * signals become default, the mask is replaced, inherited descriptors become
 * close-on-exec, RLIMIT_NOFILE is raised. So the state the caller gave is
 * recorded here, in one variable Node reads and drops, and the tool's
 * program gets it back from tscore-exec at its exec (caller.c). The raw
 * bytes of argv and the environment need no record: Node leaves
 * /proc/self/cmdline and /proc/self/environ as they were.
 *
 * The caller's settings for Node (NODE_OPTIONS, NODE_EXTRA_CA_CERTS, every
 * NODE_* variable) are meant for the program, not for the tool's own Node:
 * a --require would run in the tool, a CA file costs every start ~30 ms, a
 * NODE_CHANNEL_FD would make Node take a descriptor of the caller's. Each is
 * held: renamed in place to HELD_PREFIX + the entry, and its index recorded,
 * so that the environment restored from /proc/self/environ (entry.ts) is
 * the caller's byte for byte, and an entry the caller named so is not taken
 * for a held one.
 *
 * SCRIPT is the bin script's $0; the tool's JavaScript is dist/NAME.cjs
 * beside the real bin/ folder of its package. A clone's own bin/NAME is no
 * shell script but names this program and the JavaScript on its #! line
 * (scripts/bundle-bins.js), which the kernel runs as
 *   tscore-exec --launch=JS SCRIPT ARG...
 * without the ~0.6 ms of a shell's start. */
#define _GNU_SOURCE
#include "core.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;


#define HELD_PREFIX "TSCORE_HELD_"

/* TSCORE_ENTRY=ign=HEX:blk=HEX:nofile=CUR,MAX:fl=F0,F1,F2:fds=A,B,...:held=I,J,...:exe=PATH
 * held: the indices of the environment entries renamed, in the environment
 * Node gets. PATH is this executor's: the addon lies beside it, so Node need
 * not resolve the core package to find it (~1 ms of every start). */
static char *record(const char *held)
{
	uint64_t ign = 0, blk = 0;
	for (int sig = 1; sig <= 64; sig++) {
		struct ksigaction a;
		if (syscall(SYS_rt_sigaction, sig, NULL, &a, sizeof a.mask) == 0 && a.handler == SIG_IGN)
			ign |= 1ULL << (sig - 1);
	}
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &blk, sizeof blk);
	struct rlimit nofile;
	getrlimit(RLIMIT_NOFILE, &nofile);

	size_t cap = 256, len;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	len = (size_t)snprintf(out, cap, "TSCORE_ENTRY=ign=%llx:blk=%llx:nofile=%llu,%llu:fl=%d,%d,%d:fds=",
			       (unsigned long long)ign, (unsigned long long)blk,
			       (unsigned long long)nofile.rlim_cur, (unsigned long long)nofile.rlim_max,
			       fcntl(0, F_GETFL), fcntl(1, F_GETFL), fcntl(2, F_GETFL));
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		if (len + 16 >= cap) {
			char *more = realloc(out, cap *= 2);
			if (!more)
				return NULL;
			out = more;
		}
		len += (size_t)snprintf(out + len, cap - len, "%s,", e->d_name);
	}
	if (d)
		closedir(d);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	char *more = realloc(out, len + strlen(held) + strlen(exe) + 16);
	if (!more)
		return NULL;
	out = more;
	sprintf(out + len, ":held=%s:exe=%s", held, exe);
	return out;
}

/* After unshare -p (or nsenter -p) without a fork, this process is outside
 * the PID namespace its children get, and the kernel refuses it threads
 * (clone(CLONE_THREAD) fails): Node, which needs them, would die of a failed
 * assertion. The entry is there (Linux 4.12) but leads nowhere until the
 * namespace's first process exists. */
static int outside_child_pidns(void)
{
	struct stat self, children;
	if (stat("/proc/self/ns/pid", &self) < 0 || lstat("/proc/self/ns/pid_for_children", &children) < 0)
		return 0; /* no /proc, or an older kernel: nothing to tell */
	if (stat("/proc/self/ns/pid_for_children", &children) < 0)
		return errno == ENOENT;
	return self.st_ino != children.st_ino || self.st_dev != children.st_dev;
}

int launch(int argc, char **argv)
{
	if (argc < 3) {
		say("usage: tscore-exec --launch SCRIPT [ARG...], or --launch=JS SCRIPT [ARG...]", NULL, NULL, NULL);
		return 1;
	}
	if (outside_child_pidns()) {
		say("cannot start here: this process is not inside the PID namespace its children get, and Node cannot make threads "
		    "(add --fork to the tsunshare -p or tsnsenter -p that runs it)", NULL, NULL, NULL);
		return 1;
	}
	size_t nenv = 0;
	while (environ[nenv])
		nenv++;
	char **env = malloc(sizeof(char *) * (nenv + 2));
	char **args = malloc(sizeof(char *) * ((size_t)argc + 3));
	char *held = malloc(nenv * 21 + 1); /* "INDEX," each */
	if (!env || !args || !held)
		return 1;
	/* ours is the only record: one the caller passed is dropped, or it
	 * would steer which descriptors the program gets */
	size_t kept = 0, hlen = 0;
	held[0] = 0;
	for (size_t k = 0; k < nenv; k++) {
		if (strncmp(environ[k], "TSCORE_ENTRY=", 13) == 0)
			continue;
		if (strncmp(environ[k], "NODE_", 5) == 0) {
			char *renamed = malloc(sizeof HELD_PREFIX + strlen(environ[k]));
			if (!renamed)
				return 1;
			strcpy(stpcpy(renamed, HELD_PREFIX), environ[k]);
			hlen += (size_t)sprintf(held + hlen, "%zu,", kept);
			env[kept++] = renamed;
		} else {
			env[kept++] = environ[k];
		}
	}
	char *rec = record(held);
	if (!rec)
		return 1;
	char js[PATH_MAX + 16];
	if (argv[1][8] == '=') {
		/* from a #! line that names the JavaScript (a clone's bin/) */
		snprintf(js, sizeof js, "%s", argv[1] + 9);
	} else {
		char real[PATH_MAX];
		if (!realpath(argv[2], real)) {
			say("cannot find the tool's script ", argv[2], ": ", errtext(errno));
			return 1;
		}
		char *name = strrchr(real, '/');
		*name++ = 0;
		char *bindir = strrchr(real, '/');
		if (bindir)
			*bindir = 0;
		snprintf(js, sizeof js, "%s/dist/%s.cjs", real, name);
	}

	env[kept] = rec; /* last, so Node knows which one to drop */
	env[kept + 1] = NULL;
	/* one V8 worker thread, not four: starting them and having the kernel
	 * end them at the exec into tscore-exec cost ~1.5 ms of every start,
	 * more than all that runs on them in a tool's few milliseconds */
	args[0] = "node";
	args[1] = "--v8-pool-size=1";
	/* and no garbage collection beside the main thread: 0.1-0.5 ms less
	 * (a flag V8's code cache does not depend on) */
	args[2] = "--single-threaded-gc";
	/* JS is a real path already (realpath above) and a .cjs, which Node
	 * takes as CommonJS without looking for a package.json: ~0.3 ms less
	 * of resolving the main script */
	args[3] = "--preserve-symlinks-main";
	args[4] = js;
	memcpy(&args[5], &argv[3], sizeof(char *) * (size_t)(argc - 3));
	args[argc + 2] = NULL;
	execvpe("node", args, env);
	int err = errno;
	say("cannot run node: ", errtext(err), NULL, NULL);
	return err == ENOENT ? 127 : 126;
}
