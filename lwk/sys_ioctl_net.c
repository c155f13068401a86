/* Socket ioctls, offloaded to the VMM (DSV_HC_IOCTL; docs/abi.md "ioctl"): a whitelist
 * with each request's argument layout. Structures the VMM reads back after a check here
 * (ifconf, and the ifreq of SIOCETHTOOL, whose nested pointers become GPAs) are kernel
 * copies, so another thread cannot move a pointer or widen a length the kernel checked. */
#include "syscall.h"
#include "host.h"
#include "uaccess.h"
#include <dsv/fileio.h>
#include <dsv/sockio.h>

#define FIONREAD 0x541b
#define FIONBIO 0x5421
#define SIOCGIFNAME 0x8910
#define SIOCGIFCONF 0x8912
#define SIOCGIFFLAGS 0x8913
#define SIOCGIFADDR 0x8915
#define SIOCGIFBRDADDR 0x8919
#define SIOCGIFNETMASK 0x891b
#define SIOCGIFMTU 0x8921
#define SIOCGIFHWADDR 0x8927
#define SIOCGIFINDEX 0x8933
#define SIOCETHTOOL 0x8946
#define ETHTOOL_GSET 0x01
#define ETHTOOL_GLINKSETTINGS 0x4c
#define ETHTOOL_CMD_SIZE 44    /* struct ethtool_cmd */
#define ETHTOOL_LINK_SIZE 48   /* struct ethtool_link_settings, before its masks */
#define ETHTOOL_LINK_NWORDS 15 /* offset of its s8 link_mode_masks_nwords */

static uint64_t gpa(uint64_t uva)
{
	return user_to_phys(uva);
}
static uint64_t kgpa(const void *k)
{
	return virt_to_phys(k);
}

/* struct ifconf: ifc_len and the buffer it describes (NULL: the length needed). */
static int64_t ifconf(uint64_t fd, uint64_t arg)
{
	struct {
		int32_t len, pad;
		uint64_t buf;
	} k;
	if (!user_ok(arg, DSV_IFCONF))
		return -EFAULT;
	memcpy(&k, (const void *)arg, sizeof(k));
	uint64_t checked = 0;
	if (k.buf) {
		if (k.len < 0)
			return -EINVAL;
		if (!user_ok(k.buf, (uint32_t)k.len))
			return -EFAULT;
		k.buf = gpa(k.buf);
		checked = (uint32_t)k.len;
	}
	int64_t ret = host_call(DSV_HC_IOCTL, fd, SIOCGIFCONF, kgpa(&k), checked, 0, 0);
	if (ret == 0)
		*(volatile int32_t *)arg = k.len;
	return ret;
}

/* SIOCETHTOOL: the command at ifr_data decides how many bytes it spans. */
static int64_t ethtool(uint64_t fd, uint64_t arg)
{
	uint8_t ifr[DSV_IFREQ];
	uint64_t data, size;
	if (!user_ok(arg, DSV_IFREQ))
		return -EFAULT;
	memcpy(ifr, (const void *)arg, sizeof(ifr));
	memcpy(&data, ifr + DSV_IFREQ_DATA, sizeof(data));
	if (!user_ok(data, 4))
		return -EFAULT;
	uint32_t cmd = *(volatile uint32_t *)data;
	if (cmd == ETHTOOL_GSET) {
		size = ETHTOOL_CMD_SIZE;
	} else if (cmd == ETHTOOL_GLINKSETTINGS) {
		if (!user_ok(data, ETHTOOL_LINK_SIZE))
			return -EFAULT;
		int8_t n = *(volatile int8_t *)(data + ETHTOOL_LINK_NWORDS);
		size = ETHTOOL_LINK_SIZE + (n > 0 ? 12u * (uint64_t)n : 0);
	} else {
		return -EOPNOTSUPP; /* only reads are offered */
	}
	if (!user_ok(data, size))
		return -EFAULT;
	uint64_t g = gpa(data);
	memcpy(ifr + DSV_IFREQ_DATA, &g, sizeof(g));
	return host_call(DSV_HC_IOCTL, fd, SIOCETHTOOL, kgpa(ifr), size, 0, 0);
}

int64_t net_ioctl(uint64_t fd, uint32_t req, uint64_t arg)
{
	switch (req) {
	case FIONREAD:
	case FIONBIO:
		if (!user_ok(arg, 4))
			return -EFAULT;
		return host_call(DSV_HC_IOCTL, fd, req, gpa(arg), 0, 0, 0);
	case SIOCGIFNAME:
	case SIOCGIFFLAGS:
	case SIOCGIFADDR:
	case SIOCGIFBRDADDR:
	case SIOCGIFNETMASK:
	case SIOCGIFMTU:
	case SIOCGIFHWADDR:
	case SIOCGIFINDEX:
		if (!user_ok(arg, DSV_IFREQ))
			return -EFAULT;
		return host_call(DSV_HC_IOCTL, fd, req, gpa(arg), 0, 0, 0);
	case SIOCGIFCONF:
		return ifconf(fd, arg);
	case SIOCETHTOOL:
		return ethtool(fd, arg);
	default:
		return -ENOTTY;
	}
}
