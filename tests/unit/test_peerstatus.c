// SPDX-License-Identifier: GPL-2.0
/* GET /status: what we write reads back the same, and a peer's reply that
 * is too big, malformed, mistyped or out of range is refused by name. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/serve/peerreply.h"

static const char good[] =
	"{\"node\":\"edge1\",\"version\":\"0.1.0\",\"cpu_util\":0.25,\"rq_p99_us\":480,"
	"\"capacity_cores\":4,\"services\":[\"api\",\"dns\"]}";

static void round_trip(void **state)
{
	static struct off_peer_status st = { .node = "edge-a.lan", .version = "0.1.0 (test)",
		.kind = OFF_KIND_CLOUD, .cpu_util = 0.123456789, .load = 0.5, .rq_p99_us = 1234.5,
		.capacity_cores = 2.5, .clients = 7, .nservices = 3,
		.services = { "api", "dns", "infer-v2" } };
	static struct off_peer_status back;
	char buf[1024], err[256];
	int n = off_peer_status_format(&st, buf, sizeof(buf));

	(void)state;
	assert_true(n > 0 && (size_t)n == strlen(buf));
	if (off_peer_status_parse(buf, n, &back, err, sizeof(err)))
		fail_msg("%s: %s", buf, err);
	assert_string_equal(back.node, st.node);
	assert_string_equal(back.version, st.version);
	assert_int_equal(back.kind, OFF_KIND_CLOUD);
	assert_true(fabs(back.cpu_util - st.cpu_util) < 1e-9 && back.load == 0.5);
	assert_true(back.rq_p99_us == st.rq_p99_us && back.capacity_cores == st.capacity_cores);
	assert_int_equal(back.clients, 7);
	assert_int_equal(off_peer_others(&back), 6);	/* this agent is one of the 7 */
	assert_int_equal(back.nservices, 3);
	assert_string_equal(back.services[2], "infer-v2");
	assert_int_equal(off_peer_status_format(&st, buf, 40), -ENOSPC);
	st.cpu_util = NAN;
	assert_int_equal(off_peer_status_format(&st, buf, sizeof(buf)), -EINVAL);
}

static void parses_a_peer_and_ignores_new_fields(void **state)
{
	static struct off_peer_status st;
	char body[512], err[256];

	(void)state;
	snprintf(body, sizeof(body), "%.*s,\"gpu\":{\"util\":0.5}}", (int)strlen(good) - 1, good);
	if (off_peer_status_parse(body, strlen(body), &st, err, sizeof(err)))
		fail_msg("%s", err);
	assert_string_equal(st.node, "edge1");
	assert_true(st.cpu_util == 0.25 && st.rq_p99_us == 480 && st.capacity_cores == 4);
	assert_true(st.load == -1);	/* an older peer: no load, cpu_util stands in */
	assert_int_equal(st.kind, OFF_KIND_EDGE);	/* nor its kind: edge, as before */
	assert_int_equal(st.clients, 0);	/* nor its clients: no other agent */
	assert_int_equal(off_peer_others(&st), 0);
	assert_int_equal(st.nservices, 2);
	assert_string_equal(st.services[1], "dns");
}

