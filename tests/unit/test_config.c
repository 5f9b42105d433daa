// SPDX-License-Identifier: GPL-2.0
/* offloadd.conf: defaults, a full file parses to what it says, each mistake
 * is named by file, line, section and key, and a refused file changes
 * nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/config/config.h"

#define assert_near(a, b, tol)	assert_true(fabs((a) - (b)) <= (tol))

static const char good[] =
	"[agent]\n"				/* 1 */
	"tick = 500ms\n"
	"lease = 4\n"
	"mark_base = 0x100\n"
	"[peer edge1]\n"			/* 5 */
	"address = 10.0.0.2\n"
	"kind = edge\n"
	"[peer cloud]\n"
	"address = 10.9.0.1\n"
	"kind = cloud\n"			/* 10 */
	"[service api]\n"
	"vip = 10.1.1.1:80\n"
	"protocol = tcp\n"
	"local = 127.0.0.1:8080\n"
	"port.cloud = 443\n"			/* 15 */
	"[workload web]\n"
	"cgroup = /sys/fs/cgroup/unified/web\n"
	"services = api\n"
	"policy = static:cloud\n";		/* 19 */

static struct off_config cfg;

static int teardown(void **state)
{
	(void)state;
	off_config_free(&cfg);
	return 0;
}

static void parse_ok(const char *text)
{
	char err[512];

	if (off_config_parse_str(text, "t.conf", &cfg, err, sizeof(err)))
		fail_msg("%s", err);
}

static void defaults_of_a_minimal_file(void **state)
{
	(void)state;
	parse_ok("[peer p]\naddress = ::1\nkind = edge\n"
		 "[service s]\nvip = [fd00::1]:53\nprotocol = udp\nlocal = [::1]:5353\n"
		 "[workload w]\ncgroup = /sys/fs/cgroup/unified/w\nservices = s\n");
	assert_int_equal(cfg.tick_ms, 1000);
	assert_int_equal(cfg.lease_ticks, 3);
	assert_int_equal(cfg.mark_base, 0x0ff10000);
	assert_int_equal(cfg.max_workloads, 256);
	assert_int_equal(cfg.max_tasks, 65536);
	assert_int_equal(cfg.max_flows, 16384);
	assert_int_equal(cfg.flow_idle_ms, 60000);
	assert_int_equal(cfg.peer_down_after, 3);
	assert_int_equal(cfg.probe_timeout_ms, 500);
	assert_int_equal(cfg.refusal_hold_ms, 5000);
	assert_near(cfg.reward.w_lat, 0.5, 0);
	assert_near(cfg.reward.w_energy, 0.3, 0);
	assert_near(cfg.reward.w_cost, 0.2, 0);
	assert_near(cfg.reward.lat_ref_s, 0.1, 1e-12);
	assert_string_equal(cfg.model, "/var/lib/offloadd/default.omdl");
	assert_string_equal(cfg.ctl_socket, "/run/offloadd/ctl.sock");
	assert_string_equal(cfg.metrics_listen, "127.0.0.1:9477");
	assert_string_equal(cfg.status_listen, "");
	assert_string_equal(cfg.experience_log, "");
	assert_string_equal(cfg.serve_cgroup, "");
	assert_string_equal(cfg.pin_dir, "/sys/fs/bpf/offloadd");
	assert_false(cfg.dry_run);
	assert_true(cfg.node[0]);
	assert_int_equal(cfg.peers[0].status_port, 7400);
	assert_near(cfg.peers[0].capacity_cores, 0, 0);
	assert_int_equal(cfg.services[0].vip.proto, 17);
	assert_int_equal(cfg.services[0].local.port, 5353);
	assert_int_equal(cfg.workloads[0].policy, OFF_POLICY_DQN);
	assert_int_equal(cfg.workloads[0].min_dwell_ms, 5000);
	assert_near(cfg.workloads[0].hysteresis, 0.05, 0);
	assert_string_equal(cfg.workloads[0].model, "");
}

