// SPDX-License-Identifier: GPL-2.0
/* Value parsers: what a user may write is read exactly, and near misses
 * (signs, spaces, octal, unbracketed IPv6, missing units) are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "agent/config/parse.h"

static void integers(void **state)
{
	uint32_t v;

	(void)state;
	assert_int_equal(off_parse_u32("010", 0, 100, &v), 0);
	assert_int_equal(v, 10);		/* decimal, not octal */
	assert_int_equal(off_parse_u32("0x0ff10000", 0, UINT32_MAX, &v), 0);
	assert_int_equal(v, 0x0ff10000);
	assert_int_equal(off_parse_u32("4294967295", 0, UINT32_MAX, &v), 0);
	assert_int_equal(v, UINT32_MAX);
	for (const char *const *s = (const char *const[]){ "", "-1", "+1", " 1", "1 ", "0x", "0x-1", "1e3",
							   "4294967296", "101", NULL }; *s; s++)
		if (!off_parse_u32(*s, 0, 100, &v))
			fail_msg("accepted \"%s\"", *s);
}

static void durations(void **state)
{
	uint32_t ms;
	char buf[16];

	(void)state;
	assert_int_equal(off_parse_duration_ms("500ms", 0, 60000, &ms), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(off_parse_duration_ms("2s", 0, 60000, &ms), 0);
	assert_int_equal(ms, 2000);
	assert_int_equal(off_parse_duration_ms("1m", 0, 60000, &ms), 0);
	assert_int_equal(ms, 60000);
	for (const char *const *s = (const char *const[]){ "500", "1.5s", "2 s", "s", "-1s", "2S", "61s",
							   "4294967296ms", "99999999m", NULL }; *s; s++)
		if (!off_parse_duration_ms(*s, 0, 60000, &ms))
			fail_msg("accepted \"%s\"", *s);
	assert_string_equal(off_fmt_duration(60000, buf, sizeof(buf)), "1m");
	assert_string_equal(off_fmt_duration(1500, buf, sizeof(buf)), "1500ms");
	assert_string_equal(off_fmt_duration(0, buf, sizeof(buf)), "0ms");
}

static void numbers_and_bools(void **state)
{
	double d;
	bool b;

	(void)state;
	assert_int_equal(off_parse_double("0.25", 0, 1, &d), 0);
	assert_true(d == 0.25);
	assert_int_equal(off_parse_double("-2", -5, 1, &d), 0);
	for (const char *const *s = (const char *const[]){ "nan", "inf", "", " 1", "1x", "2", ".5", NULL }; *s; s++)
		if (!off_parse_double(*s, 0, 1, &d))
			fail_msg("accepted \"%s\"", *s);
	assert_int_equal(off_parse_bool("yes", &b), 0);
	assert_true(b);
	assert_int_equal(off_parse_bool("off", &b), 0);
	assert_false(b);
	assert_int_equal(off_parse_bool("True", &b), -EINVAL);
}

static void addresses(void **state)
{
	struct sockaddr_storage ss;
	struct off_endpoint ep = { .proto = 6 };
	socklen_t len;

	(void)state;
	assert_int_equal(off_parse_endpoint("10.1.2.3:80", &ep), 0);
	assert_true(off_ip_is_v4(ep.addr) && ep.addr[15] == 3 && ep.port == 80 && ep.proto == 6);
	assert_int_equal(off_parse_endpoint("[fd00::1]:8080", &ep), 0);
	assert_true(!off_ip_is_v4(ep.addr) && ep.addr[0] == 0xfd && ep.addr[15] == 1 && ep.port == 8080);
	assert_int_equal(off_parse_sockaddr("[::1]:7400", &ss, &len), 0);
	assert_true(ss.ss_family == AF_INET6 && len == sizeof(struct sockaddr_in6));
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 7400);
	assert_int_equal(off_parse_sockaddr("127.0.0.1:9477", &ss, &len), 0);
	assert_true(ss.ss_family == AF_INET && len == sizeof(struct sockaddr_in));
	for (const char *const *s = (const char *const[]){ "fd00::1:80", "[10.0.0.1]:80", "10.0.0.1", "10.0.0.1:0",
							   "10.0.0.1:65536", ":80", "[]:80", "[::1]80",
							   "host:80", "10.0.0.1:80 ", NULL }; *s; s++)
		if (!off_parse_endpoint(*s, &ep))
			fail_msg("accepted \"%s\"", *s);
	assert_int_equal(off_parse_name("edge-1.lan_2", 32), 0);
	assert_int_equal(off_parse_name("-edge", 32), -EINVAL);
	assert_int_equal(off_parse_name("a/b", 32), -EINVAL);
	assert_int_equal(off_parse_name("abcd", 4), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(integers),
		cmocka_unit_test(durations),
		cmocka_unit_test(numbers_and_bools),
		cmocka_unit_test(addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