/* good with FROM replaced by TO, refused with WANT; *st untouched. */
static void refused(const char *from, const char *to, const char *want)
{
	static struct off_peer_status st, before;
	char body[1024], err[256];
	const char *at = strstr(good, from);

	assert_non_null(at);
	snprintf(body, sizeof(body), "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
	memset(&st, 0x5a, sizeof(st));
	before = st;
	if (off_peer_status_parse(body, strlen(body), &st, err, sizeof(err)) != -EINVAL)
		fail_msg("accepted: %s", body);
	if (strncmp(err, want, strlen(want)))
		fail_msg("%s:\n got \"%s\"\nwant \"%s\"", body, err, want);
	assert_memory_equal(&st, &before, sizeof(st));
}

static void refuses_each_bad_field(void **state)
{
	(void)state;
	refused("\"node\":\"edge1\",", "", "status: node: missing");
	refused("\"cpu_util\":0.25", "\"cpu_util\":0.25,\"load\":1.5", "status: load: expected a number from 0, up to 1, got 1.5");
	refused("\"edge1\"", "42", "status: node: expected a string of 1..63 letters, digits, '.', '_' and '-'");
	refused("\"edge1\"", "\"edge1\\u001b[31m\"", "status: node: expected a string of 1..63 letters");
	refused("\"0.1.0\"", "\"\"", "status: version: expected a string of 1..31 printable ASCII characters");
	refused("\"0.1.0\"", "\"0.1.0\\n\"", "status: version: expected a string of 1..31 printable");
	refused("\"edge1\",", "\"edge1\",\"kind\":\"local\",", "status: kind: expected \"edge\" or \"cloud\"");
	refused("\"edge1\",", "\"edge1\",\"kind\":2,", "status: kind: expected \"edge\" or \"cloud\"");
	refused("0.25", "\"0.25\"", "status: cpu_util: expected a number");
	refused("0.25", "3.5", "status: cpu_util: expected a number from 0, up to 1.2, got 3.5");
	refused("0.25", "-0.1", "status: cpu_util: expected a number from 0, up to 1.2, got -0.1");
	refused("480", "-1", "status: rq_p99_us: expected a number from 0, up to 6e+07, got -1");
	refused("480", "null", "status: rq_p99_us: expected a number");
	refused("\"capacity_cores\":4", "\"capacity_cores\":0",
		"status: capacity_cores: expected a number above 0, up to 65536, got 0");
	refused("\"capacity_cores\":4", "\"capacity_cores\":4,\"clients\":-1",
		"status: clients: expected a whole number from 0 up to 65536");
	refused("\"capacity_cores\":4", "\"capacity_cores\":4,\"clients\":2.5",
		"status: clients: expected a whole number from 0 up to 65536");
	refused("\"capacity_cores\":4", "\"capacity_cores\":4,\"clients\":65537",
		"status: clients: expected a whole number from 0 up to 65536");
	refused("\"capacity_cores\":4", "\"capacity_cores\":4,\"clients\":\"3\"",
		"status: clients: expected a whole number from 0 up to 65536");
	refused("[\"api\",\"dns\"]", "\"api\"", "status: services: expected an array");
	refused("[\"api\",\"dns\"]", "[\"api\",7]", "status: services[1]: expected a service name");
	refused("[\"api\",\"dns\"]", "[\"api\",\"a b\"]", "status: services[1]: expected a service name");
	refused("[\"api\",\"dns\"]", "[\"api\",\"api\"]", "status: services[1]: the same as services[0]");
	/* Not JSON at all: NaN and overflowing numbers, duplicate keys, junk. */
	refused("0.25", "NaN", "status: not JSON: ");
	refused("480", "1e400", "status: not JSON: ");
	refused("\"version\"", "\"node\"", "status: not JSON: duplicate object key");
	refused(good, "[1,2]", "status: expected a JSON object");
	refused(good, "{", "status: not JSON: ");
	refused("}", "} trailing", "status: not JSON: ");
}

static void refuses_too_many_services_and_big_replies(void **state)
{
	static struct off_peer_status st;
	char *body = malloc(OFF_STATUS_MAX_BYTES + 2), err[256], want[128];
	size_t n;

	(void)state;
	n = snprintf(body, 256, "{\"node\":\"a\",\"version\":\"1\",\"cpu_util\":0,\"rq_p99_us\":0,"
		     "\"capacity_cores\":1,\"services\":[");
	for (int i = 0; i <= OFF_STATUS_MAX_SERVICES; i++)
		n += sprintf(body + n, "%s\"s%d\"", i ? "," : "", i);
	n += sprintf(body + n, "]}");
	assert_int_equal(off_peer_status_parse(body, n, &st, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "status: services: %d of them, over the limit of %d",
		 OFF_STATUS_MAX_SERVICES + 1, OFF_STATUS_MAX_SERVICES);
	assert_string_equal(err, want);
	memset(body, ' ', OFF_STATUS_MAX_BYTES + 1);
	assert_int_equal(off_peer_status_parse(body, OFF_STATUS_MAX_BYTES + 1, &st, err, sizeof(err)), -EFBIG);
	assert_string_equal(err, "status: reply of 65537 bytes, over the limit of 65536");
	free(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(parses_a_peer_and_ignores_new_fields),
		cmocka_unit_test(refuses_each_bad_field),
		cmocka_unit_test(refuses_too_many_services_and_big_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
