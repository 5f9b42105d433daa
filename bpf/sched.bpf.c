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

/* When the task now on this CPU started running. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} cpu_since SEC(".maps");

struct task_struct___o {
	volatile long state;
} __attribute__((preserve_access_index));

static __always_inline long task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___o *)t, state);
}

/* Deepest governed ancestor of a cgroup, or the host. `self` is the first
 * member of struct cgroup, so a parent css is its cgroup. */
static __always_inline __u32 cgroup_widx(struct cgroup *cg)
{
	for (int i = 0; i < OFF_MAX_CGROUP_DEPTH && cg; i++) {
		__u64 id = BPF_CORE_READ(cg, kn, id);
		__u32 *w = bpf_map_lookup_elem(&governed, &id);

		if (w)
			return *w;
		cg = (struct cgroup *)BPF_CORE_READ(cg, self.parent);
	}
	return OFF_WIDX_HOST;
}

static __always_inline void task_resolve(struct task_struct *p, struct off_task *t)
{
	struct cgroup *cg = BPF_CORE_READ(p, cgroups, dfl_cgrp);
	__u64 cgid = BPF_CORE_READ(cg, kn, id);
	__u32 gen = cfg_gen;

	if (t->cgid == cgid && t->gen == gen)
		return;
	t->widx = cgroup_widx(cg);
	t->cgid = cgid;
	t->gen = gen;
}

static __always_inline struct off_task *task_get(struct task_struct *p, __u32 pid, bool create)
{
	struct off_task *t = bpf_map_lookup_elem(&tasks, &pid);

	if (!t) {
		struct off_task init = { .gen = ~0U };

		if (!create)
			return NULL;
		init.tgid = BPF_CORE_READ(p, tgid);
		BPF_CORE_READ_STR_INTO(&init.comm, p, comm);
		if (bpf_map_update_elem(&tasks, &pid, &init, BPF_NOEXIST) == -E2BIG)
			count(OFF_CNT_TASK_FULL);
		t = bpf_map_lookup_elem(&tasks, &pid);
		if (!t)
			return NULL;
	}
	task_resolve(p, t);
	return t;
}

static __always_inline struct off_wl_stats *stats(__u32 widx)
{
	struct off_wl_stats *s = bpf_map_lookup_elem(&wl_stats, &widx);

	if (!s && widx != OFF_WIDX_HOST)
		count(OFF_CNT_WIDX_RANGE);
	return s;
}

static __always_inline int on_wakeup(struct task_struct *p)
{
	__u32 pid = BPF_CORE_READ(p, pid);
	struct off_wl_stats *s;
	struct off_task *t;

	if (!pid)
		return 0;
	t = task_get(p, pid, true);
	if (!t)
		return 0;
	t->enq_ts = bpf_ktime_get_ns();
	if ((s = stats(OFF_WIDX_HOST)))
		s->wakeups++;
	if (t->widx != OFF_WIDX_HOST && (s = stats(t->widx)))
		s->wakeups++;
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

static __always_inline void account_wait(__u32 widx, __u64 wait)
{
	__u32 slot = hist_slot(wait);
	struct off_wl_stats *s;

	if ((s = stats(OFF_WIDX_HOST))) {
		s->rq_wait_ns += wait;
		s->rq_waits++;
		s->rq_hist_us[slot]++;
	}
	if (widx != OFF_WIDX_HOST && (s = stats(widx))) {
		s->rq_wait_ns += wait;
		s->rq_waits++;
		s->rq_hist_us[slot]++;
	}
}

/* The task leaving the CPU: charge it the time since it arrived. A preempted
 * task is still runnable, so its run-queue wait starts now. An exiting task
 * is charged but not re-added to "tasks" (sched_process_exit removed it). */
static __always_inline void switch_out(struct task_struct *prev, __u64 now, __u64 ran)
{
	__u32 pid = BPF_CORE_READ(prev, pid);
	bool exiting = BPF_CORE_READ(prev, flags) & PF_EXITING;
	struct off_task *t;
	__u32 widx;

	if (!pid)
		return;
	t = task_get(prev, pid, !exiting);
	if (t) {
		t->cpu_ns += ran;
		if (task_state(prev) == TASK_RUNNING)
			t->enq_ts = now;
		widx = t->widx;
	} else {
		widx = cgroup_widx(BPF_CORE_READ(prev, cgroups, dfl_cgrp));
	}
	account_ran(widx, ran);
}

static __always_inline void switch_in(struct task_struct *next, __u64 now)
{
	__u32 pid = BPF_CORE_READ(next, pid);
	struct off_task *t;
	__u64 wait;

	if (!pid)
		return;
	t = task_get(next, pid, true);
	if (!t || !t->enq_ts)
		return;
	wait = now - t->enq_ts;
	t->enq_ts = 0;
	t->rq_wait_ns += wait;
	account_wait(t->widx, wait);
}

static __always_inline int on_switch(struct task_struct *prev, struct task_struct *next)
{
	__u64 now = bpf_ktime_get_ns(), ran = 0;
	__u32 zero = 0;
	__u64 *since = bpf_map_lookup_elem(&cpu_since, &zero);

	if (since) {
		if (*since)
			ran = now - *since;
		*since = now;
	}
	switch_out(prev, now, ran);
	switch_in(next, now);
	return 0;
}

static __always_inline int on_exec(struct task_struct *p)
{
	__u32 pid = BPF_CORE_READ(p, pid);
	struct off_task *t = bpf_map_lookup_elem(&tasks, &pid);

	if (t)
		BPF_CORE_READ_STR_INTO(&t->comm, p, comm);
	return 0;
}

static __always_inline int on_exit(struct task_struct *p)
{
	__u32 pid = BPF_CORE_READ(p, pid);

	bpf_map_delete_elem(&tasks, &pid);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(tp_wakeup, struct task_struct *p) { return on_wakeup(p); }
SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(tp_wakeup_new, struct task_struct *p) { return on_wakeup(p); }
SEC("tp_btf/sched_switch")
int BPF_PROG(tp_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(prev, next);
}
SEC("tp_btf/sched_process_exec")
int BPF_PROG(tp_exec, struct task_struct *p) { return on_exec(p); }
SEC("tp_btf/sched_process_exit")
int BPF_PROG(tp_exit, struct task_struct *p) { return on_exit(p); }

SEC("raw_tp/sched_wakeup")
int BPF_PROG(raw_wakeup, struct task_struct *p) { return on_wakeup(p); }
SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(raw_wakeup_new, struct task_struct *p) { return on_wakeup(p); }
SEC("raw_tp/sched_switch")
int BPF_PROG(raw_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(prev, next);
}
SEC("raw_tp/sched_process_exec")
int BPF_PROG(raw_exec, struct task_struct *p) { return on_exec(p); }
SEC("raw_tp/sched_process_exit")
int BPF_PROG(raw_exit, struct task_struct *p) { return on_exit(p); }
