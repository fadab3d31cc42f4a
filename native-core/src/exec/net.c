/* Network links over rtnetlink: veth pairs, bridges, addresses, routes.
 *
 * As small as bubblewrap's network.c: a request is a buffer that add_rta()
 * appends attributes to, talk() sends it and reads the kernel's answer. One
 * request is one plan step (rtnl SOCK KIND K WORDS...), so --dry-run shows
 * each and a failure names it. A request acts in the network namespace its
 * socket was made in (netlink-open), whatever namespace this process is in
 * when it is sent: the plan opens the target's socket after a setns() into
 * the target's namespace, and goes back before any request is made.
 *
 * Also here: the target's pidfd from a pid file (pidfile-read), the one way
 * in to a target that only a pid file names. */
#define _GNU_SOURCE
#include "core.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* netlink-open SLOT: a NETLINK_ROUTE socket in the current network namespace */
int step_netlink_open(struct ctx *c, char **w, int n)
{
	(void)n;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	c->slot_fd[slot_index(w[0])] = fd;
	return 0;
}

/* pidfile-read PATH SLOT: the PID written in PATH (a FIFO waits for its
 * writer, as `tsunshare --pid-file` writes one), as a pidfd in SLOT */
int step_pidfile_read(struct ctx *c, char **w, int n)
{
	(void)n;
	int fd = open(w[0], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char buf[32];
	size_t got = 0;
	ssize_t r;
	while (got < sizeof buf - 1 && ((r = read(fd, buf + got, sizeof buf - 1 - got)) > 0 || (r < 0 && errno == EINTR)))
		got += r > 0 ? (size_t)r : 0;
	close(fd);
	buf[got] = 0;
	long pid = 0;
	size_t k = 0;
	while (k < got && buf[k] >= '0' && buf[k] <= '9' && pid <= 4194304)
		pid = pid * 10 + (buf[k++] - '0');
	if (k == 0 || pid < 1 || pid > 4194304 || (buf[k] != 0 && strcmp(buf + k, "\n") != 0)) {
		errno = EINVAL; /* not one PID */
		return -1;
	}
	int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pidfd < 0)
		return -1;
	c->slot_fd[slot_index(w[1])] = pidfd;
	return 0;
}

struct req {
	union {
		struct nlmsghdr h;
		char bytes[1024]; /* the largest request, a veth pair's, needs about 200 */
	};
};

static void start(struct req *r, int type, int flags, const void *head, size_t len)
{
	memset(r, 0, sizeof *r);
	r->h.nlmsg_type = (unsigned short)type;
	r->h.nlmsg_flags = (unsigned short)(NLM_F_REQUEST | flags);
	r->h.nlmsg_len = NLMSG_LENGTH(len);
	memcpy(r->bytes + NLMSG_HDRLEN, head, len);
}

/* Every word that reaches an attribute is bounded (link names by
 * step_rtnl()), so a request always fits its buffer. */
static struct rtattr *add_rta(struct req *r, int type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)(r->bytes + NLMSG_ALIGN(r->h.nlmsg_len));
	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

static void add_u32(struct req *r, int type, uint32_t v)
{
	add_rta(r, type, &v, sizeof v);
}

static void add_str(struct req *r, int type, const char *s)
{
	add_rta(r, type, s, strlen(s) + 1);
}

/* a nested attribute: begun empty, closed over what was added since */
static struct rtattr *nest(struct req *r, int type)
{
	return add_rta(r, type, NULL, 0);
}

static void end_nest(struct req *r, struct rtattr *a)
{
	a->rta_len = (unsigned short)(r->bytes + r->h.nlmsg_len - (char *)a);
}

/* what RTM_GETLINK tells of a link */
struct link {
	int index;
	char kind[16]; /* IFLA_INFO_KIND: "veth", "bridge", or "" */
};

