#include "commodity_network.h"

#include <libvirt/virterror.h>
#include <stdio.h>

static const char *libvirt_message(void)
{
	const char *m = virGetLastErrorMessage();
	return m ? m : "unknown libvirt error";
}

const char *network_own_xml(void)
{
	return "<network>\n"
	       "  <name>" COMMODITY_OWN_NETWORK "</name>\n"
	       "  <forward mode='nat'/>\n"
	       "  <bridge name='dsvbr0' stp='on' delay='0'/>\n"
	       "  <ip address='192.168.213.1' netmask='255.255.255.0'>\n"
	       "    <dhcp><range start='192.168.213.10' end='192.168.213.250'/></dhcp>\n"
	       "  </ip>\n"
	       "</network>\n";
}

int network_resolve(virConnectPtr conn, const char *name, char *out, size_t len,
		    struct api_error *err)
{
	const char *want = name ? name : COMMODITY_OWN_NETWORK;
	snprintf(out, len, "%s", want);
	virNetworkPtr net = virNetworkLookupByName(conn, want);
	if (!net && name)
		return api_fail(err, 400, "network",
				"libvirt has no network named '%s' (virsh net-list "
				"--all; leave network out for dsvd's own NAT network)",
				name);
	if (!net) {
		net = virNetworkCreateXML(conn, network_own_xml());
		if (!net)
			return api_fail(err, 503, "network",
					"cannot create dsvd's NAT network %s: %s",
					COMMODITY_OWN_NETWORK, libvirt_message());
	}
	int rc = 0;
	int active = virNetworkIsActive(net);
	if (active != 1 && name)
		rc = api_fail(err, 409, "network",
			      "libvirt network '%s' is not active (virsh net-start "
			      "%s)",
			      name, name);
	else if (active != 1 && virNetworkCreate(net) < 0)
		rc = api_fail(err, 503, "network", "cannot start dsvd's NAT network %s: %s",
			      COMMODITY_OWN_NETWORK, libvirt_message());
	virNetworkFree(net);
	return rc;
}
