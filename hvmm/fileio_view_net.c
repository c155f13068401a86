/*
 * The network part of the guest's /proc and /sys view, written only under --net host: the
 * interfaces of hvmm's network namespace (the one the program's sockets use) as
 * /sys/class/net/NAME, a link to the device's directory as in sysfs, with the attributes MPI
 * transports read (UCX lists the directory, takes its links, then asks each interface by
 * ioctl), /proc/net/route (which interface holds the default
 * route) and /proc/sys/net/core/somaxconn. They come from the namespace itself (netlink,
 * ioctl, /proc/self/net), not from a /sys that may have been mounted for another one.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fileio_int.h"

#define NET_FILE_MAX (64u << 10)

static int put_text(int root, const char *rel, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int put_text(int root, const char *rel, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EOVERFLOW;
	return fio_view_put(root, rel, buf, (size_t)n);
}

/* One interface: what `ip link` would say of it, from the same kernel answers. */
static int put_interface(int root, int sock, const struct if_nameindex *ifn)
{
	char dir[IF_NAMESIZE + 32];
	char rel[IF_NAMESIZE + 64];
	struct ifreq ifr;
	int r;

	/* sysfs puts every interface of the namespace under devices/ and links it from
	 * class/net; UCX skips class/net entries that are not links */
	snprintf(dir, sizeof(dir), "sys/devices/virtual/net/%s", ifn->if_name);
	snprintf(rel, sizeof(rel), "sys/class/net/%s", ifn->if_name);
	char target[IF_NAMESIZE + 32];
	snprintf(target, sizeof(target), "../../devices/virtual/net/%s", ifn->if_name);
	if ((r = fio_view_link(root, rel, target)))
		return r;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifn->if_name);
	snprintf(rel, sizeof(rel), "%s/ifindex", dir);
	if ((r = put_text(root, rel, "%u\n", ifn->if_index)))
		return r;
	if (ioctl(sock, SIOCGIFMTU, &ifr) == 0) {
		snprintf(rel, sizeof(rel), "%s/mtu", dir);
		if ((r = put_text(root, rel, "%d\n", ifr.ifr_mtu)))
			return r;
	}
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) == 0) {
		unsigned flags = (unsigned short)ifr.ifr_flags;
		snprintf(rel, sizeof(rel), "%s/flags", dir);
		if ((r = put_text(root, rel, "0x%x\n", flags)))
			return r;
		snprintf(rel, sizeof(rel), "%s/operstate", dir);
		/* the loopback device reports no carrier state: "unknown", as sysfs says */
		if ((r = put_text(root, rel, "%s\n",
				  !(flags & IFF_UP)	 ? "down"
				  : flags & IFF_LOOPBACK ? "unknown"
							 : "up")))
			return r;
	}
	if (ioctl(sock, SIOCGIFHWADDR, &ifr) == 0) {
		const unsigned char *a = (const unsigned char *)ifr.ifr_hwaddr.sa_data;
		snprintf(rel, sizeof(rel), "%s/type", dir);
		if ((r = put_text(root, rel, "%u\n", (unsigned)ifr.ifr_hwaddr.sa_family)))
			return r;
		snprintf(rel, sizeof(rel), "%s/address", dir);
		if ((r = put_text(root, rel, "%02x:%02x:%02x:%02x:%02x:%02x\n", a[0], a[1], a[2],
				  a[3], a[4], a[5])))
			return r;
	}
	return 0;
}

/* A small /proc file of this network namespace, copied as it is now. */
static int copy_proc(int root, const char *from, const char *rel)
{
	static char buf[NET_FILE_MAX];
	int fd = open(from, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* a kernel without it: the view lacks it too */
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)n;
	close(fd);
	return fio_view_put(root, rel, buf, len);
}

int fio_view_put_net(int root)
{
	struct if_nameindex *ifs = if_nameindex();
	if (!ifs)
		return -errno;
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r = sock < 0 ? -errno : 0;
	for (struct if_nameindex *i = ifs; !r && i->if_index; i++)
		if (strchr(i->if_name, '/') == NULL && i->if_name[0] != '.')
			r = put_interface(root, sock, i);
	if (sock >= 0)
		close(sock);
	if_freenameindex(ifs);
	if (!r)
		r = copy_proc(root, "/proc/self/net/route", "proc/net/route");
	if (!r)
		r = copy_proc(root, "/proc/self/net/if_inet6", "proc/net/if_inet6");
	if (!r)
		r = copy_proc(root, "/proc/sys/net/core/somaxconn", "proc/sys/net/core/somaxconn");
	return r;
}
