/* The libvirt network a cloud VM's virtio NIC joins: one the operator names, or dsvd's own NAT
 * network (dsv-nat, created on first use, transient: it goes with libvirtd). */
#ifndef DSVD_COMMODITY_NETWORK_H
#define DSVD_COMMODITY_NETWORK_H

#include <libvirt/libvirt.h>
#include <stddef.h>

#include "api_error.h"

#define COMMODITY_OWN_NETWORK "dsv-nat"

/* The network's XML for dsvd's own NAT network (DHCP on 192.168.213.0/24). */
const char *network_own_xml(void);
/* name NULL: dsvd's own, created or started when needed. A named one must exist (400) and be
 * active (409). out gets the name to use. */
int network_resolve(virConnectPtr conn, const char *name, char *out, size_t len,
		    struct api_error *err);

#endif