static void read_link(struct nlmsghdr *h, struct link *l)
{
	struct ifinfomsg *i = NLMSG_DATA(h);
	int len = (int)IFLA_PAYLOAD(h);
	l->index = i->ifi_index;
	for (struct rtattr *a = IFLA_RTA(i); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if ((a->rta_type & NLA_TYPE_MASK) != IFLA_LINKINFO)
			continue;
		int in = (int)RTA_PAYLOAD(a);
		for (struct rtattr *b = RTA_DATA(a); RTA_OK(b, in); b = RTA_NEXT(b, in))
			if ((b->rta_type & NLA_TYPE_MASK) == IFLA_INFO_KIND)
				snprintf(l->kind, sizeof l->kind, "%.*s", (int)RTA_PAYLOAD(b), (char *)RTA_DATA(b));
	}
}

/* Send the request and read the kernel's answer to it: its ack (0), its
 * error (-1 with that errno), or, for RTM_GETLINK, the link (into *l). */
static int talk(int sock, struct req *r, struct link *l)
{
	static unsigned seq;
	r->h.nlmsg_seq = ++seq;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	if (sendto(sock, &r->h, r->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0)
		return -1;
	static char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	for (;;) {
		ssize_t got = recv(sock, buf, sizeof buf, MSG_TRUNC);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		if ((size_t)got > sizeof buf) {
			errno = EMSGSIZE; /* cut short: reading on would wait for ever */
			return -1;
		}
		int left = (int)got;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != r->h.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				int err = -((struct nlmsgerr *)NLMSG_DATA(h))->error;
				errno = err;
				return err ? -1 : 0;
			}
			if (l && h->nlmsg_type == RTM_NEWLINK) {
				read_link(h, l);
				return 0;
			}
		}
	}
}

/* RTM_GETLINK by name: -1 with ENODEV if there is no such link */
static int get_link(int sock, const char *name, struct link *l)
{
	struct req r;
	struct ifinfomsg i = { .ifi_family = AF_UNSPEC };
	memset(l, 0, sizeof *l);
	start(&r, RTM_GETLINK, 0, &i, sizeof i);
	add_str(&r, IFLA_IFNAME, name);
	return talk(sock, &r, l);
}

static int link_index(int sock, const char *name)
{
	struct link l;
	return get_link(sock, name, &l) < 0 ? -1 : l.index;
}

/* link-free NAME: no link has this name yet (EEXIST if one has) */
static int link_free(struct ctx *c, int sock, char **a)
{
	(void)c;
	struct link l;
	if (get_link(sock, a[0], &l) == 0) {
		errno = EEXIST;
		return -1;
	}
	return errno == ENODEV ? 0 : -1;
}

/* veth-check NAME: the link is one end of a veth pair */
static int veth_check(struct ctx *c, int sock, char **a)
{
	(void)c;
	struct link l;
	if (get_link(sock, a[0], &l) < 0)
		return -1;
	if (strcmp(l.kind, "veth") != 0) {
		errno = EMEDIUMTYPE;
		return -1;
	}
	return 0;
}

static int add_mac(struct req *r, int type, const char *text)
{
	unsigned char mac[6];
	char end;
	if (sscanf(text, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx%c",
		   &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5], &end) != 6) {
		errno = EINVAL;
		return -1;
	}
	add_rta(r, type, mac, sizeof mac);
	return 0;
}

/* what either end may be given: an MTU ("0": the default), a MAC ("": random) */
static int link_settings(struct req *r, const char *mtu, const char *mac)
{
	if (inum(mtu) > 0)
		add_u32(r, IFLA_MTU, (uint32_t)inum(mtu));
	return *mac ? add_mac(r, IFLA_ADDRESS, mac) : 0;
}

/* veth-add NAME PEER NETNS_SLOT MTU MAC PEER_MAC: the pair, its peer end made
 * directly in the namespace of NETNS_SLOT (VETH_INFO_PEER carries a struct
 * ifinfomsg of its own, then the peer's attributes) */
