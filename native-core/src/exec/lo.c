/* The loopback interface up, over rtnetlink: one RTM_NEWLINK for index 1
 * (lo is always the first link of a network namespace) with IFF_UP. */
#define _GNU_SOURCE
#include "core.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int step_lo_up(struct ctx *c, char **w, int n)
{
	(void)c; (void)w; (void)n;
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req = {
		.h = { .nlmsg_len = sizeof req, .nlmsg_type = RTM_NEWLINK,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = 1 },
		.i = { .ifi_family = AF_UNSPEC, .ifi_index = 1, .ifi_flags = IFF_UP, .ifi_change = IFF_UP },
	};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[512];
	int rc = -1;
	if (sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&kernel, sizeof kernel) == (ssize_t)sizeof req) {
		ssize_t r = recv(fd, buf, sizeof buf, 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		if (r >= (ssize_t)(sizeof *h + sizeof(struct nlmsgerr)) && h->nlmsg_type == NLMSG_ERROR) {
			int err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			rc = err ? (errno = -err, -1) : 0;
		} else if (r >= 0) {
			errno = EPROTO;
		}
	}
	int err = errno;
	close(fd);
	errno = err;
	return rc;
}
