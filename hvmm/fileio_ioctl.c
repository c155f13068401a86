/*
 * Descriptor offload: ioctl, a whitelist of requests with their argument layouts
 * (docs/abi.md "ioctl"). hvmm never hands the host kernel a guest structure: each argument
 * is copied by its known size, nested pointers (SIOCGIFCONF's buffer, SIOCETHTOOL's data)
 * are GPAs checked against guest RAM and the lwk's bound, and the host kernel writes into
 * hvmm's copies, which go back afterwards. Any other request is ENOTTY, as Linux answers an
 * ioctl a file does not know.
 */
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <dsv/sockio.h>
#include "fileio_int.h"

_Static_assert(sizeof(struct ifreq) == DSV_IFREQ, "struct ifreq must be the x86-64 layout");
_Static_assert(sizeof(struct ifconf) == DSV_IFCONF, "struct ifconf must be the x86-64 layout");
_Static_assert(sizeof(struct ethtool_cmd) == 44, "struct ethtool_cmd layout");
_Static_assert(sizeof(struct ethtool_link_settings) == 48, "struct ethtool_link_settings layout");

#define IFREQ_DATA DSV_IFREQ_DATA

static int is_socket(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* FIONREAD and FIONBIO: one int, out or in; any descriptor, as on Linux. */
static int64_t int_request(const struct fio_call *c, unsigned long req)
{
	int v = 0;
	if (req == FIONBIO) {
		const void *p = fio_gbuf(c->gm, c->a[2], sizeof(v));
		if (!p)
			return -EFAULT;
		memcpy(&v, p, sizeof(v));
		return fio_res(ioctl(c->file->fd, FIONBIO, &v));
	}
	if (!fio_gbuf(c->gm, c->a[2], sizeof(v)))
		return -EFAULT;
	if (ioctl(c->file->fd, FIONREAD, &v) < 0)
		return -errno;
	return fio_put_guest(c->gm, c->a[2], &v, sizeof(v));
}

/* The SIOCGIF* requests that read one interface by name (or, SIOCGIFNAME, by index). */
static int64_t ifreq_request(const struct fio_call *c, unsigned long req)
{
	struct ifreq ifr;
	const void *p = fio_gbuf(c->gm, c->a[2], sizeof(ifr));
	if (!p)
		return -EFAULT;
	if (!c->fio->net_host)
		return -ENODEV; /* --net none: no interface is the guest's to see */
	memcpy(&ifr, p, sizeof(ifr));
	if (ioctl(c->file->fd, req, &ifr) < 0)
		return -errno;
	return fio_put_guest(c->gm, c->a[2], &ifr, sizeof(ifr));
}

/* SIOCGIFCONF: struct ifconf whose ifc_buf is the GPA of ifc_len bytes (or 0: the length
 * needed); at most DSV_IFCONF_MAX bytes are filled, a shorter list as Linux gives when the
 * buffer is short. */
static int64_t ifconf_request(const struct fio_call *c)
{
	struct {
		int32_t len, pad;
		uint64_t buf;
	} g;
	void *p = fio_gbuf(c->gm, c->a[2], sizeof(g));
	if (!p)
		return -EFAULT;
	memcpy(&g, p, sizeof(g));
	if (g.len < 0)
		return -EINVAL;
	uint32_t room = g.buf ? (uint32_t)g.len : 0;
	if (room > DSV_IFCONF_MAX)
		room = DSV_IFCONF_MAX;
	if (g.buf && (uint64_t)g.len > c->a[3])
		return -EFAULT; /* beyond what the lwk checked */
	void *dst = g.buf ? fio_gbuf(c->gm, g.buf, room) : NULL;
	if (g.buf && !dst)
		return -EFAULT;
	struct ifconf ifc = { .ifc_len = (int)room };
	if (g.buf && !(ifc.ifc_buf = malloc(room ? room : 1)))
		return -ENOMEM;
	int64_t r = 0;
	if (!c->fio->net_host)
		ifc.ifc_len = 0; /* --net none: no interfaces */
	else if (ioctl(c->file->fd, SIOCGIFCONF, &ifc) < 0)
		r = -errno;
	if (!r && g.buf)
		memcpy(dst, ifc.ifc_buf, (size_t)ifc.ifc_len);
	free(ifc.ifc_buf);
	if (r)
		return r;
	int32_t len = ifc.ifc_len;
	memcpy(p, &len, sizeof(len)); /* checked above */
	return 0;
}

/* SIOCETHTOOL: an ifreq whose ifr_data is the GPA of the command; GSET and GLINKSETTINGS
 * only (reads: nothing about the link can be changed). c->a[3]: the bytes at ifr_data the
 * lwk checked; a command that needs more is refused. */
static int64_t ethtool_request(const struct fio_call *c)
{
	struct ifreq ifr;
	const void *p = fio_gbuf(c->gm, c->a[2], sizeof(ifr));
	if (!p)
		return -EFAULT;
	memcpy(&ifr, p, sizeof(ifr));
	uint64_t data;
	memcpy(&data, (char *)&ifr + IFREQ_DATA, sizeof(data));
	union {
		struct ethtool_cmd gset;
		struct ethtool_link_settings ls;
		unsigned char bytes[sizeof(struct ethtool_link_settings) + 3 * 4 * 127];
	} buf;
	const void *src = fio_gbuf(c->gm, data, sizeof(uint32_t));
	if (!src)
		return -EFAULT;
	uint32_t cmd;
	memcpy(&cmd, src, sizeof(cmd));
	int8_t nwords = 0;
	size_t size;
	if (cmd == ETHTOOL_GSET) {
		size = sizeof(buf.gset);
	} else if (cmd == ETHTOOL_GLINKSETTINGS) {
		if (!(src = fio_gbuf(c->gm, data, sizeof(buf.ls))))
			return -EFAULT;
		memcpy(&buf.ls, src, sizeof(buf.ls));
		nwords = buf.ls.link_mode_masks_nwords;
		size = sizeof(buf.ls) + (nwords > 0 ? 3 * 4 * (size_t)nwords : 0);
	} else {
		return -EOPNOTSUPP; /* Linux's answer to a command a device lacks */
	}
	if (size > c->a[3])
		return -EFAULT;
	void *g = fio_gbuf(c->gm, data, size);
	if (!g)
		return -EFAULT;
	if (!c->fio->net_host)
		return -ENODEV;
	memcpy(&buf, g, size);
	/* Another vCPU may have changed the guest's bytes since they were checked: the kernel
	 * acts on the checked command and size (GSTRINGS there would overrun buf). */
	buf.gset.cmd = cmd;
	if (cmd == ETHTOOL_GLINKSETTINGS)
		buf.ls.link_mode_masks_nwords = nwords;
	ifr.ifr_data = (void *)&buf;
	if (ioctl(c->file->fd, SIOCETHTOOL, &ifr) < 0)
		return -errno;
	memcpy(g, &buf, size);
	return 0;
}

int64_t fio_ioctl(const struct fio_call *c)
{
	unsigned long req = (uint32_t)c->a[1];
	switch (req) {
	case FIONREAD:
	case FIONBIO:
		return int_request(c, req);
	case SIOCGIFFLAGS:
	case SIOCGIFADDR:
	case SIOCGIFNETMASK:
	case SIOCGIFBRDADDR:
	case SIOCGIFMTU:
	case SIOCGIFHWADDR:
	case SIOCGIFINDEX:
	case SIOCGIFNAME:
	case SIOCGIFCONF:
	case SIOCETHTOOL:
		if (!is_socket(c->file->fd))
			return -ENOTTY; /* Linux: a socket request on another file */
		return req == SIOCGIFCONF   ? ifconf_request(c)
		       : req == SIOCETHTOOL ? ethtool_request(c)
					    : ifreq_request(c, req);
	default:
		return -ENOTTY;
	}
}
