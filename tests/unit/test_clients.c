// SPDX-License-Identifier: GPL-2.0
/* The agents a host counts as probing it: one per source address, IPv4 and
 * IPv6 (an IPv4-mapped address is its IPv4 host), forgotten after the
 * window, the least recent evicted when the table is full. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "agent/serve/clients.h"

#define S 1000000000ULL

/* A source address: "a.b.c.d" or an IPv6 one, any port. */
static struct sockaddr_storage from(const char *ip, int port)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;

	if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
	} else {
		assert_int_equal(inet_pton(AF_INET6, ip, &a6->sin6_addr), 1);
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
	}
	return ss;
}

static void seen(struct off_clients *cs, const char *ip, int port, uint64_t at)
{
	struct sockaddr_storage ss = from(ip, port);

	off_clients_seen(cs, &ss, at);
}

/* ip has a slot in the table, counted or not. */
static int has(const struct off_clients *cs, const char *ip)
{
	struct sockaddr_storage ss = from(ip, 1);
	struct off_clients one = {};

	off_clients_seen(&one, &ss, 1);
	for (int i = 0; i < cs->n; i++)
		if (!memcmp(&cs->c[i].addr, &one.c[0].addr, sizeof(one.c[0].addr)))
			return 1;
	return 0;
}

static void one_per_address(void **state)
{
	static struct off_clients cs;

	(void)state;
	assert_int_equal(off_clients_count(&cs, 100 * S), 0);
	/* Every probe is a new connection from a new port: one agent still. */
	for (int i = 0; i < 10; i++)
		seen(&cs, "10.0.0.1", 40000 + i, 100 * S + i);
	assert_int_equal(off_clients_count(&cs, 100 * S + 10), 1);
	seen(&cs, "10.0.0.2", 40000, 100 * S + 11);
	seen(&cs, "10.0.0.3", 40000, 100 * S + 12);
	assert_int_equal(off_clients_count(&cs, 100 * S + 12), 3);
}

static void ipv6_and_mapped(void **state)
{
	static struct off_clients cs;
	struct sockaddr_storage unix_src = { .ss_family = AF_UNIX };

	(void)state;
	seen(&cs, "fd00::1", 1, S);
	seen(&cs, "fd00::2", 1, S);
	seen(&cs, "fd00::1", 2, S);
	assert_int_equal(off_clients_count(&cs, S), 2);
	/* A dual-stack listener sees an IPv4 host as ::ffff:a.b.c.d. */
	seen(&cs, "192.0.2.7", 1, S);
	seen(&cs, "::ffff:192.0.2.7", 1, S);
	assert_int_equal(off_clients_count(&cs, S), 3);
	/* The same last 4 bytes in a real IPv6 address are another host. */
	seen(&cs, "fd00::c000:207", 1, S);
	assert_int_equal(off_clients_count(&cs, S), 4);
	off_clients_seen(&cs, &unix_src, S);
	assert_int_equal(off_clients_count(&cs, S), 4);
}

static void window(void **state)
{
	static struct off_clients cs;
	uint64_t t0 = 50 * S;

	(void)state;
	seen(&cs, "10.0.0.1", 1, t0);
	seen(&cs, "10.0.0.2", 1, t0 + 5 * S);
	assert_int_equal(off_clients_count(&cs, t0 + OFF_CLIENTS_WINDOW_NS - 1), 2);
	assert_int_equal(off_clients_count(&cs, t0 + OFF_CLIENTS_WINDOW_NS), 1);
	assert_int_equal(off_clients_count(&cs, t0 + 5 * S + OFF_CLIENTS_WINDOW_NS), 0);
	/* A prober that comes back counts again, in the slot it had. */
	seen(&cs, "10.0.0.1", 1, t0 + 30 * S);
	assert_int_equal(off_clients_count(&cs, t0 + 30 * S), 1);
	assert_int_equal(cs.n, 2);
	/* Probing keeps one counted however long it goes on. */
	for (uint64_t t = t0 + 31 * S; t < t0 + 100 * S; t += S)
		seen(&cs, "10.0.0.1", 1, t);
	assert_int_equal(off_clients_count(&cs, t0 + 99 * S + OFF_CLIENTS_WINDOW_NS - 1), 1);
}

static void full_table_evicts_the_least_recent(void **state)
{
	static struct off_clients cs;
	char ip[64];
	uint64_t t = 1000 * S;

	(void)state;
	for (int i = 0; i < OFF_CLIENTS_MAX + 44; i++) {
		snprintf(ip, sizeof(ip), "fd00::%x", i + 1);
		seen(&cs, ip, 1, t + i);
	}
	/* 300 agents in the window read as the table's 256, no more. */
	assert_int_equal(cs.n, OFF_CLIENTS_MAX);
	assert_int_equal(off_clients_count(&cs, t + 400), OFF_CLIENTS_MAX);
	/* The first 44 went, the least recent first; the 45th stays. */
	assert_false(has(&cs, "fd00::1"));
	assert_false(has(&cs, "fd00::2c"));
	assert_true(has(&cs, "fd00::2d"));
	/* Seen again, it takes no new slot: fd00::2e, now the least recent,
	 * is the one a newcomer evicts. */
	seen(&cs, "fd00::2d", 1, t + 500);
	seen(&cs, "fd00::ffff", 1, t + 501);
	assert_true(has(&cs, "fd00::2d") && has(&cs, "fd00::ffff"));
	assert_false(has(&cs, "fd00::2e"));
	/* An expired entry is the first to go once the rest are fresh. */
	t += 20 * S;
	for (int i = 0; i < OFF_CLIENTS_MAX - 1; i++) {
		snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 250, i % 250 + 1);
		seen(&cs, ip, 1, t);
	}
	assert_int_equal(off_clients_count(&cs, t), OFF_CLIENTS_MAX - 1);
	seen(&cs, "10.9.9.9", 1, t);
	assert_int_equal(off_clients_count(&cs, t), OFF_CLIENTS_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_per_address),
		cmocka_unit_test(ipv6_and_mapped),
		cmocka_unit_test(window),
		cmocka_unit_test(full_table_evicts_the_least_recent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
