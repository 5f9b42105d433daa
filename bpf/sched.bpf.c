// SPDX-License-Identifier: GPL-2.0
/* Scheduler telemetry: CPU time, run-queue wait, wakeups and switches per
 * governed workload, per task and host-wide. tp_btf hooks with raw_tp twins. */
#include "common.bpf.h"

#define PF_EXITING	0x00000004
#define TASK_RUNNING	0

/* Bumped by the agent whenever the governed set changes, so cached
 * task -> workload resolutions are redone. */
volatile __u32 cfg_gen;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);		/* max_workloads + 1, set by the loader */
	__type(key, __u32);
	__type(value, struct off_wl_stats);
} wl_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);		/* min(pid_max, max_tasks), set by the loader */
	__type(key, __u32);
	__type(value, struct off_task);
} tasks SEC(".maps");

/* Who runs on this CPU, since when. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct off_cpu_run);
} cpu_since SEC(".maps");

/* Reads a kernel field: a plain load in tp_btf programs, whose pointers are
 * BTF-typed, and a probe read in their raw_tp twins. `btf` is a constant at
 * every call site, so each program keeps only its own branch; helper calls
 * are what an event costs most. */
#define RD(btf, dst, src) ({						\
	if (btf)							\
		(dst) = (src);						\
	else								\
		bpf_probe_read_kernel(&(dst), sizeof(dst), (const void *)&(src)); \
})

struct task_struct___o {
	volatile long state;
} __attribute__((preserve_access_index));

static __always_inline long task_state(struct task_struct *t, const bool btf)
{
	long state = 0;

	if (bpf_core_field_exists(t->__state)) {
		unsigned int s = 0;

		RD(btf, s, t->__state);
		return s;
	}
	RD(btf, state, ((struct task_struct___o *)t)->state);
	return state;
}

/* The cgroup's id, the key of "governed" and of cgroup links. */
static __always_inline __u64 cgroup_id(struct cgroup *cg, const bool btf)
{
	struct kernfs_node *kn = NULL;
	__u64 id = 0;

	RD(btf, kn, cg->kn);
	if (kn)
		RD(btf, id, kn->id);
	return id;
}

static __always_inline struct cgroup *task_cgroup(struct task_struct *p, const bool btf)
{
	struct css_set *cs = NULL;
	struct cgroup *cg = NULL;

	RD(btf, cs, p->cgroups);
	if (cs)
		RD(btf, cg, cs->dfl_cgrp);
	return cg;
}

/* Before 6.1 a cgroup kept its ancestors' ids, not pointers. */
struct cgroup___ids {
	int level;
	__u64 ancestor_ids[];
} __attribute__((preserve_access_index));

static __always_inline __u64 ancestor_id(struct cgroup *cg, int lvl)
{
	struct cgroup___ids *old = (void *)cg;
	struct cgroup *a = NULL;
	__u64 id = 0;

	if (bpf_core_field_exists(old->ancestor_ids)) {
		bpf_core_read(&id, sizeof(id), &old->ancestor_ids[lvl]);
		return id;
	}
	bpf_core_read(&a, sizeof(a), &cg->ancestors[lvl]);
	return a ? BPF_CORE_READ(a, kn, id) : 0;
}

/* The deepest governed ancestor among absolute levels 1..16, as
 * current_widx() finds it for sockets: a walk up from the task's cgroup
 * stopped 16 levels below a workload, and nesting deeper hid its CPU. Probe
 * reads: the verifier takes no variable index into the flexible array. The
 * result is cached per task (cgid, gen), so this runs on a change only. */
static __always_inline __u32 cgroup_widx(struct cgroup *cg)
{
	int level = BPF_CORE_READ(cg, level);

	for (int lvl = OFF_MAX_CGROUP_DEPTH; lvl >= 1; lvl--) {
		__u64 id;
		__u32 *w;

		if (lvl > level)
			continue;
		id = ancestor_id(cg, lvl);
		w = id ? bpf_map_lookup_elem(&governed, &id) : NULL;
		if (w)
			return *w;
	}
	return OFF_WIDX_HOST;
}

