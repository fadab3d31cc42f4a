/* tscore-exec: runs a plan of system calls, single-threaded, then execs.
 *
 * Node execs it with argv = the tool's own command line (so `ps` shows the
 * tool) and an environment of exactly one variable, TSCORE_PLAN=FD: the plan
 * is read from that descriptor (a memfd), as NUL-terminated words built by
 * the TypeScript side:
 *   OP LABEL IGNORE ARGS...  OP LABEL IGNORE ARGS...  ...
 * Nothing the caller or a container chose steers this process: no
 * environment (and, statically linked, no loader), no plan in argv.
 * LABEL is the call as `--dry-run` prints it; on failure we print
 * "TOOL: LABEL failed: strerror" and exit 1. IGNORE is "0" (none), "*" (any
 * errno) or an errno number that is not an error for this step.
 * Every decision (what to call, in which order, with which words) was made in
 * TypeScript; this program only carries it out. */
#ifndef TSCORE_EXEC_CORE_H
#define TSCORE_EXEC_CORE_H

#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#define MAX_SLOTS 16
#define MAX_UNDO 8

struct ctx {
	const char *tool;
	int slot_fd[MAX_SLOTS];         /* fds opened by earlier steps (all O_CLOEXEC) */
	pid_t slot_pid[MAX_SLOTS];      /* helper processes waiting for release */
	const char *slot_name[MAX_SLOTS]; /* a file name relative to slot_fd (pid files) */
	int entered[MAX_SLOTS];         /* setns() through this slot succeeded already */
	pid_t child;                    /* the forked child, in the supervising parent */
	char **envp;                    /* the program's environment, applied only by exec */
	int argc;                       /* our command line, the tool's (`ps` shows it) */
	char **argv;
	struct caller {                 /* the caller's state, recorded before Node started */
		int recorded;
		uint64_t ignored, blocked;  /* signal bits, 1 << (sig - 1) */
		struct rlimit nofile;
		int stdio_fl[3];            /* F_GETFL of fds 0-2, or -1 if closed */
	} caller;
	int skip_undo;                  /* the request before failed, its error ignored: nothing to undo */
	struct undo {                   /* steps registered by on-failure: run by fail_exit */
		char **w;
		int n;
	} undo[MAX_UNDO];
	int n_undo;
	int ready_fd;                   /* a detached fork's child: says "ready" here (-1: none) */
	void *seccomp;                  /* a filter the exec step loads just before execve (seccomp.c) */
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
int step_pidfd_check(struct ctx *c, char **w, int n);
int step_socket_netns(struct ctx *c, char **w, int n);
int step_ns_get(struct ctx *c, char **w, int n);
int step_sethostname(struct ctx *c, char **w, int n);
int step_setdomainname(struct ctx *c, char **w, int n);

/* network links over rtnetlink (net.c) */
int step_netlink_open(struct ctx *c, char **w, int n);
int step_rtnl(struct ctx *c, char **w, int n);
int step_pidfile_read(struct ctx *c, char **w, int n);

int step_open(struct ctx *c, char **w, int n);
int step_write(struct ctx *c, char **w, int n);
int step_mount(struct ctx *c, char **w, int n);
int step_umount(struct ctx *c, char **w, int n);
int step_chroot(struct ctx *c, char **w, int n);
int step_chdir(struct ctx *c, char **w, int n);
int step_fchdir(struct ctx *c, char **w, int n);
int step_close(struct ctx *c, char **w, int n);
int step_pidfile_open(struct ctx *c, char **w, int n);
int step_pidfile_write(struct ctx *c, char **w, int n);
int step_write_fd(struct ctx *c, char **w, int n);

int step_setgroups(struct ctx *c, char **w, int n);
int step_setgid(struct ctx *c, char **w, int n);
int step_setuid(struct ctx *c, char **w, int n);
int step_keep_caps(struct ctx *c, char **w, int n);
int step_keep_permitted(struct ctx *c, char **w, int n);
int step_no_new_privs(struct ctx *c, char **w, int n);

/* an OCI process's five capability sets, rlimits, umask (creds.c) */
int step_capsets(struct ctx *c, char **w, int n);
int step_rlimit(struct ctx *c, char **w, int n);
int step_umask(struct ctx *c, char **w, int n);
/* a seccomp filter through libseccomp (seccomp.c) */
int step_seccomp(struct ctx *c, char **w, int n);
void seccomp_at_exec(const struct ctx *c);
/* a container's terminal, its master sent to a console socket (console.c) */
int step_console_connect(struct ctx *c, char **w, int n);
int step_console(struct ctx *c, char **w, int n);
int step_stderr(struct ctx *c, char **w, int n);

/* a new root (root.c) */
int step_mkdir_in(struct ctx *c, char **w, int n);
int step_touch_in(struct ctx *c, char **w, int n);
int step_mknod_in(struct ctx *c, char **w, int n);
int step_symlink_in(struct ctx *c, char **w, int n);
int step_mount_in(struct ctx *c, char **w, int n);
int step_bind_in(struct ctx *c, char **w, int n);
int step_pivot_root(struct ctx *c, char **w, int n);
int step_mask_in(struct ctx *c, char **w, int n);
/* PATH opened beneath ROOT's fd as from inside it (RESOLVE_IN_ROOT) */
int open_in_root(int root, const char *path, int flags);
struct tscore_mount_attr {
	unsigned long long attr_set, attr_clr, propagation, userns_fd;
};
void mount_attrs(unsigned long ms, struct tscore_mount_attr *a);
/* a tmpfs filled with a copy of what it covers (copyup.c) */
int step_tmpfs_copyup(struct ctx *c, char **w, int n);


int step_caller(struct ctx *c, char **w, int n);
int step_environ(struct ctx *c, char **w, int n);
int step_nondumpable(struct ctx *c, char **w, int n);
int step_sealed_exe(struct ctx *c, char **w, int n);
/* the plan as read, its words whole (sealed-exe hands it on to its re-exec) */
void plan_bytes(const char **buf, size_t *len);
int step_tool(struct ctx *c, char **w, int n);

int step_pdeathsig(struct ctx *c, char **w, int n);
/* an OCI runtime's hooks, its handshakes, the descriptors the program gets (hook.c) */
int step_hook(struct ctx *c, char **w, int n);
int step_notify(struct ctx *c, char **w, int n);
int step_close_from(struct ctx *c, char **w, int n);
void exec_hook(const struct ctx *c, const char *file, char **args, int nargs, char **env, int nenv) __attribute__((noreturn));
int step_wait(struct ctx *c, char **w, int n);
int step_ready(struct ctx *c, char **w, int n);
int step_init(struct ctx *c, char **w, int n);
int step_run(struct ctx *c, char **w, int n);
int step_exec(struct ctx *c, char **w, int n);

/* what the executor tells its user (report.c): a failure the plan
 * explains, the counter that says why a forked child died */
void say_failed(const char *label, int err);
int step_watch_counter(struct ctx *c, char **w, int n);
void report_watches(int status);

/* process structure: these take the nested steps that follow them */
int run_steps(struct ctx *c, char **w, int from, int to);
int step_end(char **w, int i, int to);
int block_helper(struct ctx *c, char **w, int i, int to);
int step_release(struct ctx *c, char **w, int n);
int block_fork(struct ctx *c, char **w, int i, int to);

/* the caller's signals, mask, limit and stdio flags, just before an exec */
void restore_caller(const struct ctx *c);
/* the launcher: records the caller's state, then starts Node (launch.c) */
int launch(int argc, char **argv);

/* the kernel's struct sigaction: glibc's refuses the signals it reserves */
struct ksigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

/* small shared helpers: numbers in the plan; a malformed one ends the run */
long num(const char *s);
int inum(const char *s);  /* num() within the range of an int */
unsigned long long unum(const char *s, int base);
int slot_index(const char *s);
void fail_exit(struct ctx *c, const char *label, int err) __attribute__((noreturn));
/* the same, once the failure has been said */
void fail_exit_said(struct ctx *c) __attribute__((noreturn));
/* what on-failure steps registered, undone last first (fail_exit runs it) */
int step_on_failure(struct ctx *c, char **w, int n);
void undo_all(struct ctx *c);
void say(const char *a, const char *b, const char *d, const char *e); /* "TOOL: abde" on stderr */
const char *errtext(int err); /* strerror() as glibc words it (errtext.h) */
void set_tool_name(const char *name); /* the TOOL of say() */

#endif
