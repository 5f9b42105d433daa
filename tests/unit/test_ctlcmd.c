// SPDX-License-Identifier: GPL-2.0
/* The control commands' one table, and offloadd's dispatch on it: who may
 * use each command and the messages of a request it cannot serve. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "agent/daemon.h"
#include "lib/ctlcmd.h"

static void table(void **state)
{
	(void)state;
	for (int i = 0; i < OFF_CTL_CMDS; i++) {
		const struct off_ctl_cmd *c = &off_ctl_cmds[i];

		assert_int_equal(off_ctl_find(c->name), i);
		assert_true(c->min_args <= c->max_args && c->max_args <= 2);
		for (int a = 0; a < 2; a++)
			assert_true((a < c->max_args) == (c->arg[a] != NULL));
		assert_memory_equal(c->synopsis, c->name, strlen(c->name));
		assert_true(c->help[0]);
	}
	assert_int_equal(off_ctl_find("pin"), OFF_CTL_PIN);
	assert_int_equal(off_ctl_find("Status"), -1);
	assert_int_equal(off_ctl_find(NULL), -1);
	/* What offloadctl.8 says only root and ctl_admin_group may do. */
	for (int i = 0; i < OFF_CTL_CMDS; i++)
		assert_int_equal(off_ctl_cmds[i].changes,
				 i == OFF_CTL_PIN || i == OFF_CTL_UNPIN || i == OFF_CTL_RELOAD);
}

/* The agent's reply to one line, from a daemon that governs nothing. */
static void ask(const char *line, int admin, char *out, size_t len)
{
	static struct off_daemon d = { .path = "/nonexistent/offloadd.conf", .ctl = { .lfd = -1 },
				       .status = { .lfd = -1 }, .metrics = { .lfd = -1 },
				       .cfg = { .tick_ms = 1000 } };
	struct off_reply *r = off_daemon_command(&d, line, admin, NULL);

	assert_non_null(r);
	snprintf(out, len, "%s", r->data);
	off_reply_put(r);
}

static void dispatch(void **state)
{
	char line[128], want[256], got[4096];

	(void)state;
	for (int i = 0; i < OFF_CTL_CMDS; i++) {
		snprintf(line, sizeof(line), "{\"cmd\":\"%s\"}", off_ctl_cmds[i].name);
		ask(line, 0, got, sizeof(got));
		snprintf(want, sizeof(want), "{\"ok\":false,\"error\":\"%s: permission denied: only root "
			 "and ctl_admin_group may change the agent\"}\n", off_ctl_cmds[i].name);
		if (off_ctl_cmds[i].changes)
			assert_string_equal(got, want);
		else
			assert_null(strstr(got, "permission denied"));
	}
	ask("{\"cmd\":\"status\"}", 0, got, sizeof(got));
	assert_memory_equal(got, "{\"ok\":true,", 10);
	ask("{\"cmd\":\"unpin\",\"workload\":\"nope\"}", 1, got, sizeof(got));
	assert_string_equal(got, "{\"ok\":false,\"error\":\"no such workload: \\\"nope\\\"\"}\n");
	ask("{\"cmd\":\"bogus\"}", 0, got, sizeof(got));
	assert_string_equal(got, "{\"ok\":false,\"error\":\"unknown command \\\"bogus\\\"\"}\n");
	ask("{\"cmd\":\"bogus\"}", 1, got, sizeof(got));
	assert_string_equal(got, "{\"ok\":false,\"error\":\"unknown command \\\"bogus\\\"\"}\n");
	ask("[1]", 1, got, sizeof(got));
	assert_string_equal(got, "{\"ok\":false,\"error\":\"expected a JSON object with \\\"cmd\\\"\"}\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table),
		cmocka_unit_test(dispatch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