static void parses_every_key(void **state)
{
	char policy[64];

	(void)state;
	parse_ok("# comment\n; comment\n[agent]\ntick = 2s\nlease = 5\nw_lat = 0.6\nw_energy = 0.25\n"
		 "w_cost = 0.15\nlat_ref = 250ms\nenergy_ref = 2\ncost_ref = 0.01\n"
		 "model = /srv/m.omdl\nctl_socket = /tmp/ctl\nstatus_listen = [::]:7400\n"
		 "metrics_listen = off\nexperience_log = /var/log/x.log\ndry_run = yes\n"
		 "serve_cgroup = /sys/fs/cgroup/unified/serve\nmark_base = 0x0ff20000\n"
		 "max_tasks = 4096\nmax_flows = 2048\nmax_workloads = 8\nnode = edge-a.lan\n"
		 "pin_dir = /sys/fs/bpf/o2\npeer_down_after = 5\nprobe_timeout = 100ms\n"
		 "refusal_hold = 0s\n"
		 "experience_log_max = 64K\ncpu_ghz = 2.5\ntx_watts = 0.8\nswitch_rtts = 2\nherd = 0.25\n"
		 "tls_ca = /etc/o/ca.crt\ntls_cert = /etc/o/n.crt\ntls_key = /etc/o/n.key\n"
		 "kind = cloud\npeers_dns = offloadd.kube-system.svc.cluster.local:7400\n"
		 "peers_dns_every = 3\npeers_dns_server = [fd00::53]:5353\n"
		 "[peer edge1]\naddress = 10.0.0.2\nkind = edge\nstatus_port = 7401\ncapacity = 3.5\n"
		 "cost = 0.002\ncpu_ghz = 3\nbandwidth = 250\ntls_name = edge1.example.org\n"
		 "[peer cloud]\naddress = 10.9.0.1\nkind = cloud ; inline comment\nstatus_port = 0\n"
		 "[service api]\nvip = 10.1.1.1:80\nprotocol = tcp\nlocal = 127.0.0.1:8080\n"
		 "port.cloud = 443\nport.edge1 = 8081\n"
		 "[service dns]\nvip = 10.1.1.2:53\nprotocol = udp\nlocal = 127.0.0.53:53\n"
		 "[workload web]\ncgroup = /sys/fs/cgroup/unified/web\nservices = api,dns\n"
		 "policy = greedy\nmodel = /srv/web.omdl\nmin_dwell = 1m\nhysteresis = 0.2\n"
		 "[workload batch]\ncgroup = /sys/fs/cgroup/unified/batch\nservices = dns api\n"
		 "policy = static:local\n");
	assert_int_equal(cfg.tick_ms, 2000);
	assert_int_equal(cfg.lease_ticks, 5);
	assert_near(cfg.reward.w_lat, 0.6, 0);
	assert_near(cfg.reward.lat_ref_s, 0.25, 1e-12);
	assert_near(cfg.reward.energy_ref_j, 2, 0);
	assert_near(cfg.reward.cost_ref, 0.01, 0);
	assert_string_equal(cfg.status_listen, "[::]:7400");
	assert_string_equal(cfg.metrics_listen, "");
	assert_string_equal(cfg.experience_log, "/var/log/x.log");
	assert_true(cfg.dry_run);
	assert_string_equal(cfg.serve_cgroup, "/sys/fs/cgroup/unified/serve");
	assert_int_equal(cfg.mark_base, 0x0ff20000);
	assert_int_equal(cfg.max_tasks, 4096);
	assert_int_equal(cfg.max_flows, 2048);
	assert_int_equal(cfg.max_workloads, 8);
	assert_string_equal(cfg.node, "edge-a.lan");
	assert_string_equal(cfg.pin_dir, "/sys/fs/bpf/o2");
	assert_int_equal(cfg.probe_timeout_ms, 100);
	assert_int_equal(cfg.refusal_hold_ms, 0);
	assert_int_equal(cfg.experience_log_max, 65536);
	assert_near(cfg.cpu_ghz, 2.5, 0);
	assert_near(cfg.tx_watts, 0.8, 0);
	assert_near(cfg.switch_rtts, 2, 0);
	assert_near(cfg.herd, 0.25, 0);
	assert_string_equal(cfg.tls_ca, "/etc/o/ca.crt");
	assert_string_equal(cfg.tls_cert, "/etc/o/n.crt");
	assert_string_equal(cfg.tls_key, "/etc/o/n.key");
	assert_string_equal(cfg.peers[0].tls_name, "edge1.example.org");
	assert_string_equal(cfg.peers[1].tls_name, "");
	assert_int_equal(cfg.kind, OFF_KIND_CLOUD);
	assert_string_equal(cfg.dns.name, "offloadd.kube-system.svc.cluster.local");
	assert_int_equal(cfg.dns.port, 7400);
	assert_int_equal(cfg.dns.every, 3);
	assert_string_equal(cfg.dns.server, "[fd00::53]:5353");
	assert_near(cfg.peers[0].cpu_ghz, 3, 0);
	assert_near(cfg.peers[0].bw_mbps, 250, 0);
	assert_near(off_config_peer_bw(&cfg.peers[1]), 100, 0);
	assert_int_equal(cfg.npeers, 2);
	assert_int_equal(cfg.peers[0].status_port, 7401);
	assert_near(cfg.peers[0].capacity_cores, 3.5, 0);
	assert_near(cfg.peers[0].cost_per_req, 0.002, 0);
	assert_int_equal(cfg.peers[1].kind, OFF_KIND_CLOUD);
	assert_int_equal(cfg.peers[1].status_port, 0);
	assert_int_equal(cfg.services[0].port[1], 8081);
	assert_int_equal(cfg.services[0].port[2], 443);
	assert_int_equal(cfg.services[1].port[1], 0);
	assert_int_equal(cfg.services[1].vip.proto, 17);
	assert_int_equal(cfg.nworkloads, 2);
	assert_true(off_cfg_uses(&cfg.workloads[0], 0) && off_cfg_uses(&cfg.workloads[0], 1));
	assert_int_equal(cfg.workloads[0].policy, OFF_POLICY_GREEDY);
	assert_string_equal(cfg.workloads[0].model, "/srv/web.omdl");
	assert_int_equal(cfg.workloads[0].min_dwell_ms, 60000);
	assert_near(cfg.workloads[0].hysteresis, 0.2, 0);
	assert_int_equal(cfg.workloads[1].policy, OFF_POLICY_STATIC);
	assert_int_equal(cfg.workloads[1].target, 0);
	assert_string_equal(off_config_policy_name(&cfg, &cfg.workloads[1], policy, sizeof(policy)),
			    "static:local");
}