static int veth_add(struct ctx *c, int sock, char **a)
{
	struct req r;
	struct ifinfomsg i = { .ifi_family = AF_UNSPEC };
	start(&r, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &i, sizeof i);
	add_str(&r, IFLA_IFNAME, a[0]);
	if (link_settings(&r, a[3], a[4]) < 0)
		return -1;
	struct rtattr *info = nest(&r, IFLA_LINKINFO);
	add_str(&r, IFLA_INFO_KIND, "veth");
	struct rtattr *data = nest(&r, IFLA_INFO_DATA);
	struct rtattr *peer = nest(&r, VETH_INFO_PEER);
	r.h.nlmsg_len += NLMSG_ALIGN(sizeof(struct ifinfomsg)); /* zeroed by start() */
	add_str(&r, IFLA_IFNAME, a[1]);
	add_u32(&r, IFLA_NET_NS_FD, (uint32_t)c->slot_fd[slot_index(a[2])]);
	if (link_settings(&r, a[3], a[5]) < 0)
		return -1;
	end_nest(&r, peer);
	end_nest(&r, data);
	end_nest(&r, info);
	return talk(sock, &r, NULL);
}

/* bridge-add NAME */
static int bridge_add(struct ctx *c, int sock, char **a)
{
	(void)c;
	struct req r;
	struct ifinfomsg i = { .ifi_family = AF_UNSPEC };
	start(&r, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &i, sizeof i);
	add_str(&r, IFLA_IFNAME, a[0]);
	struct rtattr *info = nest(&r, IFLA_LINKINFO);
	add_str(&r, IFLA_INFO_KIND, "bridge");
	end_nest(&r, info);
	return talk(sock, &r, NULL);
}

