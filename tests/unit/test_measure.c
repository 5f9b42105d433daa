// SPDX-License-Identifier: GPL-2.0
/* What a tick counts toward a target: only connections to the ports of the
 * workload's services there; and a flow aged out of the kernel's map keeps
 * its counts, so the next tick neither loses nor invents connections. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "agent/tick/measure.h"

static const char conf[] =
	"[peer edge1]\naddress = 10.0.0.2\nkind = edge\nstatus_port = 0\n"
	"[service api]\nvip = 10.9.9.9:80\nprotocol = tcp\nlocal = 127.0.0.1:8080\nport.edge1 = 8081\n"
	"[service bulk]\nvip = 10.9.9.8:90\nprotocol = tcp\nlocal = 127.0.0.1:9090\n"
	"[service dns]\nvip = 10.9.9.7:53\nprotocol = udp\nlocal = 127.0.0.1:53\n"
	"[workload app]\ncgroup = /sys/fs/cgroup/app\nservices = api,bulk,dns\n";

struct fixture {
	struct off_config c;
	struct off_measure m;
	struct off_snapshot s;
	struct off_wl_stats wl[2];
	struct off_flow_rec flows[8];
	uint32_t current[1];
};

static struct off_flow_rec flow(const char *ip, uint16_t port, uint64_t opened)
{
	struct off_flow_rec r = { .k = { .widx = 1, .port = port } };

	r.k.addr[10] = r.k.addr[11] = 0xff;
	inet_pton(AF_INET, ip, &r.k.addr[12]);
	r.f.conns_opened = r.f.conns_closed = opened;
	r.f.srtt_us = 1000;
	return r;
}

static int setup(void **state)
{
	static struct fixture f;
	char err[512];

	memset(&f, 0, sizeof(f));
	if (off_config_parse_str(conf, "test", &f.c, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(off_measure_init(&f.m, 1, 2), 0);
	f.m.scope.ncpus = 1;
	f.m.scope.capacity = 1;
	f.s.nwl = 2;
	f.s.wl = f.wl;
	f.s.flows = f.flows;
	f.s.max_flows = 8;
	off_measure_tick(&f.m, &f.s, &f.c, f.current, 1000000000ULL);	/* the baseline */
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	off_measure_free(&f->m);
	off_config_free(&f->c);
	return 0;
}

static void only_service_ports_count(void **state)
{
	struct fixture *f = *state;

	f->flows[0] = flow("10.0.0.2", 8081, 5);	/* api at edge1 */
	f->flows[1] = flow("10.0.0.2", 90, 3);		/* bulk at edge1: the VIP's port */
	f->flows[2] = flow("10.0.0.2", 22, 7);		/* the peer's ssh */
	f->flows[3] = flow("10.0.0.2", 80, 4);		/* api's VIP port, not edge1's */
	f->flows[4] = flow("10.0.0.2", 53, 6);		/* dns is UDP: not this TCP flow */
	f->flows[5] = flow("127.0.0.1", 8080, 2);	/* api, local */
	f->flows[6] = flow("127.0.0.1", 8081, 9);	/* no service of ours */
	f->s.nflows = 7;
	off_measure_tick(&f->m, &f->s, &f->c, f->current, 2000000000ULL);
	assert_int_equal((int)f->m.wl[0].t[1].opened, 5 + 3);
	assert_int_equal((int)f->m.wl[0].t[OFF_TARGET_LOCAL].opened, 2);
	assert_int_equal((int)f->m.wl[0].requests, 10);
}

static void aged_flow_keeps_its_counts(void **state)
{
	struct fixture *f = *state;

	f->flows[0] = flow("10.0.0.2", 8081, 5);
	f->s.nflows = 1;
	off_measure_tick(&f->m, &f->s, &f->c, f->current, 2000000000ULL);
	assert_int_equal((int)f->m.wl[0].t[1].opened, 5);
	/* Aged out after one more connection; bulk's first two arrive. */
	f->flows[0].f.conns_opened = f->flows[0].f.conns_closed = 6;
	off_measure_retire(&f->m, &f->c, &f->flows[0].k, &f->flows[0].f);
	f->flows[0] = flow("10.0.0.2", 90, 2);
	off_measure_tick(&f->m, &f->s, &f->c, f->current, 3000000000ULL);
	assert_int_equal((int)f->m.wl[0].t[1].opened, 1 + 2);
	assert_int_equal((int)f->m.wl[0].t[1].closed, 1 + 2);
	/* Then nothing: no connection invented or lost. */
	off_measure_tick(&f->m, &f->s, &f->c, f->current, 4000000000ULL);
	assert_int_equal((int)f->m.wl[0].t[1].opened, 0);
}

static void unknown_flows_are_not_retired(void **state)
{
	struct fixture *f = *state;
	struct off_flow_rec ssh = flow("10.0.0.2", 22, 7), other = flow("10.0.0.2", 8081, 1);

	other.k.widx = 5;	/* a workload of a previous run */
	off_measure_retire(&f->m, &f->c, &ssh.k, &ssh.f);
	off_measure_retire(&f->m, &f->c, &other.k, &other.f);
	f->s.nflows = 0;
	off_measure_tick(&f->m, &f->s, &f->c, f->current, 2000000000ULL);
	assert_int_equal((int)f->m.wl[0].t[1].opened, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(only_service_ports_count, setup, teardown),
		cmocka_unit_test_setup_teardown(aged_flow_keeps_its_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_flows_are_not_retired, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