static void parses_the_base_file(void **state)
{
	(void)state;
	parse_ok(good);
	assert_int_equal(cfg.tick_ms, 500);
	assert_int_equal(cfg.mark_base, 0x100);
	assert_int_equal(cfg.workloads[0].target, 2);
	assert_string_equal(off_config_target_name(&cfg, 2), "cloud");
	assert_string_equal(off_config_target_name(&cfg, 0), "local");
}

/* Where each key was given, for messages about what it names. */
static void remembers_key_lines(void **state)
{
	const struct off_cfg_workload *w;

	(void)state;
	parse_ok(good);
	w = &cfg.workloads[0];
	assert_int_equal(off_config_line(&cfg, NULL, "lease"), 3);
	assert_int_equal(off_config_line(&cfg, NULL, "model"), 1);	/* not given: [agent] */
	assert_int_equal(off_config_line(&cfg, w, "cgroup"), 17);
	assert_int_equal(off_config_line(&cfg, w, "policy"), 19);
	assert_int_equal(off_config_line(&cfg, w, "model"), 16);	/* not given: its section */
	off_config_free(&cfg);
	parse_ok("[service api]\nvip = 10.1.1.1:80\nprotocol = tcp\nlocal = 127.0.0.1:8080\n"
		 "[workload a]\ncgroup = /a\nservices = api\n"
		 "[workload b]\nservices = api\ncgroup = /b\n");
	assert_int_equal(off_config_line(&cfg, NULL, "model"), 0);	/* no [agent] at all */
	assert_int_equal(off_config_line(&cfg, &cfg.workloads[0], "cgroup"), 6);
	assert_int_equal(off_config_line(&cfg, &cfg.workloads[1], "cgroup"), 10);
}

