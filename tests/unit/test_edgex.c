// SPDX-License-Identifier: GPL-2.0
/* EdgeX events: the envelope and AddEventRequest parse as JSON with every
 * field EdgeX requires, EdgeX 3's payload is the request in base64 (as
 * OpenSSL writes it) and EdgeX 4's the request itself, values are formatted
 * as EdgeX's Go code formats them, UUIDs are version 4, topics name the
 * event, and an event that does not fit is refused rather than cut. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "agent/edgex/event.h"

static const struct off_edgex_source src = { "offloadd", "offloadd-workload", "gw1", "camera" };
static const struct off_edgex_reading readings[] = {
	{ "target", OFF_EDGEX_STRING, 1, "edge1", NULL }, { "cpu_util", OFF_EDGEX_FLOAT64, 0.25, NULL, NULL },
	{ "rq_p99_ms", OFF_EDGEX_FLOAT64, 1234.5, NULL, NULL }, { "srtt_ms", OFF_EDGEX_FLOAT64, -0.00012, NULL, NULL },
	{ "reward", OFF_EDGEX_FLOAT64, NAN, NULL, NULL },
};
static const char *const values[] = { "edge1", "2.500000e-01", "1.234500e+03", "-1.200000e-04", "NaN" };
static const uint64_t origin = 1796080939861147857ULL;	/* past 2^53: a double would round it */

static void is_uuid(const char *s)
{
	regex_t re;

	assert_int_equal(regcomp(&re, "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
				 REG_EXTENDED | REG_NOSUB), 0);
	if (!s || regexec(&re, s, 0, NULL, 0))
		fail_msg("not a version 4 UUID: %s", s ? s : "(none)");
	regfree(&re);
}

static void check_request(json_t *req)
{
	json_t *ev = json_object_get(req, "event"), *rs = json_object_get(ev, "readings");

	assert_string_equal(json_string_value(json_object_get(req, "apiVersion")), "v3");
	is_uuid(json_string_value(json_object_get(req, "requestId")));
	assert_string_equal(json_string_value(json_object_get(ev, "apiVersion")), "v3");
	is_uuid(json_string_value(json_object_get(ev, "id")));
	assert_string_equal(json_string_value(json_object_get(ev, "deviceName")), "gw1");
	assert_string_equal(json_string_value(json_object_get(ev, "profileName")), "offloadd-workload");
	assert_string_equal(json_string_value(json_object_get(ev, "sourceName")), "camera");
	assert_true((uint64_t)json_integer_value(json_object_get(ev, "origin")) == origin);
	assert_int_equal(json_array_size(rs), 5);
	for (size_t i = 0; i < 5; i++) {
		json_t *r = json_array_get(rs, i);

		is_uuid(json_string_value(json_object_get(r, "id")));
		assert_true((uint64_t)json_integer_value(json_object_get(r, "origin")) == origin);
		assert_string_equal(json_string_value(json_object_get(r, "deviceName")), "gw1");
		assert_string_equal(json_string_value(json_object_get(r, "profileName")), "offloadd-workload");
		assert_string_equal(json_string_value(json_object_get(r, "resourceName")), readings[i].resource);
		assert_string_equal(json_string_value(json_object_get(r, "valueType")), i ? "Float64" : "String");
		assert_string_equal(json_string_value(json_object_get(r, "value")), values[i]);
	}
}

static json_t *envelope(int version, char *out, size_t cap)
{
	struct off_edgex_fmt f;
	json_error_t jerr;
	json_t *env;
	size_t len;

	assert_int_equal(off_edgex_fmt_init(&f, version), 0);
	len = off_edgex_event(&f, &src, origin, readings, 5, out, cap);
	assert_true(len > 0 && len == strlen(out));
	env = json_loads(out, 0, &jerr);
	if (!env)
		fail_msg("not JSON: %s: %s", jerr.text, out);
	assert_string_equal(json_string_value(json_object_get(env, "apiVersion")), "v3");
	assert_string_equal(json_string_value(json_object_get(env, "contentType")), "application/json");
	is_uuid(json_string_value(json_object_get(env, "correlationID")));
	assert_int_equal(json_integer_value(json_object_get(env, "errorCode")), 0);
	return env;
}

static void edgex4_carries_the_request(void **state)
{
	char out[OFF_EDGEX_MSG_MAX];
	json_t *env = envelope(4, out, sizeof(out));

	(void)state;
	check_request(json_object_get(env, "payload"));
	json_decref(env);
}

