/* SPDX-License-Identifier: GPL-2.0 */
/* Loading, attaching and pinning offloadd's BPF programs. */
#ifndef OFFLOAD_AGENT_KERNEL_LOADER_H
#define OFFLOAD_AGENT_KERNEL_LOADER_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <bpf/bpf.h>

struct sched_bpf;
struct net_bpf;
struct redirect_bpf;
struct bpf_link;

enum off_hooks {
	OFF_HOOKS_AUTO,		/* tp_btf when the kernel has it, else raw_tp */
	OFF_HOOKS_TP_BTF,
	OFF_HOOKS_RAW_TP,
};

struct off_bpf_opts {
	uint32_t max_workloads;
	uint32_t max_tasks;	/* capped by kernel.pid_max */
	uint32_t max_flows;
	enum off_hooks hooks;
	const char *btf_path;	/* NULL: /sys/kernel/btf/vmlinux */
	const char *pin_dir;	/* NULL: don't pin */
	bool verbose;		/* libbpf debug output to stderr */
	bool redirect;		/* also load the enforcement programs */
	bool adopt;		/* take over pinned state instead of refusing it */
	/* Load (the verifier's verdict) and leave nothing behind: attach
	 * nothing, pin nothing, make no pin_dir; with adopt, load against
	 * its pinned maps as a restart would, changing none of them. */
	bool load_only;
};

#define OFF_BPF_OPTS_DEFAULT { .max_workloads = 256, .max_tasks = 65536, \
			       .max_flows = 16384, .pin_dir = OFF_PIN_DIR }

#define OFF_CG_LINKS 12	/* net's 2 programs + redirect's 9, with room */

struct off_cg {
	uint64_t id;
	uint32_t widx;
	int fd;				/* -1 once its links are pinned */
	uint32_t nlinks;		/* held by fd: no pin directory */
	uint32_t pinned;		/* held by their pins alone */
	struct bpf_link *links[OFF_CG_LINKS];
};

#define OFF_SCHED_LINKS 5

struct off_bpf {
	struct sched_bpf *sched;
	struct net_bpf *net;
	struct redirect_bpf *redir;	/* NULL unless opts.redirect */
	struct bpf_link *sched_links[OFF_SCHED_LINKS];
	struct off_cg *cgs;
	uint32_t ncgs;
	uint32_t max_workloads;
	bool raw_tp;
	bool adopted;		/* took over a previous agent's pins */
	int nr_cpus;
	int lock_fd;		/* the pin directory, locked; 0 or -1: none */
	char pin_dir[256];
};

/* Opens, sizes and loads every program, attaches the scheduler hooks
 * (unless load_only) and, with a pin_dir, pins maps and links. On failure nothing stays loaded or
 * pinned and err says which program failed and why. */
int off_bpf_load(struct off_bpf *b, const struct off_bpf_opts *o, char *err, size_t errlen);

/* Governs the cgroup open on CGFD (id CGID) as workload WIDX (1-based). */
int off_bpf_govern(struct off_bpf *b, int cgfd, uint64_t cgid, uint32_t widx,
		   char *err, size_t errlen);

/* After governing every cgroup of an adopted state: detach the rest. */
void off_bpf_sweep(const struct off_bpf *b);

/* Detaches everything; with unpin, also removes the pins. */
void off_bpf_destroy(struct off_bpf *b, bool unpin);

/* Map fds the collector reads. */
int off_bpf_fd_wl_stats(const struct off_bpf *b);
int off_bpf_fd_tasks(const struct off_bpf *b);
int off_bpf_fd_flows(const struct off_bpf *b);
int off_bpf_fd_counters(const struct off_bpf *b);
int off_bpf_fd_cpu_since(const struct off_bpf *b);

/* Sets k to v in the map at fd; -errno, or fd itself when it is one. */
static inline int off_map_put(int fd, const void *k, const void *v)
{
	if (fd < 0)
		return fd;
	return bpf_map_update_elem(fd, k, v, BPF_ANY) ? -errno : 0;
}

#endif
