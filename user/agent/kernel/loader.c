// SPDX-License-Identifier: GPL-2.0
/* Opens the skeletons, sizes maps from options and pid_max, picks tp_btf or
 * raw_tp hooks, loads, attaches, pins; and undoes all of it on any failure. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "offload/abi.h"
#include "sched.skel.h"
#include "net.skel.h"
#include "redirect.skel.h"
#include "agent/kernel/adopt.h"
#include "agent/kernel/libbpf_log.h"
#include "agent/kernel/loader.h"
#include "agent/kernel/pindir.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

static uint32_t pid_max(void)
{
	unsigned long v = 32768;
	FILE *f = fopen("/proc/sys/kernel/pid_max", "r");

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 32768;
		fclose(f);
	}
	return v;
}

/* tp_btf needs the tracepoint's BTF typedef (the kernels that have those have
 * tp_btf). libbpf 1.1's probe of the tracing program type answers wrongly. */
static bool have_tp_btf(const char *btf_path)
{
	struct btf *vmlinux = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	bool ok;

	if (!vmlinux)
		return false;
	ok = btf__find_by_name_kind(vmlinux, "btf_trace_sched_switch", BTF_KIND_TYPEDEF) > 0;
	btf__free(vmlinux);
	return ok;
}

static void pick_hooks(struct off_bpf *b, const struct off_bpf_opts *o)
{
	struct sched_bpf *s = b->sched;
	struct bpf_program *tp[] = { s->progs.tp_wakeup, s->progs.tp_wakeup_new,
		s->progs.tp_switch, s->progs.tp_exec, s->progs.tp_exit };
	struct bpf_program *raw[] = { s->progs.raw_wakeup, s->progs.raw_wakeup_new,
		s->progs.raw_switch, s->progs.raw_exec, s->progs.raw_exit };

	if (o->hooks == OFF_HOOKS_AUTO)
		b->raw_tp = !have_tp_btf(o->btf_path);
	else
		b->raw_tp = o->hooks == OFF_HOOKS_RAW_TP;
	for (size_t i = 0; i < OFF_SCHED_LINKS; i++) {
		bpf_program__set_autoload(tp[i], !b->raw_tp);
		bpf_program__set_autoload(raw[i], b->raw_tp);
	}
}

static int check_btf(const struct off_bpf_opts *o, char *err, size_t errlen)
{
	const char *path = o->btf_path ? o->btf_path : VMLINUX_BTF;

	if (access(path, R_OK) == 0)
		return 0;
	if (o->btf_path)
		snprintf(err, errlen, "%s: cannot read BTF file: %s", path, strerror(errno));
	else
		snprintf(err, errlen, "this kernel has no BTF: %s is missing (build it with CONFIG_DEBUG_INFO_BTF=y, or pass --btf FILE with the kernel's BTF)", path);
	return -ENOENT;
}

static int open_objects(struct off_bpf *b, const struct off_bpf_opts *o, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o->btf_path);
	uint32_t ntasks = pid_max();

	b->sched = sched_bpf__open_opts(&oo);
	b->net = b->sched ? net_bpf__open_opts(&oo) : NULL;
	if (o->redirect && b->net)
		b->redir = redirect_bpf__open_opts(&oo);
	if (!b->sched || !b->net || (o->redirect && !b->redir)) {
		snprintf(err, errlen, "cannot open BPF objects: %s", strerror(errno));
		return -errno;
	}
	if (o->max_tasks < ntasks)
		ntasks = o->max_tasks;
	bpf_map__set_max_entries(b->sched->maps.governed, o->max_workloads);
	bpf_map__set_max_entries(b->sched->maps.wl_stats, o->max_workloads + 1);
	bpf_map__set_max_entries(b->sched->maps.tasks, ntasks);
	bpf_map__set_max_entries(b->net->maps.governed, o->max_workloads);
	bpf_map__set_max_entries(b->net->maps.flows, o->max_flows);
	if (b->redir) {
		bpf_map__set_max_entries(b->redir->maps.governed, o->max_workloads);
		bpf_map__set_max_entries(b->redir->maps.decisions, o->max_workloads + 1);
		bpf_map__set_max_entries(b->redir->maps.wl_services, o->max_workloads + 1);
		/* Live redirected sockets, bounded as flows are. */
		bpf_map__set_max_entries(b->redir->maps.revnat, o->max_flows);
	}
	pick_hooks(b, o);
	return 0;
}

