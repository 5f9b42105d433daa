// SPDX-License-Identifier: GPL-2.0
/* What offloadctl can ask: status, workloads, explain, peers, ab, pin, unpin,
 * reload (the table is lib/ctlcmd.h's). Requests and replies are single JSON
 * objects; a bad request gets {"ok":false}. */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/config/parse.h"
#include "agent/daemon.h"
#include "agent/serve/explain.h"
#include "lib/ctlcmd.h"

static json_t *models(struct off_daemon *d)
{
	json_t *list = json_array();
	char crc[16];

	for (int i = 0; i < d->models.n; i++) {
		snprintf(crc, sizeof(crc), "%08x", d->models.m[i].m.crc);
		json_array_append_new(list, json_pack("{s:s, s:s, s:I, s:s}", "path", d->models.m[i].path,
			"crc32", crc, "steps", (json_int_t)d->models.m[i].m.meta.steps,
			"scenario", d->models.m[i].m.meta.scenario));
	}
	return list;
}

/* [edgex], or null when off. */
static json_t *edgex(struct off_daemon *d)
{
	const struct off_edgex *x = &d->edgex;

	if (!x->cfg.line)
		return json_null();
	return json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:f, s:f}", "connected", x->state == OFF_EDGEX_UP,
			 "published", (json_int_t)x->published,
			 "dropped_disconnected", (json_int_t)x->dropped[OFF_EDGEX_DROP_DOWN],
			 "dropped_backlog", (json_int_t)x->dropped[OFF_EDGEX_DROP_BACKLOG],
			 "dropped_error", (json_int_t)x->dropped[OFF_EDGEX_DROP_ERROR],
			 "connects", (json_int_t)x->connects,
			 "publish_us_mean", x->ticks ? x->ns_sum / 1e3 / x->ticks : 0.0,
			 "publish_cpu_us_mean", x->ticks ? x->cpu_ns_sum / 1e3 / x->ticks : 0.0);
}

/* The tick's own figures. */
static json_t *ticks(struct off_daemon *d)
{
	return json_pack("{s:I, s:I, s:f, s:f, s:f}",
			 "ticks", (json_int_t)d->ticks, "late_ticks", (json_int_t)d->late,
			 "tick_us_mean", d->ticks ? d->tick_ns_sum / 1e3 / d->ticks : 0.0,
			 "tick_us_max", d->tick_ns_max / 1e3,
			 "tick_cpu_us_mean", d->ticks ? d->tick_cpu_ns_sum / 1e3 / d->ticks : 0.0);
}

/* What the agent keeps: reloads, the experience log, the flows map, peers. */
static json_t *upkeep(struct off_daemon *d)
{
	int up = 0;

	for (int i = 0; i < d->peers.n; i++)
		up += d->peers.p[i].up;
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:i, s:s}",
			 "reloads", (json_int_t)d->reloads, "reloads_failed", (json_int_t)d->reloads_failed,
			 "experience_lines", (json_int_t)d->rec.lines,
			 "experience_dropped", (json_int_t)d->rec.dropped,
			 "experience_write_errors", (json_int_t)d->rec.write_errors,
			 "flows", (json_int_t)d->age.entries, "flows_capacity", (json_int_t)d->snap.max_flows,
			 "flows_aged", (json_int_t)d->age.aged, "peers", d->peers.n, "peers_up", up,
			 "peer_auth", d->tls ? "mutual TLS 1.3" : "none (plain HTTP)");
}

static json_t *status(struct off_daemon *d)
{
	json_t *r = json_pack("{s:b, s:s, s:s, s:i, s:i, s:i, s:b, s:f, s:b, s:f, s:f, s:o, s:o}",
			      "ok", 1, "version", OFFLOAD_VERSION, "config", d->path,
			      "tick_ms", d->cfg.tick_ms, "lease_ticks", d->cfg.lease_ticks,
			      "workloads", d->cfg.nworkloads, "dry_run", d->cfg.dry_run,
			      "uptime_s", (off_mono_ns() - d->started_ns) / 1e9, "adopted", d->bpf.adopted,
			      "local_util", d->meas.local_util,
			      "local_capacity_cores", d->meas.scope.capacity,
			      "models", models(d), "edgex", edgex(d));

	/* One flat object, as offloadctl -j has always printed it. */
	if (r && (json_object_update_new(r, ticks(d)) || json_object_update_new(r, upkeep(d)))) {
		json_decref(r);
		return NULL;
	}
	return r;
}