static __always_inline void task_resolve(struct task_struct *p, struct off_task *t, const bool btf)
{
	struct cgroup *cg = task_cgroup(p, btf);
	__u64 cgid = cg ? cgroup_id(cg, btf) : 0;
	__u32 gen = cfg_gen;

	if (t->cgid == cgid && t->gen == gen)
		return;
	t->widx = cg ? cgroup_widx(cg) : OFF_WIDX_HOST;
	t->cgid = cgid;
	t->gen = gen;
}

static __always_inline struct off_task *task_get(struct task_struct *p, __u32 pid, bool create,
						 const bool btf)
{
	struct off_task *t = bpf_map_lookup_elem(&tasks, &pid);

	if (!t) {
		struct off_task init = { .gen = ~0U };

		if (!create)
			return NULL;
		init.tgid = BPF_CORE_READ(p, tgid);
		RD(btf, init.exec, p->se.sum_exec_runtime);	/* what it ran before counts nowhere */
		BPF_CORE_READ_STR_INTO(&init.comm, p, comm);
		if (bpf_map_update_elem(&tasks, &pid, &init, BPF_NOEXIST) == -E2BIG)
			count(OFF_CNT_TASK_FULL);
		t = bpf_map_lookup_elem(&tasks, &pid);
		if (!t)
			return NULL;
	}
	task_resolve(p, t, btf);
	return t;
}

static __always_inline struct off_wl_stats *stats(__u32 widx)
{
	struct off_wl_stats *s = bpf_map_lookup_elem(&wl_stats, &widx);

	if (!s && widx != OFF_WIDX_HOST)
		count(OFF_CNT_WIDX_RANGE);
	return s;
}

/* Kept to one lookup and one clock read: the wakeup is counted when the
 * task reaches a CPU, where switch_in has the workload at hand anyway. */
static __always_inline int on_wakeup(struct task_struct *p, const bool btf)
{
	struct off_task *t;
	__u32 pid = 0;

	RD(btf, pid, p->pid);
	if (!pid)
		return 0;
	t = bpf_map_lookup_elem(&tasks, &pid);
	if (!t)
		t = task_get(p, pid, true, btf);
	if (!t)
		return 0;
	t->enq_ts = bpf_ktime_get_ns();
	t->woken = 1;
	return 0;
}

static __always_inline void account_ran(__u32 widx, __u64 ran)
{
	struct off_wl_stats *s;

	if ((s = stats(OFF_WIDX_HOST))) {
		s->cpu_ns += ran;
		s->switches++;
	}
	if (widx != OFF_WIDX_HOST && (s = stats(widx))) {
		s->cpu_ns += ran;
		s->switches++;
	}
}

static __always_inline void account_wait(__u32 widx, __u64 wait, __u32 woken)
{
	__u32 slot = hist_slot(wait);
	struct off_wl_stats *s;

	if ((s = stats(OFF_WIDX_HOST))) {
		s->rq_wait_ns += wait;
		s->rq_waits++;
		s->rq_hist_us[slot]++;
		s->wakeups += woken;
	}
	if (widx != OFF_WIDX_HOST && (s = stats(widx))) {
		s->rq_wait_ns += wait;
		s->rq_waits++;
		s->rq_hist_us[slot]++;
		s->wakeups += woken;
	}
}

/* The task leaving the CPU, its sum_exec_runtime now exec: charge it the
 * growth since its last switch-out, so a switch this program did not see
 * loses nothing. A preempted task is still runnable, so its run-queue wait
 * starts now. An exiting task (sched_process_exit removed it from "tasks")
 * is charged what it ran since it arrived on this CPU, `slice`. */