static const struct { const char *from, *to, *want; } mistakes[] = {
	{ "lease = 4", "lease_ticks = 4", "t.conf:3: [agent] lease_ticks: unknown key" },
	{ "kind = edge", "kind = egde", "t.conf:7: [peer edge1] kind: expected edge or cloud, got \"egde\"" },
	{ "address = 10.0.0.2", "address = 10.0.0.256",
	  "t.conf:6: [peer edge1] address: expected an IPv4 or IPv6 address, got \"10.0.0.256\"" },
	{ "vip = 10.1.1.1:80", "vip = 10.1.1.1:99999", "t.conf:12: [service api] vip: expected ip:port or "
	  "[ip6]:port with a port in 1..65535, got \"10.1.1.1:99999\"" },
	{ "port.cloud = 443", "port.cloud = 0",
	  "t.conf:15: [service api] port.cloud: expected a port in 1..65535, got \"0\"" },
	{ "tick = 500ms", "tick = 5", "t.conf:2: [agent] tick: expected a duration in 10ms..1m, "
	  "like 500ms or 2s, got \"5\"" },
	{ "kind = edge\n", "", "t.conf:5: [peer edge1] kind: required key missing" },
	{ "services = api", "services = api, db", "t.conf:18: [workload web] services: no such service \"db\"" },
	{ "static:cloud", "static:mars",
	  "t.conf:19: [workload web] policy: no such target \"mars\" (local or a peer name)" },
	{ "port.cloud", "port.moon", "t.conf:15: [service api] port.moon: no such peer \"moon\"" },
	{ "[peer cloud]", "[peer edge1]", "t.conf:8: [peer edge1] duplicate section (first at line 5)" },
	{ "[peer cloud]", "[pier cloud]", "t.conf:8: [pier cloud] unknown section: expected [agent], "
	  "[peer NAME], [service NAME], [workload NAME] or [edgex]" },
	{ "kind = edge", "kind = edge\nkind = cloud", "t.conf:8: [peer edge1] kind: given twice (first at line 7)" },
	{ "policy = static:cloud", "policy = random",
	  "t.conf:19: [workload web] policy: expected dqn, greedy or static:TARGET, got \"random\"" },
	{ "lease = 4", "dry_run = maybe", "t.conf:3: [agent] dry_run: expected true or false, got \"maybe\"" },
	{ "lease = 4", "experience_log_max = 2T", "t.conf:3: [agent] experience_log_max: expected a size up to "
	  "1099511627776 bytes, like 64M or 512K, got \"2T\"" },
	{ "lease = 4", "cpu_ghz = 0", "t.conf:3: [agent] cpu_ghz: expected a number in 0.05..100, got \"0\"" },
	{ "lease = 4", "lease = -4", "t.conf:3: [agent] lease: expected an integer in 1..1000, got \"-4\"" },
	{ "lease = 4", "flow_idle = 500ms", "t.conf:3: [agent] flow_idle: expected a duration in 1s..60m, "
	  "like 500ms or 2s, got \"500ms\"" },
	{ "lease = 4", "w_lat = nan", "t.conf:3: [agent] w_lat: expected a number in 0..100, got \"nan\"" },
	{ "lease = 4", "herd = 2", "t.conf:3: [agent] herd: expected a number in 0..1, got \"2\"" },
	{ "lease = 4", "refusal_hold = 2h", "t.conf:3: [agent] refusal_hold: expected a duration in 0ms..60m, "
	  "like 500ms or 2s, got \"2h\"" },
	{ "lease = 4", "model = var/m.omdl",
	  "t.conf:3: [agent] model: expected an absolute path under 256 bytes, got \"var/m.omdl\"" },
	{ "lease = 4", "status_listen = ::1:7400",
	  "t.conf:3: [agent] status_listen: expected ip:port, [ip6]:port or off, got \"::1:7400\"" },
	{ "[peer cloud]", "[peer local]", "t.conf:8: [peer local] bad name: \"local\" is the local target's name" },
	{ "[peer cloud]", "[peer clo ud]", "t.conf:8: [peer clo ud] bad name: expected letters, digits, "
	  "'.', '_' and '-', under 32 bytes" },
	{ "vip = 10.1.1.1:80", "vip = [fd00::1]:80", "t.conf:11: [service api] local: not of the VIP's address family" },
	{ "[workload web]", "[service api2]\nvip = 10.1.1.1:80\nprotocol = tcp\nlocal = 127.0.0.1:81\n[workload web]",
	  "t.conf:16: [service api2] vip: the same as service api's" },
	{ "local = 127.0.0.1:8080", "local = 10.1.1.1:80", "t.conf:11: [service api] local: the same as the VIP" },
	{ "kind = edge", "  kind = edge", "t.conf:7: indented line (continuation lines are not supported)" },
	{ "kind = edge", "kind edge", "t.conf:7: syntax error: expected [section], key = value or a comment" },
	{ "[agent]\n", "", "t.conf:1: tick: outside any section" },
	{ "lease = 4", "tls_key = n.key",
	  "t.conf:3: [agent] tls_key: expected an absolute path under 256 bytes, got \"n.key\"" },
	{ "kind = edge", "kind = edge\ntls_name = edge 1", "t.conf:8: [peer edge1] tls_name: expected "
	  "letters, digits, '.', '_' and '-', under 128 bytes, got \"edge 1\"" },
	{ "policy = static:cloud", "[agent]", "t.conf:19: [agent] duplicate section (first at line 1)" },
	{ "lease = 4", "peers_dns = peers.lan", "t.conf:3: [agent] peers_dns: expected NAME:PORT, a host "
	  "name and the peers' status port, got \"peers.lan\"" },
	{ "lease = 4", "peers_dns = peers..lan:7400", "t.conf:3: [agent] peers_dns: expected NAME:PORT, a host "
	  "name and the peers' status port, got \"peers..lan:7400\"" },
	{ "lease = 4", "peers_dns = -peers.lan:7400", "t.conf:3: [agent] peers_dns: expected NAME:PORT, a host "
	  "name and the peers' status port, got \"-peers.lan:7400\"" },
	{ "lease = 4", "peers_dns = peers.lan:0", "t.conf:3: [agent] peers_dns: expected NAME:PORT, a host "
	  "name and the peers' status port, got \"peers.lan:0\"" },
	{ "lease = 4", "peers_dns = peers.lan:7400\npeers_dns_every = 0",
	  "t.conf:4: [agent] peers_dns_every: expected an integer in 1..100000, got \"0\"" },
	{ "lease = 4", "peers_dns = peers.lan:7400\npeers_dns_server = dns.lan",
	  "t.conf:4: [agent] peers_dns_server: expected ip, ip:port or [ip6]:port, got \"dns.lan\"" },
	{ "lease = 4", "peers_dns_every = 3", "t.conf:3: [agent] peers_dns_every: given without peers_dns" },
	{ "lease = 4", "kind = local", "t.conf:3: [agent] kind: expected edge or cloud, got \"local\"" },
};