static json_t *peers(struct off_daemon *d)
{
	static const char *const origins[] = { [OFF_PEER_CONFIGURED] = "configured",
		[OFF_PEER_PENDING] = "pending", [OFF_PEER_ACTIVE] = "dns", [OFF_PEER_DRAINING] = "draining",
		[OFF_PEER_FREE] = "free" };
	json_t *list = json_array();

	for (int i = 0; i < d->peers.n; i++) {
		const struct off_peer *p = &d->peers.p[i];
		char ip[INET6_ADDRSTRLEN];

		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:b, s:i, s:f, s:f, s:f, s:f, s:i, s:i, s:s}",
			"name", p->cfg->name, "address", off_fmt_ip(p->cfg->addr, ip, sizeof(ip)),
			"kind", off_kind_names[p->cfg->kind],
			"origin", origins[p->cfg->origin],
			"up", p->up, "failed_probes", p->fails, "rtt_us", p->rtt_us,
			"cpu_util", p->st.cpu_util, "rq_p99_us", p->st.rq_p99_us,
			"capacity_cores", p->st.capacity_cores, "clients", p->st.clients,
			"other_clients", off_peer_others(&p->st), "last_failure", p->why));
	}
	return json_pack("{s:b, s:o}", "ok", 1, "peers", list);
}

static json_t *fail(const char *fmt, const char *arg)
{
	char msg[1100];

	snprintf(msg, sizeof(msg), fmt, arg ? arg : "");
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static int workload_index(const struct off_daemon *d, const char *name)
{
	for (int i = 0; name && i < d->cfg.nworkloads; i++)
		if (!strcmp(d->cfg.workloads[i].name, name))
			return i;
	return -1;
}

static int target_index(const struct off_daemon *d, const char *name)
{
	for (uint32_t t = 0; name && t <= (uint32_t)d->cfg.npeers; t++)
		if (!strcmp(off_config_target_name(&d->cfg, t), name))
			return t;
	return -1;
}

static json_t *ab(struct off_daemon *d, json_t *req)
{
	json_t *w = json_object_get(req, "window_s");
	double s = w ? json_number_value(w) : 60;

	if (w && (!json_is_number(w) || s <= 0))
		return fail("window_s: expected a positive number of seconds%s", NULL);
	return off_abtest_report(&d->ab, s, d->cfg.tick_ms);
}

static json_t *explain(struct off_daemon *d, json_t *req)
{
	const char *wn = json_string_value(json_object_get(req, "workload"));
	int w = workload_index(d, wn);

	return w < 0 ? fail("no such workload: \"%s\"", wn) : off_explain_workload(d, w, off_mono_ns());
}

static json_t *pin(struct off_daemon *d, json_t *req, int on)
{
	const char *wn = json_string_value(json_object_get(req, "workload"));
	const char *tn = json_string_value(json_object_get(req, "target"));
	int w = workload_index(d, wn), t = on ? target_index(d, tn) : 0;

	if (w < 0)
		return fail("no such workload: \"%s\"", wn);
	if (t < 0)
		return fail("no such target: \"%s\" (local or a peer name)", tn);
	d->pin[w] = on ? t + 1 : 0;
	return json_pack("{s:b, s:s}", "ok", 1, "applies", "at the next tick");
}

/* One JSON line, allocated to its size. */
static struct off_reply *line(json_t *reply)
{
	char *text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
	struct off_reply *r = text ? off_reply_alloc(strlen(text) + 1) : NULL;

	if (!r)
		r = off_reply_str("{\"ok\":false,\"error\":\"reply too large\"}\n");
	else
		snprintf(r->data, r->len + 1, "%s\n", text);
	free(text);
	return r;
}

/* No default: a command added to the table and not here does not build. */
static json_t *run(struct off_daemon *d, enum off_ctl_id id, json_t *req)
{
	char err[1024];

	switch (id) {
	case OFF_CTL_STATUS:
		return status(d);
	case OFF_CTL_WORKLOADS:
		return off_explain_workloads(d);
	case OFF_CTL_EXPLAIN:
		return explain(d, req);
	case OFF_CTL_PEERS:
		return peers(d);
	case OFF_CTL_AB:
		return ab(d, req);
	case OFF_CTL_PIN:
		return pin(d, req, 1);
	case OFF_CTL_UNPIN:
		return pin(d, req, 0);
	case OFF_CTL_RELOAD:
		return off_daemon_reload(d, err, sizeof(err)) ? fail("%s", err) :
			json_pack("{s:b}", "ok", 1);
	case OFF_CTL_CMDS:
		break;
	}
	return NULL;
}

/* What changes the agent (the table's changes) is for root and
 * ctl_admin_group; the rest of ctl_group may look. */
struct off_reply *off_daemon_command(void *daemon, const char *text, int admin,
				    const struct sockaddr_storage *src)
{
	struct off_daemon *d = daemon;
	json_t *req = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL), *reply;
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	int id = off_ctl_find(cmd);
	struct off_reply *out;

	(void)src;	/* the socket's mode and SO_PEERCRED say who it is */
	if (!cmd)
		reply = fail("expected a JSON object with \"cmd\"", NULL);
	else if (id < 0)
		reply = fail("unknown command \"%s\"", cmd);
	else if (off_ctl_cmds[id].changes && !admin)
		reply = fail("%s: permission denied: only root and ctl_admin_group may change the agent", cmd);
	else
		reply = run(d, id, req);
	out = line(reply);
	json_decref(reply);
	json_decref(req);
	return out;
}
