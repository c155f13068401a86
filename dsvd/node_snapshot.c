#include "node_snapshot.h"

#include "agent.h"

void node_snapshot_take(const struct agent *a, struct node_snapshot *s)
{
	agent_hpc_pool(a, &s->hpc);
	agent_commodity_pool(a, &s->commodity);
	hpc_usage_of(a->vms, &s->hpc_used);
	commodity_usage_of(a->vms, &s->commodity_used);
	s->hpc_free_cpus = s->hpc.cpus;
	cpu_bits_andnot(&s->hpc_free_cpus, &s->hpc_used.used_cpus);
	s->hpc_free_mem_mib = s->hpc.mem_mib > s->hpc_used.used_mem_mib
				      ? s->hpc.mem_mib - s->hpc_used.used_mem_mib
				      : 0;
	s->commodity_vcpu_capacity =
		cpu_bits_count(&s->commodity.cpus) * s->commodity.overcommit_ratio;
	s->online_cpus = a->topo.online;
	s->mem_total_mib = a->mem_total_mib;
	s->partition = a->partition.active ? &a->partition : NULL;
	s->vms = a->vms;
	s->adopted_vms = a->adopted;
}