/* link-up NAME: IFF_UP on an existing link, found by its name */
static int link_up(struct ctx *c, int sock, char **a)
{
	(void)c;
	struct req r;
	struct ifinfomsg i = { .ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
	start(&r, RTM_NEWLINK, NLM_F_ACK, &i, sizeof i);
	add_str(&r, IFLA_IFNAME, a[0]);
	return talk(sock, &r, NULL);
}

/* link-master NAME MASTER: NAME becomes a port of the bridge MASTER */
static int link_master(struct ctx *c, int sock, char **a)
{
	(void)c;
	int master = link_index(sock, a[1]);
	if (master < 0)
		return -1;
	struct req r;
	struct ifinfomsg i = { .ifi_family = AF_UNSPEC };
	start(&r, RTM_NEWLINK, NLM_F_ACK, &i, sizeof i);
	add_str(&r, IFLA_IFNAME, a[0]);
	add_u32(&r, IFLA_MASTER, (uint32_t)master);
	return talk(sock, &r, NULL);
}

/* link-del NAME: a veth's peer goes with it */
static int link_del(struct ctx *c, int sock, char **a)
{
	(void)c;
	struct req r;
	struct ifinfomsg i = { .ifi_family = AF_UNSPEC };
	start(&r, RTM_DELLINK, NLM_F_ACK, &i, sizeof i);
	add_str(&r, IFLA_IFNAME, a[0]);
	return talk(sock, &r, NULL);
}

/* an address in the plan's text form; its family from that form */
static int address(const char *text, int *family, unsigned char bytes[16], size_t *len)
{
	*family = strchr(text, ':') ? AF_INET6 : AF_INET;
	*len = *family == AF_INET6 ? 16 : 4;
	if (inet_pton(*family, text, bytes) != 1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* RTM_NEWADDR or RTM_DELADDR for NAME ADDRESS PREFIX. IPv6 addresses skip
 * duplicate address detection (IFA_F_NODAD, as Docker's do): the two ends of
 * a pair are alone on their link, and the address is usable at once. */
static int addr_change(int sock, char **a, int type)
{
	unsigned char bytes[16];
	size_t len;
	int family;
	if (address(a[1], &family, bytes, &len) < 0)
		return -1;
	int index = link_index(sock, a[0]);
	if (index < 0)
		return -1;
	struct ifaddrmsg m = {
		.ifa_family = (unsigned char)family, .ifa_prefixlen = (unsigned char)inum(a[2]),
		.ifa_flags = family == AF_INET6 ? IFA_F_NODAD : 0, .ifa_scope = RT_SCOPE_UNIVERSE,
		.ifa_index = (unsigned)index,
	};
	struct req r;
	start(&r, type, NLM_F_ACK | (type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0), &m, sizeof m);
	add_rta(&r, IFA_LOCAL, bytes, len);
	add_rta(&r, IFA_ADDRESS, bytes, len);
	return talk(sock, &r, NULL);
}

/* addr-add NAME ADDRESS PREFIX */
static int addr_add(struct ctx *c, int sock, char **a)
{
	(void)c;
	return addr_change(sock, a, RTM_NEWADDR);
}

/* addr-del NAME ADDRESS PREFIX */
static int addr_del(struct ctx *c, int sock, char **a)
{
	(void)c;
	return addr_change(sock, a, RTM_DELADDR);
}

/* route-add GATEWAY DEV: the default route of the gateway's family */
static int route_add(struct ctx *c, int sock, char **a)
{
	(void)c;
	unsigned char bytes[16];
	size_t len;
	int family;
	if (address(a[0], &family, bytes, &len) < 0)
		return -1;
	int index = link_index(sock, a[1]);
	if (index < 0)
		return -1;
	struct rtmsg m = {
		.rtm_family = (unsigned char)family, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT,
		.rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST,
	};
	struct req r;
	start(&r, RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &m, sizeof m);
	add_rta(&r, RTA_GATEWAY, bytes, len);
	add_u32(&r, RTA_OIF, (uint32_t)index);
	return talk(sock, &r, NULL);
}

/* the requests: KIND, its words, which of them are link names (bit k: word k) */
static const struct request {
	const char *kind;
	int words;
	unsigned names;
	int (*fn)(struct ctx *c, int sock, char **a);
} requests[] = {
	{ "link-free", 1, 1, link_free },
	{ "veth-check", 1, 1, veth_check },
	{ "veth-add", 6, 3, veth_add },
	{ "bridge-add", 1, 1, bridge_add },
	{ "link-up", 1, 1, link_up },
	{ "link-master", 2, 3, link_master },
	{ "link-del", 1, 1, link_del },
	{ "addr-add", 3, 1, addr_add },
	{ "addr-del", 3, 1, addr_del },
	{ "route-add", 2, 2, route_add },
};

/* rtnl SOCK KIND K WORDS...: one request on the socket in slot SOCK. A name
 * longer than the kernel's IFNAMSIZ - 1 is refused as the kernel would. A
 * request that failed (an error the plan ignores, or the run would be over)
 * has nothing for an on-failure step after it to undo. */
int step_rtnl(struct ctx *c, char **w, int n)
{
	(void)n;
	int sock = c->slot_fd[slot_index(w[0])];
	int k = inum(w[2]);
	char **a = &w[3];
	for (size_t j = 0; j < sizeof requests / sizeof requests[0]; j++) {
		const struct request *q = &requests[j];
		if (strcmp(q->kind, w[1]) != 0 || q->words != k)
			continue;
		for (int m = 0; m < k; m++) {
			if ((q->names >> m & 1) && strlen(a[m]) >= IFNAMSIZ) {
				errno = ENAMETOOLONG;
				return -1;
			}
		}
		int rc = q->fn(c, sock, a);
		c->skip_undo = rc < 0; /* for an on-failure that follows: see main.c */
		return rc;
	}
	say("internal error: bad rtnl request in plan: ", w[1], NULL, NULL);
	_exit(1);
}
