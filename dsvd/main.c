/* dsvd: the dsv node agent. Partitions the node, runs HPC VMs (hvmm) and commodity VMs
 * (libvirt), and serves a REST API on a Unix socket. See docs/api.md. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "http_server.h"
#include "shm_mount.h"
#include "ticker.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dsvd [options]\n"
		"Runs the dsv node agent in the foreground until SIGTERM/SIGINT. VMs keep running\n"
		"when the agent stops; a restarted agent re-adopts them.\n\n"
		"  --socket PATH          API socket (default /run/dsv/dsvd.sock, mode 0660); a "
		"stale\n"
		"                         socket is replaced, anything else at PATH is refused\n"
		"  --group NAME           group allowed on the socket besides root\n"
		"  --state-dir DIR        VM records and partition state (default /var/lib/dsv)\n"
		"  --config FILE          node settings (default /etc/dsv/node.json, optional): "
		"the\n"
		"                         partition, share_roots, console_max_kib (docs/api.md)\n"
		"  --no-apply-config      do not apply the config file's partition at start\n"
		"  --overcommit-ratio N   commodity vCPUs per CPU (default: config file, else 4)\n"
		"  --hvmm PATH            the HPC VMM (default %s)\n"
		"  --shm-group-mib N      size of each shm_group's /dev/shm, a tmpfs of its own\n"
		"                         (default %d, at most %d; dsvd must be root to mount it)\n"
		"  --default-kernel PATH  commodity guest kernel (default %s)\n"
		"  --libvirt-uri URI      (default qemu:///system)\n"
		"  --host-root DIR        prefix for /sys and /proc (tests; default $DSV_HOST_ROOT "
		"or /)\n"
		"  --help, --version\n\n"
		"Exit status: 0 after a clean stop, 1 when it cannot start, 2 on bad usage.\n",
		DSVD_DEFAULT_HVMM, SHM_MOUNT_MIB_DEFAULT, SHM_MOUNT_MIB_MAX, DSVD_DEFAULT_KERNEL);
}

static int parse_options(int argc, char **argv, struct agent_options *o)
{
	enum {
		O_SOCKET = 256,
		O_GROUP,
		O_STATE,
		O_CONFIG,
		O_NOAPPLY,
		O_RATIO,
		O_HVMM,
		O_KERNEL,
		O_URI,
		O_ROOT,
		O_SHM_MIB,
		O_HELP,
		O_VERSION
	};
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "group", required_argument, NULL, O_GROUP },
		{ "state-dir", required_argument, NULL, O_STATE },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "no-apply-config", no_argument, NULL, O_NOAPPLY },
		{ "overcommit-ratio", required_argument, NULL, O_RATIO },
		{ "hvmm", required_argument, NULL, O_HVMM },
		{ "default-kernel", required_argument, NULL, O_KERNEL },
		{ "libvirt-uri", required_argument, NULL, O_URI },
		{ "host-root", required_argument, NULL, O_ROOT },
		{ "shm-group-mib", required_argument, NULL, O_SHM_MIB },
		{ "help", no_argument, NULL, O_HELP },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	*o = (struct agent_options){
		.state_dir = "/var/lib/dsv",
		.socket_path = "/run/dsv/dsvd.sock",
		.config_path = "/etc/dsv/node.json",
		.hvmm_path = DSVD_DEFAULT_HVMM,
		.default_kernel = DSVD_DEFAULT_KERNEL,
		.libvirt_uri = "qemu:///system",
		.shm_group_mib = SHM_MOUNT_MIB_DEFAULT,
	};
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		char *end;
		switch (c) {
		case O_SOCKET:
			o->socket_path = optarg;
			break;
		case O_GROUP:
			o->socket_group = optarg;
			break;
		case O_STATE:
			o->state_dir = optarg;
			break;
		case O_CONFIG:
			o->config_path = optarg;
			break;
		case O_NOAPPLY:
			o->no_apply_config = true;
			break;
		case O_RATIO: {
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || v < 1 || v > NODE_OVERCOMMIT_MAX) {
				fprintf(stderr, "dsvd: --overcommit-ratio: '%s' is not in 1..%d\n",
					optarg, NODE_OVERCOMMIT_MAX);
				return -1;
			}
			o->overcommit_ratio = (unsigned)v;
			break;
		}
		case O_HVMM:
			o->hvmm_path = optarg;
			break;
		case O_KERNEL:
			o->default_kernel = optarg;
			break;
		case O_URI:
			o->libvirt_uri = optarg;
			break;
		case O_ROOT:
			o->host_root = optarg;
			break;
		case O_SHM_MIB:
			if (shm_mount_parse_mib(optarg, &o->shm_group_mib) < 0) {
				fprintf(stderr,
					"dsvd: --shm-group-mib: '%s' is not a size in MiB in "
					"1..%d\n",
					optarg, SHM_MOUNT_MIB_MAX);
				return -1;
			}
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		case O_VERSION:
			printf("dsvd %s\n", DSVD_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dsvd: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

static void make_parent_dir(const char *path)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
}

int main(int argc, char **argv)
{
	struct agent_options opts;
	if (parse_options(argc, argv, &opts) < 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL); /* inherited by the server thread */

	static struct agent agent;
	char err[1024];
	if (agent_init(&agent, &opts, err, sizeof(err)) < 0) {
		fprintf(stderr, "dsvd: %s\n", err);
		return 1;
	}
	make_parent_dir(opts.socket_path);
	struct http_server *server = http_server_start(&agent, opts.socket_path, err, sizeof(err));
	if (!server) {
		fprintf(stderr, "dsvd: %s\n", err);
		agent_fini(&agent);
		return 1;
	}
	struct ticker *ticker = ticker_start(&agent, err, sizeof(err));
	if (!ticker) {
		fprintf(stderr, "dsvd: %s\n", err);
		http_server_stop(server);
		agent_fini(&agent);
		return 1;
	}
	fprintf(stderr, "dsvd: listening on %s (state %s, %u VM(s) re-adopted, partition %s)\n",
		opts.socket_path, agent.state_dir, agent.adopted,
		agent.partition.active ? "applied" : "none");
	int sig = 0;
	sigwait(&stop, &sig);
	fprintf(stderr, "dsvd: signal %d, stopping (VMs keep running)\n", sig);
	ticker_stop(ticker);
	http_server_stop(server);
	agent_fini(&agent);
	return 0;
}
