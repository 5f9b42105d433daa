// SPDX-License-Identifier: GPL-2.0
/* JSON lines for workloads: plain stdio, so printing a tick allocates nothing. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "agent/kernel/jsonout.h"

void off_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void off_flow_remote(const struct off_flow_key *k, char *buf, size_t len)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	char ip[INET6_ADDRSTRLEN], port[8] = "*";

	if (k->port)
		snprintf(port, sizeof(port), "%u", k->port);
	if (!memcmp(k->addr, v4mapped, sizeof(v4mapped))) {
		inet_ntop(AF_INET, &k->addr[12], ip, sizeof(ip));
		snprintf(buf, len, "%s:%s", ip, port);
	} else {
		inet_ntop(AF_INET6, k->addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%s", ip, port);
	}
}

static void json_hist(FILE *f, const __u64 *h)
{
	fputc('[', f);
	for (int i = 0; i < OFF_HIST_SLOTS; i++)
		fprintf(f, "%s%llu", i ? "," : "", (unsigned long long)h[i]);
	fputc(']', f);
}

static int busiest_first(const void *a, const void *b)
{
	const struct off_task_rec *x = *(const struct off_task_rec *const *)a;
	const struct off_task_rec *y = *(const struct off_task_rec *const *)b;

	return (x->t.cpu_ns < y->t.cpu_ns) - (x->t.cpu_ns > y->t.cpu_ns);
}

static void json_tasks(FILE *f, const struct off_snapshot *s, uint32_t widx)
{
	const struct off_task_rec **order = s->order;
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->ntasks; i++)
		if (s->tasks[i].t.widx == widx)
			order[n++] = &s->tasks[i];
	qsort(order, n, sizeof(*order), busiest_first);
	fputc('[', f);
	for (uint32_t i = 0; i < n; i++) {
		const struct off_task_rec *r = order[i];
		char comm[OFF_COMM_LEN + 1] = {};

		memcpy(comm, r->t.comm, OFF_COMM_LEN);
		fprintf(f, "%s{\"pid\":%u,\"tgid\":%u,\"comm\":", i ? "," : "", r->pid, r->t.tgid);
		off_json_str(f, comm);
		fprintf(f, ",\"cpu_ns\":%llu,\"rq_wait_ns\":%llu}",
			(unsigned long long)r->t.cpu_ns, (unsigned long long)r->t.rq_wait_ns);
	}
	fputc(']', f);
}

static void json_flows(FILE *f, const struct off_snapshot *s, uint32_t widx)
{
	int n = 0;

	fputc('[', f);
	for (uint32_t i = 0; i < s->nflows; i++) {
		const struct off_flow_rec *r = &s->flows[i];
		char remote[64];

		if (r->k.widx != widx)
			continue;
		off_flow_remote(&r->k, remote, sizeof(remote));
		fprintf(f, "%s{\"remote\":\"%s\",\"srtt_us\":%llu,\"conns_opened\":%llu,"
			"\"conns_closed\":%llu,\"lifetime_hist_us\":", n++ ? "," : "", remote,
			(unsigned long long)r->f.srtt_us, (unsigned long long)r->f.conns_opened,
			(unsigned long long)r->f.conns_closed);
		json_hist(f, r->f.lifetime_hist_us);
		fprintf(f, ",\"bytes_acked\":%llu,\"bytes_received\":%llu,\"retransmits\":%llu}",
			(unsigned long long)r->f.bytes_acked, (unsigned long long)r->f.bytes_received,
			(unsigned long long)r->f.retransmits);
	}
	fputc(']', f);
}

void off_json_workload(FILE *f, const struct off_snapshot *s, uint32_t widx,
		       const char *name, uint64_t cgid)
{
	const struct off_wl_stats *w = &s->wl[widx];

	fputs("{\"workload\":", f);
	off_json_str(f, name);
	fprintf(f, ",\"cgroup_id\":%llu,\"cpu_ns\":%llu,\"rq_wait_ns\":%llu,\"rq_waits\":%llu,"
		"\"rq_hist_us\":", (unsigned long long)cgid, (unsigned long long)w->cpu_ns,
		(unsigned long long)w->rq_wait_ns, (unsigned long long)w->rq_waits);
	json_hist(f, w->rq_hist_us);
	fprintf(f, ",\"wakeups\":%llu,\"switches\":%llu,\"tasks\":",
		(unsigned long long)w->wakeups, (unsigned long long)w->switches);
	json_tasks(f, s, widx);
	fputs(",\"flows\":", f);
	json_flows(f, s, widx);
	fputs("}\n", f);
}
