// SPDX-License-Identifier: GPL-2.0
/* offloadd.conf: a full file parses to what it says; each mistake is named
 * by file, line, section and key; a refused file changes nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/config.h"

static const char good[] =
	"[agent]\ntick_ms = 500\nlease_ticks = 4\nmark_base = 0x100\n"
	"[peer edge1]\naddress = 10.0.0.2\nkind = edge\n"
	"[peer cloud]\naddress = 10.9.0.1\nkind = cloud\n"
	"[service api]\nvip = 10.1.1.1:80\nprotocol = tcp\nlocal = 127.0.0.1:8080\nport.cloud = 443\n"
	"[workload web]\ncgroup = /sys/fs/cgroup/unified/web\nservices = api\npolicy = static:cloud\n";

static void parses_full_file(void **state)
{
	static struct off_config c;
	char err[512];

	(void)state;
	if (off_config_parse_str(good, "t.conf", &c, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(c.tick_ms, 500);
	assert_int_equal(c.lease_ticks, 4);
	assert_int_equal(c.mark_base, 0x100);
	assert_int_equal(c.npeers, 2);
	assert_int_equal(c.peers[1].kind, OFF_KIND_CLOUD);
	assert_int_equal(c.services[0].vip.port, 80);
	assert_int_equal(c.services[0].vip.proto, 6);
	assert_int_equal(c.services[0].local.port, 8080);
	assert_int_equal(c.services[0].port[2], 443);
	assert_int_equal(c.workloads[0].target, 2);
	assert_int_equal(c.workloads[0].services, 1);
	assert_string_equal(off_config_target_name(&c, 2), "cloud");
	assert_string_equal(off_config_target_name(&c, 0), "local");
}

static void names_each_mistake(void **state)
{
	static const struct { const char *from, *to, *want; } cases[] = {
		{ "kind = edge", "kind = egde", "t.conf:7: [peer edge1] kind: expected edge or cloud, got \"egde\"" },
		{ "tick_ms = 500", "tick_ms = 5s", "t.conf:2: [agent] tick_ms: expected 10..60000 ms, got \"5s\"" },
		{ "address = 10.0.0.2", "address = 10.0.0.256", "t.conf:6: [peer edge1] address: expected an IPv4 or IPv6 address" },
		{ "vip = 10.1.1.1:80", "vip = 10.1.1.1:99999", "t.conf:12: [service api] vip: expected ip:port" },
		{ "port.cloud", "port.moon", "t.conf:15: [service api] port.moon: no such peer: \"moon\"" },
		{ "services = api", "services = api, db", "t.conf:18: [workload web] services: no such service: \"db\"" },
		{ "static:cloud", "static:mars", "t.conf:19: [workload web] policy: no such target: \"mars\"" },
		{ "policy = static:cloud", "policy = dqn", "t.conf:19: [workload web] policy: this build enforces static:TARGET policies only" },
		{ "lease_ticks = 4", "lease = 4", "t.conf:3: [agent] lease: unknown key, value \"4\"" },
		{ "[peer cloud]", "[pier cloud]", "t.conf:9: [pier cloud] address: unknown section" },
	};
	static struct off_config c = { .tick_ms = 1234 };
	char text[sizeof(good) + 64], err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *at = strstr(good, cases[i].from);

		assert_non_null(at);
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - good), good, cases[i].to,
			 at + strlen(cases[i].from));
		assert_int_equal(off_config_parse_str(text, "t.conf", &c, err, sizeof(err)), -EINVAL);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)))
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, cases[i].want);
		assert_int_equal(c.tick_ms, 1234);	/* the old config stays */
	}
}

static void shipped_example_parses(void **state)
{
	static struct off_config c;
	char err[512];

	(void)state;
	if (off_config_load("dist/offloadd.conf", &c, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(c.npeers, 2);
	assert_int_equal(c.workloads[0].target, 1);
	assert_int_equal(c.services[0].port[2], 443);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_full_file),
		cmocka_unit_test(names_each_mistake),
		cmocka_unit_test(shipped_example_parses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
