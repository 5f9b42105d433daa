// SPDX-License-Identifier: GPL-2.0
/* observe's JSON: remote formatting, escaping, and one workload's object
 * (its own tasks busiest first, its own flows) read back with jansson. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <jansson.h>

#include "agent/kernel/jsonout.h"

static struct off_flow_key key4(const char *ip, uint16_t port, uint32_t widx)
{
	struct off_flow_key k = { .widx = widx, .port = port };

	k.addr[10] = k.addr[11] = 0xff;
	inet_pton(AF_INET, ip, &k.addr[12]);
	return k;
}

static void remote_formats(void **state)
{
	struct off_flow_key k = key4("10.1.2.3", 8080, 1);
	char buf[64];

	(void)state;
	off_flow_remote(&k, buf, sizeof(buf));
	assert_string_equal(buf, "10.1.2.3:8080");
	k.port = 0;
	off_flow_remote(&k, buf, sizeof(buf));
	assert_string_equal(buf, "10.1.2.3:*");
	memset(k.addr, 0, sizeof(k.addr));
	inet_pton(AF_INET6, "2001:db8::7", k.addr);
	k.port = 443;
	off_flow_remote(&k, buf, sizeof(buf));
	assert_string_equal(buf, "[2001:db8::7]:443");
}

static char *capture_str(const char *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	off_json_str(f, s);
	fclose(f);
	return out;
}

static void strings_escaped(void **state)
{
	char *out = capture_str("a\"b\\c\nd");

	(void)state;
	assert_string_equal(out, "\"a\\\"b\\\\c\\u000ad\"");
	free(out);
}

static void workload_object(void **state)
{
	static struct off_wl_stats wl[3];
	static struct off_task_rec tasks[3] = {
		{ .pid = 10, .t = { .widx = 1, .cpu_ns = 5, .comm = "light" } },
		{ .pid = 11, .t = { .widx = 2, .cpu_ns = 99, .comm = "other" } },
		{ .pid = 12, .t = { .widx = 1, .cpu_ns = 9, .comm = "busy" } },
	};
	static struct off_flow_rec flows[2];
	static const struct off_task_rec *order[3];
	struct off_snapshot s = { .nwl = 3, .wl = wl, .ntasks = 3, .max_tasks = 3,
				  .tasks = tasks, .nflows = 2, .max_flows = 2, .flows = flows,
				  .order = order };
	char *out = NULL;
	size_t len = 0;
	json_error_t jerr;
	json_t *o, *t;
	FILE *f;

	(void)state;
	wl[1].cpu_ns = 14;
	wl[1].rq_hist_us[3] = 2;
	flows[0].k = key4("192.0.2.1", 80, 1);
	flows[0].f.srtt_us = 1234;
	flows[1].k = key4("192.0.2.2", 80, 2);
	f = open_memstream(&out, &len);
	off_json_workload(f, &s, 1, "/sys/fs/cgroup/unified/web", 42);
	fclose(f);
	o = json_loads(out, 0, &jerr);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "workload")), "/sys/fs/cgroup/unified/web");
	assert_int_equal(json_integer_value(json_object_get(o, "cgroup_id")), 42);
	assert_int_equal(json_integer_value(json_object_get(o, "cpu_ns")), 14);
	assert_int_equal(json_array_size(json_object_get(o, "rq_hist_us")), OFF_HIST_SLOTS);
	t = json_object_get(o, "tasks");
	assert_int_equal(json_array_size(t), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(t, 0), "pid")), 12);
	assert_string_equal(json_string_value(json_object_get(json_array_get(t, 1), "comm")), "light");
	t = json_object_get(o, "flows");
	assert_int_equal(json_array_size(t), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(t, 0), "remote")), "192.0.2.1:80");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(t, 0), "srtt_us")), 1234);
	json_decref(o);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(remote_formats),
		cmocka_unit_test(strings_escaped),
		cmocka_unit_test(workload_object),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