/* The governed set and the counters are one map each, shared by all objects. */
static int share_maps(struct off_bpf *b, struct bpf_object *obj)
{
	int ret;

	ret = bpf_map__reuse_fd(bpf_object__find_map_by_name(obj, "governed"),
				bpf_map__fd(b->sched->maps.governed));
	if (!ret)
		ret = bpf_map__reuse_fd(bpf_object__find_map_by_name(obj, "counters"),
					bpf_map__fd(b->sched->maps.counters));
	return ret;
}

static int load_objects(struct off_bpf *b, char *err, size_t errlen)
{
	int ret;

	off_libbpf_log_reset();
	ret = sched_bpf__load(b->sched);
	if (!ret)
		ret = share_maps(b, b->net->obj);
	if (!ret)
		ret = net_bpf__load(b->net);
	if (!ret && b->redir)
		ret = share_maps(b, b->redir->obj);
	if (!ret && b->redir)
		ret = redirect_bpf__load(b->redir);
	if (ret)
		off_libbpf_log_explain(err, errlen, 8);
	return ret;
}

/* The flows map (and the zeroed flow it is filled from) of another
 * max_flows or of an older struct off_flow: only counts, made afresh. */
static int pin_path(const struct off_bpf *b, char *path, size_t len, const char *name)
{
	int n = snprintf(path, len, "%s/%s", b->pin_dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int pin_dir_make(struct off_bpf *b, const char *dir, char *err, size_t errlen)
{
	if (off_pindir_has_entries(dir)) {
		snprintf(err, errlen, "%s: pinned state already there (is another offloadd running? stop it, or remove the pins with rm -r %s)",
			 dir, dir);
		return -EBUSY;
	}
	snprintf(b->pin_dir, sizeof(b->pin_dir), "%s", dir);
	return 0;
}

static int pin_maps(struct off_bpf *b, struct bpf_object *obj, char *err, size_t errlen)
{
	struct bpf_map *m;
	char path[512];

	bpf_object__for_each_map(m, obj) {
		if (bpf_map__is_internal(m))
			continue;
		if (pin_path(b, path, sizeof(path), bpf_map__name(m)))
			return -ENAMETOOLONG;
		if (access(path, F_OK) == 0)
			continue;	/* shared with sched, pinned from there */
		if (bpf_map__pin(m, path)) {
			snprintf(err, errlen, "%s: cannot pin map: %s", path, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static int pin_link(struct off_bpf *b, struct bpf_link *l, const char *name,
		    char *err, size_t errlen)
{
	char path[512];

	if (!b->pin_dir[0])
		return 0;
	if (pin_path(b, path, sizeof(path), name))
		return -ENAMETOOLONG;
	if (bpf_link__pin(l, path)) {
		snprintf(err, errlen, "%s: cannot pin link: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

static int attach_sched(struct off_bpf *b, char *err, size_t errlen)
{
	struct bpf_program *p;
	size_t i = 0;
	char name[64];
	int ret;

	bpf_object__for_each_program(p, b->sched->obj) {
		struct bpf_link *l;

		if (!bpf_program__autoload(p))
			continue;
		if (i >= OFF_SCHED_LINKS)
			return -E2BIG;
		l = bpf_program__attach(p);
		if (!l) {
			ret = -errno;
			snprintf(err, errlen, "cannot attach %s: %s", bpf_program__name(p), strerror(-ret));
			return ret;
		}
		b->sched_links[i++] = l;
		snprintf(name, sizeof(name), "link_%s", bpf_program__name(p));
		ret = pin_link(b, l, name, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

/* What a load leaves in the system: pins, and the scheduler hooks. */
static int pin_and_attach(struct off_bpf *b, char *err, size_t errlen)
{
	int ret = 0;

	if (b->pin_dir[0])
		ret = pin_maps(b, b->sched->obj, err, errlen);
	if (!ret && b->pin_dir[0])
		ret = pin_maps(b, b->net->obj, err, errlen);
	if (!ret && b->pin_dir[0] && b->redir)
		ret = pin_maps(b, b->redir->obj, err, errlen);
	if (!ret && b->adopted)
		off_adopt_drop_sched_links(b->pin_dir);
	return ret ? ret : attach_sched(b, err, errlen);
}

int off_bpf_load(struct off_bpf *b, const struct off_bpf_opts *o, char *err, size_t errlen)
{
	int ret;

	memset(b, 0, sizeof(*b));
	b->max_workloads = o->max_workloads;
	b->nr_cpus = libbpf_num_possible_cpus();
	off_libbpf_log_init(o->verbose);
	ret = check_btf(o, err, errlen);
	if (ret)
		return ret;
	b->lock_fd = -1;
	/* A load-only check (offloadd check, also before a reload) must not
	 * make, lock or mount anything: a running agent holds the lock. */
	if (o->pin_dir && !o->load_only &&
	    (ret = off_pindir_claim(o->pin_dir, &b->lock_fd, err, errlen)))
		return ret;
	if (o->pin_dir && o->adopt && off_pindir_has_entries(o->pin_dir)) {
		b->adopted = true;
		snprintf(b->pin_dir, sizeof(b->pin_dir), "%s", o->pin_dir);
	} else if (o->pin_dir && !o->load_only) {
		ret = pin_dir_make(b, o->pin_dir, err, errlen);
		if (ret) {
			off_pindir_release(&b->lock_fd);
			return ret;
		}
	}
	ret = open_objects(b, o, err, errlen);
	if (!ret && b->adopted) {
		off_adopt_maps(b->pin_dir, b->sched->obj, true, o->load_only);
		off_adopt_maps(b->pin_dir, b->net->obj, false, o->load_only);
		if (b->redir)
			off_adopt_maps(b->pin_dir, b->redir->obj, false, o->load_only);
	}
	if (!ret)
		ret = load_objects(b, err, errlen);
	if (ret && b->adopted) {
		size_t n = strlen(err);

		snprintf(err + n, errlen - n, "\n%s: cannot adopt this pinned state (made with other map sizes?); remove it with rm -r %s",
			 b->pin_dir, b->pin_dir);
		b->pin_dir[0] = '\0';	/* not ours to remove */
	}
	if (!ret && !o->load_only)
		ret = pin_and_attach(b, err, errlen);
	if (ret)
		off_bpf_destroy(b, !b->adopted);
	return ret;
}

static void cgroup_link_name(char *name, size_t len, const struct bpf_program *p, uint64_t cgid)
{
	snprintf(name, len, "link_%s_%llu", bpf_program__name(p), (unsigned long long)cgid);
}

/* A pinned link lives on through its pin: its fd is let go, so a workload
 * costs no fds (a dozen each would run a default limit of 1024 out near 80
 * workloads). Removing the pin detaches it, as removing the pin directory
 * always did. Without a pin directory the fd is all there is, and is kept. */
static void keep_by_pin(struct off_bpf *b, struct off_cg *cg, struct bpf_link *l)
{
	int fd;

	if (!b->pin_dir[0]) {
		cg->links[cg->nlinks++] = l;
		return;
	}
	fd = bpf_link__fd(l);
	bpf_link__disconnect(l);	/* destroy must not detach it... */
	bpf_link__destroy(l);
	close(fd);			/* ...nor, disconnected, does it close */
	cg->pinned++;
}

/* Attaches every program of OBJ to the cgroup, pinned as link_PROG_CGID. */
static int attach_cgroup(struct off_bpf *b, struct off_cg *cg, struct bpf_object *obj,
			 char *err, size_t errlen)
{
	struct bpf_program *p;
	char name[96], path[512];
	int ret;

	bpf_object__for_each_program(p, obj) {
		struct bpf_link *l;

		if (cg->nlinks + cg->pinned == OFF_CG_LINKS)
			return -E2BIG;
		cgroup_link_name(name, sizeof(name), p, cg->id);
		if (b->adopted && pin_path(b, path, sizeof(path), name) == 0 &&
		    (l = off_adopt_cgroup_link(path, p))) {
			keep_by_pin(b, cg, l);	/* already pinned */
			continue;
		}
		l = bpf_program__attach_cgroup(p, cg->fd);
		if (!l) {
			ret = -errno;
			snprintf(err, errlen, "cannot attach %s to cgroup %llu: %s",
				 bpf_program__name(p), (unsigned long long)cg->id, strerror(-ret));
			return ret;
		}
		ret = pin_link(b, l, name, err, errlen);
		if (ret) {
			cg->links[cg->nlinks++] = l;
			return ret;
		}
		keep_by_pin(b, cg, l);
	}
	return 0;
}

/* Detaches the links only a pin holds. */
static void unpin_cgroup_links(const struct off_bpf *b, const struct off_cg *cg)
{
	struct bpf_object *objs[] = { b->net ? b->net->obj : NULL, b->redir ? b->redir->obj : NULL };
	struct bpf_program *p;
	char name[96], path[512];

	for (size_t i = 0; cg->pinned && i < sizeof(objs) / sizeof(*objs); i++) {
		if (!objs[i])
			continue;
		bpf_object__for_each_program(p, objs[i]) {
			cgroup_link_name(name, sizeof(name), p, cg->id);
			if (!pin_path(b, path, sizeof(path), name))
				unlink(path);
		}
	}
}

int off_bpf_govern(struct off_bpf *b, int cgfd, uint64_t cgid, uint32_t widx,
		   char *err, size_t errlen)
{
	struct off_cg *cg, *cgs;
	int ret;

	if (widx == 0 || widx > b->max_workloads) {
		snprintf(err, errlen, "workload %u is past max_workloads (%u)", widx, b->max_workloads);
		return -E2BIG;
	}
	cgs = realloc(b->cgs, (b->ncgs + 1) * sizeof(*cgs));
	if (!cgs)
		return -ENOMEM;
	b->cgs = cgs;
	cg = &cgs[b->ncgs++];
	*cg = (struct off_cg){ .id = cgid, .widx = widx, .fd = cgfd };
	ret = attach_cgroup(b, cg, b->net->obj, err, errlen);
	if (!ret && b->redir)
		ret = attach_cgroup(b, cg, b->redir->obj, err, errlen);
	if (ret)
		return ret;
	if (!cg->nlinks) {
		close(cg->fd);	/* the links are attached; the pins hold them */
		cg->fd = -1;
	}
	if (bpf_map_update_elem(bpf_map__fd(b->sched->maps.governed), &cgid, &widx, BPF_ANY)) {
		ret = -errno;
		snprintf(err, errlen, "cannot govern cgroup %llu: %s", (unsigned long long)cgid, strerror(-ret));
		return ret;
	}
	b->sched->bss->cfg_gen++;
	return 0;
}

static void link_drop(struct bpf_link *l, bool unpin)
{
	if (!l)
		return;
	if (unpin)
		bpf_link__unpin(l);
	else
		bpf_link__disconnect(l);
	bpf_link__destroy(l);
}

static void unpin_maps(struct bpf_object *obj)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj)
		if (bpf_map__is_pinned(m))
			bpf_map__unpin(m, NULL);
}

void off_bpf_destroy(struct off_bpf *b, bool unpin)
{
	for (size_t i = 0; i < OFF_SCHED_LINKS; i++)
		link_drop(b->sched_links[i], unpin);
	for (uint32_t i = 0; i < b->ncgs; i++) {
		for (uint32_t j = 0; j < b->cgs[i].nlinks; j++)
			link_drop(b->cgs[i].links[j], unpin);
		if (unpin)
			unpin_cgroup_links(b, &b->cgs[i]);
		if (b->cgs[i].fd >= 0)
			close(b->cgs[i].fd);
	}
	free(b->cgs);
	if (unpin && b->sched)
		unpin_maps(b->sched->obj);
	if (unpin && b->net)
		unpin_maps(b->net->obj);
	if (unpin && b->redir)
		unpin_maps(b->redir->obj);
	redirect_bpf__destroy(b->redir);
	net_bpf__destroy(b->net);
	sched_bpf__destroy(b->sched);
	if (unpin && b->pin_dir[0])
		rmdir(b->pin_dir);
	off_pindir_release(&b->lock_fd);
	memset(b, 0, sizeof(*b));
}

int off_bpf_fd_wl_stats(const struct off_bpf *b) { return bpf_map__fd(b->sched->maps.wl_stats); }
int off_bpf_fd_tasks(const struct off_bpf *b) { return bpf_map__fd(b->sched->maps.tasks); }
int off_bpf_fd_flows(const struct off_bpf *b) { return bpf_map__fd(b->net->maps.flows); }
int off_bpf_fd_counters(const struct off_bpf *b) { return bpf_map__fd(b->sched->maps.counters); }
int off_bpf_fd_cpu_since(const struct off_bpf *b) { return bpf_map__fd(b->sched->maps.cpu_since); }

void off_bpf_sweep(const struct off_bpf *b)
{
	if (b->adopted)
		off_adopt_sweep(b);
}