static void edgex3_carries_it_in_base64(void **state)
{
	char out[OFF_EDGEX_MSG_MAX];
	unsigned char raw[OFF_EDGEX_MSG_MAX];
	json_t *env = envelope(3, out, sizeof(out)), *req;
	const char *b64 = json_string_value(json_object_get(env, "payload"));
	int n;

	(void)state;
	assert_non_null(b64);
	n = EVP_DecodeBlock(raw, (const unsigned char *)b64, strlen(b64));
	assert_true(n > 0);
	while (n && !raw[n - 1])
		n--;	/* DecodeBlock counts base64's padding as zero bytes */
	req = json_loadb((const char *)raw, n, 0, NULL);
	assert_non_null(req);
	check_request(req);
	json_decref(req);
	json_decref(env);
}

/* Our base64 against OpenSSL's, on requests of each length modulo 3 (the
 * source's name one character longer each time): the same text, padding
 * included. */
static void base64_as_openssl_writes_it(void **state)
{
	static const char *const names[] = { "c", "ca", "cam" };
	char out[OFF_EDGEX_MSG_MAX], again[OFF_EDGEX_MSG_MAX];
	unsigned char raw[OFF_EDGEX_MSG_MAX];
	int rems = 0;

	(void)state;
	for (int i = 0; i < 3; i++) {
		struct off_edgex_source s = src;
		struct off_edgex_fmt f;
		json_t *env;
		const char *b64;
		int n;

		s.source = names[i];
		assert_int_equal(off_edgex_fmt_init(&f, 3), 0);
		assert_true(off_edgex_event(&f, &s, origin, readings, 5, out, sizeof(out)) > 0);
		env = json_loads(out, 0, NULL);
		b64 = json_string_value(json_object_get(env, "payload"));
		n = EVP_DecodeBlock(raw, (const unsigned char *)b64, strlen(b64));
		n -= (b64[strlen(b64) - 1] == '=') + (b64[strlen(b64) - 2] == '=');
		rems |= 1 << (n % 3);
		EVP_EncodeBlock((unsigned char *)again, raw, n);
		assert_string_equal(b64, again);
		json_decref(env);
	}
	assert_int_equal(rems, 7);
}

static void values_as_go_formats_them(void **state)
{
	static const struct { struct off_edgex_reading r; const char *want; } cases[] = {
		{ { "x", OFF_EDGEX_FLOAT64, 0, NULL, NULL }, "0.000000e+00" },
		{ { "x", OFF_EDGEX_FLOAT64, 1e300, NULL, NULL }, "1.000000e+300" },
		{ { "x", OFF_EDGEX_FLOAT64, INFINITY, NULL, NULL }, "+Inf" },
		{ { "x", OFF_EDGEX_FLOAT64, -INFINITY, NULL, NULL }, "-Inf" },
		{ { "x", OFF_EDGEX_BOOL, 1, NULL, NULL }, "true" },
		{ { "x", OFF_EDGEX_BOOL, 0, NULL, NULL }, "false" },
	};
	char v[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		off_edgex_value(&cases[i].r, v, sizeof(v));
		assert_string_equal(v, cases[i].want);
	}
}

static void topics_and_overflow(void **state)
{
	struct off_edgex_fmt f;
	char t[128], small[600];

	(void)state;
	assert_int_equal(off_edgex_topic("edgex/events/device", &src, 0, t, sizeof(t)),
			 strlen("edgex/events/device/offloadd/offloadd-workload/gw1/camera"));
	assert_string_equal(t, "edgex/events/device/offloadd/offloadd-workload/gw1/camera");
	off_edgex_topic("edgex/events/device", &src, 1, t, sizeof(t));
	assert_string_equal(t, "edgex.events.device.offloadd.offloadd-workload.gw1.camera");
	assert_int_equal(off_edgex_topic("edgex/events/device", &src, 0, t, 20), 0);
	assert_int_equal(off_edgex_fmt_init(&f, 3), 0);
	assert_int_equal(off_edgex_event(&f, &src, origin, readings, 5, small, sizeof(small)), 0);
	f.version = 4;
	assert_int_equal(off_edgex_event(&f, &src, origin, readings, 5, small, sizeof(small)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(edgex4_carries_the_request),
		cmocka_unit_test(edgex3_carries_it_in_base64),
		cmocka_unit_test(base64_as_openssl_writes_it),
		cmocka_unit_test(values_as_go_formats_them),
		cmocka_unit_test(topics_and_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