static void names_each_mistake(void **state)
{
	char text[sizeof(good) + 128], err[512];

	(void)state;
	parse_ok(good);
	for (size_t i = 0; i < sizeof(mistakes) / sizeof(mistakes[0]); i++) {
		const char *at = strstr(good, mistakes[i].from);

		assert_non_null(at);
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - good), good, mistakes[i].to,
			 at + strlen(mistakes[i].from));
		if (off_config_parse_str(text, "t.conf", &cfg, err, sizeof(err)) != -EINVAL)
			fail_msg("case %zu was not refused", i);
		if (strcmp(err, mistakes[i].want))
			fail_msg("case %zu:\n got \"%s\"\nwant \"%s\"", i, err, mistakes[i].want);
		assert_int_equal(cfg.tick_ms, 500);	/* still the good file */
	}
}

/* [edgex]: its defaults, every key, and each mistake by file, line and key. */
static void edgex_section(void **state)
{
	static const struct { const char *line, *want; } bad[] = {
		{ "url = amqp://10.0.0.1:5672", "t.conf:21: [edgex] url: expected mqtt://IP:PORT or "
		  "redis://IP:PORT (an address, not a name), got \"amqp://10.0.0.1:5672\"" },
		{ "mode = sometimes", "t.conf:21: [edgex] mode: expected tick or change, got \"sometimes\"" },
		{ "version = 2", "t.conf:21: [edgex] version: expected an integer in 3..4, got \"2\"" },
		{ "topic_prefix = edgex/#", "t.conf:21: [edgex] topic_prefix: expected topic levels of letters, "
		  "digits, '.', '_' and '-' joined by '/', like edgex/events/device, got \"edgex/#\"" },
		{ "device = gw 1", "t.conf:21: [edgex] device: expected letters, digits, '.', '_' and '-', "
		  "under 64 bytes, got \"gw 1\"" },
		{ "url = mqtt://10.0.0.6:1883\n[edgex]", "t.conf:22: [edgex] duplicate section (first at line 20)" },
	};
	char text[sizeof(good) + 256], err[512];

	(void)state;
	parse_ok(good);
	assert_int_equal(cfg.edgex.line, 0);
	off_config_free(&cfg);
	snprintf(text, sizeof(text), "%s[edgex]\nurl = redis://[::1]:6379\nmode = change\nversion = 4\n"
		 "device = gw1\ntopic_prefix = site1/edgex/events/device\nreconnect_max = 2s\n", good);
	parse_ok(text);
	assert_int_equal(cfg.edgex.line, 20);
	assert_int_equal(cfg.edgex.bus, OFF_EDGEX_REDIS);
	assert_string_equal(cfg.edgex.host, "::1");
	assert_int_equal(cfg.edgex.port, 6379);
	assert_true(cfg.edgex.on_change);
	assert_int_equal(cfg.edgex.version, 4);
	assert_string_equal(cfg.edgex.device, "gw1");
	assert_string_equal(cfg.edgex.topic_prefix, "site1/edgex/events/device");
	assert_string_equal(cfg.edgex.service, "offloadd");
	assert_string_equal(cfg.edgex.profile, "offloadd-workload");
	assert_int_equal(cfg.edgex.reconnect_max_ms, 2000);
	off_config_free(&cfg);
	snprintf(text, sizeof(text), "%s[edgex]\nurl = mqtt://10.0.0.5:1883\n", good);
	parse_ok(text);
	assert_int_equal(cfg.edgex.bus, OFF_EDGEX_MQTT);
	assert_int_equal(cfg.edgex.version, 3);
	assert_true(cfg.edgex.on_change);	/* change mode by default */
	assert_string_equal(cfg.edgex.device, cfg.node);	/* by default, the node's name */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s[edgex]\n%s\nurl = mqtt://10.0.0.5:1883\n", good, bad[i].line);
		if (off_config_parse_str(text, "t.conf", &cfg, err, sizeof(err)) != -EINVAL)
			fail_msg("case %zu was not refused", i);
		if (strcmp(err, bad[i].want))
			fail_msg("case %zu:\n got \"%s\"\nwant \"%s\"", i, err, bad[i].want);
	}
	snprintf(text, sizeof(text), "%s[edgex]\nmode = tick\n", good);
	assert_int_equal(off_config_parse_str(text, "t.conf", &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf:20: [edgex] url: required key missing");
}

/* Sections past a limit, and lines libinih would cut. */
/* Discovered peers need a free target slot. */
static void peers_dns_needs_room(void **state)
{
	char text[8192], err[512];
	int n = snprintf(text, sizeof(text), "[agent]\npeers_dns = peers.lan:7400\n");

	(void)state;
	for (int i = 0; i < OFF_CFG_MAX_PEERS; i++)
		n += snprintf(text + n, sizeof(text) - n, "[peer p%d]\naddress = 10.0.0.%d\nkind = edge\n",
			      i, i + 1);
	assert_int_equal(off_config_parse_str(text, "t.conf", &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf:2: [agent] peers_dns: no room for discovered peers: "
			    "the 15 [peer] sections take every target slot");
}

static void limits(void **state)
{
	char *text = malloc(64 * 1024), err[512];
	size_t n;

	(void)state;
	n = snprintf(text, 64 * 1024, "[agent]\nmax_workloads = 2\n[service api]\nvip = 10.1.1.1:80\n"
		     "protocol = tcp\nlocal = 127.0.0.1:80\n");
	for (int i = 0; i < 3; i++)
		n += snprintf(text + n, 64 * 1024 - n, "[workload w%d]\ncgroup = /c/%d\nservices = api\n", i, i);
	assert_int_equal(off_config_parse_str(text, "t.conf", &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf:13: [workload w2] more workloads than [agent] max_workloads (2)");
	n = 0;
	for (int i = 0; i <= OFF_CFG_MAX_PEERS; i++)
		n += snprintf(text + n, 64 * 1024 - n, "[peer p%d]\naddress = 10.0.0.%d\nkind = edge\n", i, i + 1);
	assert_int_equal(off_config_parse_str(text, "t.conf", &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf:46: [peer p15] too many peer sections (at most 15)");
	memset(text, 'x', 300);
	memcpy(text, "[agent]\nmodel = /", 17);
	strcpy(text + 300, "\n");
	assert_int_equal(off_config_parse_str(text, "t.conf", &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf:2: line longer than 198 characters");
	free(text);
}

static void refused_load_keeps_the_old_config(void **state)
{
	char path[] = "/tmp/offloadd-conf-XXXXXX", err[512], want[512];
	struct off_config before;
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	(void)state;
	parse_ok(good);
	memcpy(&before, &cfg, sizeof(cfg));
	assert_non_null(f);
	fprintf(f, "%s[workload db]\ncgroup = /sys/fs/cgroup/unified/db\nservices = api\npolicy = dnq\n", good);
	fclose(f);
	assert_int_equal(off_config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	unlink(path);
	snprintf(want, sizeof(want), "%s:23: [workload db] policy: expected dqn, greedy or static:TARGET, "
		 "got \"dnq\"", path);
	assert_string_equal(err, want);
	assert_memory_equal(&before, &cfg, sizeof(cfg));
	assert_int_equal(off_config_load("/nonexistent/offloadd.conf", &cfg, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/offloadd.conf: No such file or directory");
	assert_memory_equal(&before, &cfg, sizeof(cfg));
}

static void shipped_example_parses(void **state)
{
	char err[512];

	(void)state;
	if (off_config_load("dist/offloadd.conf", &cfg, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(cfg.npeers, 2);
	assert_int_equal(cfg.nworkloads, 2);
	assert_int_equal(cfg.workloads[0].target, 1);
	assert_int_equal(cfg.services[0].port[2], 443);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(defaults_of_a_minimal_file, teardown),
		cmocka_unit_test_teardown(parses_every_key, teardown),
		cmocka_unit_test_teardown(parses_the_base_file, teardown),
		cmocka_unit_test_teardown(remembers_key_lines, teardown),
		cmocka_unit_test_teardown(names_each_mistake, teardown),
		cmocka_unit_test_teardown(edgex_section, teardown),
		cmocka_unit_test_teardown(limits, teardown),
		cmocka_unit_test_teardown(refused_load_keeps_the_old_config, teardown),
		cmocka_unit_test_teardown(peers_dns_needs_room, teardown),
		cmocka_unit_test_teardown(shipped_example_parses, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
