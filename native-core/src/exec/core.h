/* tscore-exec: runs a plan of system calls, single-threaded, then execs.
 *
 * The plan arrives as argv words built by the TypeScript side:
 *   tscore-exec TOOL  OP LABEL IGNORE ARGS...  OP LABEL IGNORE ARGS...  ...
 * LABEL is the call as `--dry-run` prints it; on failure we print
 * "TOOL: LABEL failed: strerror" and exit 1. IGNORE is "0" (none), "*" (any
 * errno) or an errno number that is not an error for this step.
 * Every decision (what to call, in which order, with which words) was made in
 * TypeScript; this program only carries it out. */
#ifndef TSCORE_EXEC_CORE_H
#define TSCORE_EXEC_CORE_H

#include <sys/types.h>

#define MAX_SLOTS 16

struct ctx {
	const char *tool;
	int slot_fd[MAX_SLOTS];         /* fds opened by earlier steps (all O_CLOEXEC) */
	pid_t slot_pid[MAX_SLOTS];      /* helper processes waiting for release */
	const char *slot_name[MAX_SLOTS]; /* a file name relative to slot_fd (pid files) */
	int entered[MAX_SLOTS];         /* setns() through this slot succeeded already */
	pid_t child;                    /* the forked child, in the supervising parent */
};

/* A step's arguments: w[0..n-1]. Returns 0, or -1 with errno set. */
typedef int (*step_fn)(struct ctx *c, char **w, int n);

struct op {
	const char *name;
	int nargs;   /* fixed arguments */
	int tail;    /* after them: a count K, then K words (an argv) */
	step_fn fn;
};

/* steps by kernel facility */
int step_unshare(struct ctx *c, char **w, int n);
int step_setns(struct ctx *c, char **w, int n);
int step_pidfd_open(struct ctx *c, char **w, int n);
int step_check_ino(struct ctx *c, char **w, int n);
int step_pidfd_alive(struct ctx *c, char **w, int n);
int step_socket_netns(struct ctx *c, char **w, int n);
int step_ns_get(struct ctx *c, char **w, int n);
int step_sethostname(struct ctx *c, char **w, int n);
int step_setdomainname(struct ctx *c, char **w, int n);

int step_open(struct ctx *c, char **w, int n);
int step_write(struct ctx *c, char **w, int n);
int step_mount(struct ctx *c, char **w, int n);
int step_umount(struct ctx *c, char **w, int n);
int step_chroot(struct ctx *c, char **w, int n);
int step_chdir(struct ctx *c, char **w, int n);
int step_fchdir(struct ctx *c, char **w, int n);
int step_pidfile_open(struct ctx *c, char **w, int n);
int step_pidfile_write(struct ctx *c, char **w, int n);

int step_setgroups(struct ctx *c, char **w, int n);
int step_setgid(struct ctx *c, char **w, int n);
int step_setuid(struct ctx *c, char **w, int n);
int step_keep_caps(struct ctx *c, char **w, int n);

int step_pdeathsig(struct ctx *c, char **w, int n);
int step_run(struct ctx *c, char **w, int n);
int step_exec(struct ctx *c, char **w, int n);

/* process structure: these take the nested steps that follow them */
int run_steps(struct ctx *c, char **w, int from, int to);
int step_end(char **w, int i, int to);
int block_helper(struct ctx *c, char **w, int i, int to);
int step_release(struct ctx *c, char **w, int n);
int block_fork(struct ctx *c, char **w, int i, int to);

/* small shared helpers */
long num(const char *s);
int slot_index(const char *s);
void fail_exit(struct ctx *c, const char *label, int err) __attribute__((noreturn));
void say(const char *a, const char *b, const char *d, const char *e); /* "TOOL: abde" on stderr */

#endif
