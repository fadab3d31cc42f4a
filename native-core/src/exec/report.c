/* What the executor tells its user beyond "LABEL failed: strerror": a
 * failure the plan explains, and a counter that says why the child died.
 * The words come from TypeScript; this file only picks and prints them. */
#define _GNU_SOURCE
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errtext.h"

const char *errtext(int err)
{
	static char unknown[32];
	if (err >= 0 && (size_t)err < sizeof errtexts / sizeof errtexts[0] && errtexts[err])
		return errtexts[err];
	snprintf(unknown, sizeof unknown, "Unknown error %d", err);
	return unknown;
}

/* A step's LABEL may carry explanations after the printed form:
 *   DESCRIBED \x1f ERRNO \x1f LINE \x1f ERRNO \x1f LINE ...
 * For a listed errno LINE is said instead of "DESCRIBED failed: strerror". */
void say_failed(const char *label, int err)
{
	const char *sep = strchr(label, '\x1f');
	for (const char *at = sep; at;) {
		char *end;
		long e = strtol(at + 1, &end, 10);
		if (*end != '\x1f')
			break;
		const char *line = end + 1;
		const char *next = strchr(line, '\x1f');
		if (e == err) {
			size_t len = next ? (size_t)(next - line) : strlen(line);
			char *text = strndup(line, len);
			say(text ? text : line, NULL, NULL, NULL);
			return;
		}
		at = next;
	}
	if (!sep) {
		say(label, " failed: ", errtext(err), NULL);
		return;
	}
	char *described = strndup(label, (size_t)(sep - label));
	say(described ? described : label, " failed: ", errtext(err), NULL);
}

/* watch-counter PATH KEY SIG MESSAGE: in the waiting parent of a fork, read
 * the number after KEY in PATH now (memory.events: "oom_kill 0"); when the
 * child has ended of signal SIG (or exited 128+SIG, as a container's init
 * reports the program's death), read it again and, if it grew, say MESSAGE.
 * A counter that cannot be read is never reported, and never an error: the
 * program runs either way. */
#define MAX_WATCHES 4

static struct watch {
	const char *path, *key, *message;
	int sig;
	int known;
	unsigned long long before;
} watches[MAX_WATCHES];
static int n_watches;

static int read_counter(const char *path, const char *key, unsigned long long *value)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t len = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = 0;
	size_t klen = strlen(key);
	for (char *line = buf; line;) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
			*value = strtoull(line + klen + 1, NULL, 10);
			return 0;
		}
		char *nl = strchr(line, '\n');
		line = nl ? nl + 1 : NULL;
	}
	return -1;
}

int step_watch_counter(struct ctx *c, char **w, int n)
{
	(void)c; (void)n;
	if (n_watches == MAX_WATCHES) {
		errno = ENOSPC;
		return -1;
	}
	struct watch *x = &watches[n_watches++];
	x->path = w[0];
	x->key = w[1];
	x->sig = inum(w[2]);
	x->message = w[3];
	x->known = read_counter(x->path, x->key, &x->before) == 0;
	return 0;
}

void report_watches(int status)
{
	for (int k = 0; k < n_watches; k++) {
		struct watch *x = &watches[k];
		int died = (WIFSIGNALED(status) && WTERMSIG(status) == x->sig) ||
			   (WIFEXITED(status) && WEXITSTATUS(status) == 128 + x->sig);
		unsigned long long after;
		if (died && x->known && read_counter(x->path, x->key, &after) == 0 && after > x->before)
			say(x->message, NULL, NULL, NULL);
	}
}
