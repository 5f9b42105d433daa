// SPDX-License-Identifier: GPL-2.0
/* Adoption. Enforcement must not blink: a cgroup link is switched to the new
 * program in place (BPF_LINK_UPDATE), so connect() is always hooked. The
 * scheduler links cannot be updated and are re-created: telemetry misses a
 * few microseconds of events, decisions miss nothing. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent/kernel/adopt.h"
#include "agent/kernel/loader.h"
#include "sched.skel.h"
#include "net.skel.h"
#include "redirect.skel.h"

/* Maps that hold only what the programs write again (flows, their zero
 * template, the reverse-NAT cache, each task's counts and cached workload,
 * who runs on each CPU) or counters, which restart from zero as any counter
 * does at a restart. Pinned in another shape (another max_flows or
 * max_tasks, an older version's struct) they are made afresh rather than
 * failing the whole adoption, so such an upgrade can still be a
 * --keep-pinned restart. Everything else must match or adoption refuses. */
static const char *const renewable[] = { "flows", "flow_zero", "revnat", "counters", "cpu_since",
					  "tasks" };

static bool other_shape(const struct bpf_map *m, const char *path)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	bool other;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(renewable) / sizeof(*renewable); i++)
		if (!strcmp(bpf_map__name(m), renewable[i]))
			break;
	if (i == sizeof(renewable) / sizeof(*renewable))
		return false;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	other = bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != bpf_map__type(m) ||
		info.key_size != bpf_map__key_size(m) || info.value_size != bpf_map__value_size(m) ||
		info.max_entries != bpf_map__max_entries(m);
	close(fd);
	return other;
}

void off_adopt_maps(const char *pin_dir, struct bpf_object *obj, bool shared_too, bool load_only)
{
	struct bpf_map *m;
	char path[512];

	bpf_object__for_each_map(m, obj) {
		const char *name = bpf_map__name(m);

		if (bpf_map__is_internal(m))
			continue;
		if (!shared_too && (!strcmp(name, "governed") || !strcmp(name, "counters")))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
		if (access(path, F_OK))
			continue;
		if (!other_shape(m, path)) {
			bpf_map__set_pin_path(m, path);
		} else if (!load_only) {
			unlink(path);	/* a new one is pinned after load */
			fprintf(stderr, "offloadd: %s: pinned with another size or layout; made afresh\n", path);
		}
	}
}

static void drop_link(const char *path)
{
	struct bpf_link *l = bpf_link__open(path);

	if (!l)
		return;
	bpf_link__unpin(l);
	bpf_link__destroy(l);
}

void off_adopt_drop_sched_links(const char *pin_dir)
{
	DIR *d = opendir(pin_dir);
	struct dirent *e;
	char path[512];

	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "link_tp_", 8) && strncmp(e->d_name, "link_raw_", 9))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, e->d_name);
		drop_link(path);
	}
	if (d)
		closedir(d);
}

struct bpf_link *off_adopt_cgroup_link(const char *path, struct bpf_program *prog)
{
	struct bpf_link *l;

	if (access(path, F_OK))
		return NULL;
	l = bpf_link__open(path);
	if (l && bpf_link__update_program(l, prog)) {
		bpf_link__destroy(l);
		return NULL;
	}
	return l;
}

static bool governs(const struct off_bpf *b, uint64_t cgid)
{
	for (uint32_t i = 0; i < b->ncgs; i++)
		if (b->cgs[i].id == cgid)
			return true;
	return false;
}

/* A link of a program this version no longer has (an upgrade dropped it)
 * would keep running the old code: link_PROG_CGID names it. */
static bool known_prog(const struct off_bpf *b, const char *link, const char *us)
{
	char prog[128];
	int n = (int)(us - link) - 5;

	if (n <= 0 || n >= (int)sizeof(prog))
		return false;
	memcpy(prog, link + 5, n);
	prog[n] = '\0';
	return bpf_object__find_program_by_name(b->net->obj, prog) ||
	       (b->redir && bpf_object__find_program_by_name(b->redir->obj, prog));
}

void off_adopt_sweep(const struct off_bpf *b)
{
	int fd = bpf_map__fd(b->sched->maps.governed);
	uint64_t key, next, *prev = NULL;
	DIR *d = opendir(b->pin_dir);
	struct dirent *e;
	char path[512];

	/* Cgroup links are named link_PROG_CGID. */
	while (d && (e = readdir(d))) {
		const char *us = strrchr(e->d_name, '_');

		if (strncmp(e->d_name, "link_", 5) || !us || !us[1] ||
		    (governs(b, strtoull(us + 1, NULL, 10)) && known_prog(b, e->d_name, us)) ||
		    !strncmp(e->d_name, "link_tp_", 8) || !strncmp(e->d_name, "link_raw_", 9))
			continue;
		snprintf(path, sizeof(path), "%s/%s", b->pin_dir, e->d_name);
		drop_link(path);
	}
	if (d)
		closedir(d);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!governs(b, key) && !bpf_map_delete_elem(fd, &key))
			prev = NULL;	/* deleted: start over */
	}
}
