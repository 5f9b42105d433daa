/* SPDX-License-Identifier: GPL-2.0 */
/* Taking over the pinned state of an agent that exited with --keep-pinned
 * (or died): same maps, same cgroup links, new programs, no gap. */
#ifndef OFFLOAD_AGENT_KERNEL_ADOPT_H
#define OFFLOAD_AGENT_KERNEL_ADOPT_H

#include <stdbool.h>
#include <stdint.h>

struct bpf_object;
struct bpf_map;
struct bpf_program;
struct bpf_link;
struct off_bpf;

/* Points OBJ's maps at their pins so loading reuses them (the shared
 * governed/counters maps come from sched and are skipped elsewhere); a
 * telemetry or cache map pinned in another shape is made afresh instead,
 * its pin removed unless LOAD_ONLY. */
void off_adopt_maps(const char *pin_dir, struct bpf_object *obj, bool shared_too, bool load_only);
/* Detaches and unpins the scheduler hooks' links, of either twin. */
void off_adopt_drop_sched_links(const char *pin_dir);
/* The pinned link at PATH switched to PROG, or NULL if there is none. */
struct bpf_link *off_adopt_cgroup_link(const char *path, struct bpf_program *prog);
/* Detaches cgroups and governed entries no longer in the governed set. */
void off_adopt_sweep(const struct off_bpf *b);

#endif