static __always_inline void switch_out(struct task_struct *prev, __u32 pid, __u64 now,
				       __u64 exec, __u64 slice, const bool btf)
{
	unsigned int flags = 0;
	struct off_task *t;
	__u64 ran = slice;
	__u32 widx;

	if (!pid)
		return;
	RD(btf, flags, prev->flags);
	t = task_get(prev, pid, !(flags & PF_EXITING), btf);
	if (t) {
		ran = exec > t->exec ? exec - t->exec : 0;
		t->exec = exec;
		t->cpu_ns += ran;
		if (task_state(prev, btf) == TASK_RUNNING) {
			t->enq_ts = now;
			t->woken = 0;
		}
		widx = t->widx;
	} else {
		struct cgroup *cg = task_cgroup(prev, btf);

		widx = cg ? cgroup_widx(cg) : OFF_WIDX_HOST;
	}
	account_ran(widx, ran);
}

/* Returns the workload of the task arriving. */
static __always_inline __u32 switch_in(struct task_struct *next, __u64 now, const bool btf)
{
	struct off_task *t;
	__u32 pid = 0;
	__u64 wait;

	RD(btf, pid, next->pid);
	if (!pid)
		return OFF_WIDX_HOST;
	t = task_get(next, pid, true, btf);
	if (!t)
		return OFF_WIDX_HOST;
	if (!t->enq_ts)
		return t->widx;
	wait = now - t->enq_ts;
	t->enq_ts = 0;
	t->rq_wait_ns += wait;
	account_wait(t->widx, wait, t->woken);
	return t->widx;
}

static __always_inline int on_switch(struct task_struct *prev, struct task_struct *next,
				     const bool btf)
{
	__u64 now = bpf_ktime_get_ns(), slice = 0, exec = 0;
	struct off_cpu_run *run;
	__u32 zero = 0, widx, pid = 0;

	run = bpf_map_lookup_elem(&cpu_since, &zero);
	RD(btf, pid, prev->pid);
	if (pid)	/* the idle task is charged nothing */
		RD(btf, exec, prev->se.sum_exec_runtime);
	if (run && run->since && run->pid == pid && exec > run->exec)
		slice = exec - run->exec;
	switch_out(prev, pid, now, exec, slice, btf);
	widx = switch_in(next, now, btf);
	if (run) {
		run->since = now;
		RD(btf, run->pid, next->pid);
		RD(btf, run->exec, next->se.sum_exec_runtime);
		run->widx = widx;
	}
	return 0;
}

static __always_inline int on_exec(struct task_struct *p, const bool btf)
{
	struct off_task *t;
	__u32 pid = 0;

	RD(btf, pid, p->pid);
	t = bpf_map_lookup_elem(&tasks, &pid);
	if (t)
		BPF_CORE_READ_STR_INTO(&t->comm, p, comm);
	return 0;
}

static __always_inline int on_exit(struct task_struct *p, const bool btf)
{
	__u32 pid = 0;

	RD(btf, pid, p->pid);
	bpf_map_delete_elem(&tasks, &pid);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(tp_wakeup, struct task_struct *p) { return on_wakeup(p, true); }
SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(tp_wakeup_new, struct task_struct *p) { return on_wakeup(p, true); }
SEC("tp_btf/sched_switch")
int BPF_PROG(tp_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(prev, next, true);
}
SEC("tp_btf/sched_process_exec")
int BPF_PROG(tp_exec, struct task_struct *p) { return on_exec(p, true); }
SEC("tp_btf/sched_process_exit")
int BPF_PROG(tp_exit, struct task_struct *p) { return on_exit(p, true); }

SEC("raw_tp/sched_wakeup")
int BPF_PROG(raw_wakeup, struct task_struct *p) { return on_wakeup(p, false); }
SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(raw_wakeup_new, struct task_struct *p) { return on_wakeup(p, false); }
SEC("raw_tp/sched_switch")
int BPF_PROG(raw_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(prev, next, false);
}
SEC("raw_tp/sched_process_exec")
int BPF_PROG(raw_exec, struct task_struct *p) { return on_exec(p, false); }
SEC("raw_tp/sched_process_exit")
int BPF_PROG(raw_exit, struct task_struct *p) { return on_exit(p, false); }
