// SPDX-License-Identifier: GPL-2.0
/* A peer's reply is checked before any of it is used: size first, then the
 * type and range of every field. Its strings are never echoed into our
 * messages, since they go to the journal. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "agent/config/parse.h"
#include "agent/serve/peerreply.h"

int off_peer_status_format(const struct off_peer_status *st, char *buf, size_t len)
{
	json_t *services = json_array(), *o;
	size_t n;

	for (int i = 0; services && i < st->nservices; i++)
		json_array_append_new(services, json_string(st->services[i]));
	/* "o" takes over services, even when json_pack fails. */
	o = json_pack("{s:s, s:s, s:s, s:f, s:f, s:f, s:f, s:i, s:o}", "node", st->node,
		      "kind", st->kind == OFF_KIND_CLOUD ? "cloud" : "edge", "version", st->version,
		      "cpu_util", st->cpu_util, "load", st->load, "rq_p99_us", st->rq_p99_us,
		      "capacity_cores", st->capacity_cores, "clients", st->clients,
		      "services", services);
	if (!o)
		return -EINVAL;
	n = json_dumpb(o, buf, len, JSON_COMPACT | JSON_REAL_PRECISION(9));
	json_decref(o);
	if (!n || n >= len)
		return n ? -ENOSPC : -EINVAL;
	buf[n] = '\0';
	return n;
}

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "status: ");

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A name (node) or printable ASCII (version), 1..size-1 bytes. */
static int get_string(json_t *o, const char *key, char *out, size_t size, bool name,
		      char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	bool ok = s && n && n < size;

	if (!v)
		return fail(err, errlen, "%s: missing", key);
	for (size_t i = 0; ok && i < n; i++)
		ok = s[i] >= 0x20 && s[i] <= 0x7e;
	if (ok && name)
		ok = !off_parse_name(s, size);
	if (!ok)
		return fail(err, errlen, "%s: expected a string of 1..%zu %s", key, size - 1,
			    name ? "letters, digits, '.', '_' and '-'" : "printable ASCII characters");
	memcpy(out, s, n + 1);
	return 0;
}

static int get_number(json_t *o, const char *key, double min, double max, bool min_excluded,
		      double *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	double x;

	if (!v)
		return fail(err, errlen, "%s: missing", key);
	if (!json_is_number(v))
		return fail(err, errlen, "%s: expected a number", key);
	x = json_number_value(v);
	if (!isfinite(x) || x < min || x > max || (min_excluded && x == min))
		return fail(err, errlen, "%s: expected a number %s %g, up to %g, got %g", key,
			    min_excluded ? "above" : "from", min, max, x);
	*out = x;
	return 0;
}

static int get_services(json_t *o, struct off_peer_status *st, char *err, size_t errlen)
{
	json_t *a = json_object_get(o, "services"), *v;
	size_t i;

	if (!a)
		return fail(err, errlen, "services: missing");
	if (!json_is_array(a))
		return fail(err, errlen, "services: expected an array");
	if (json_array_size(a) > OFF_STATUS_MAX_SERVICES)
		return fail(err, errlen, "services: %zu of them, over the limit of %d",
			    json_array_size(a), OFF_STATUS_MAX_SERVICES);
	json_array_foreach(a, i, v) {
		const char *s = json_string_value(v);

		if (!s || off_parse_name(s, OFF_CFG_NAME_LEN))
			return fail(err, errlen, "services[%zu]: expected a service name", i);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(st->services[j], s))
				return fail(err, errlen, "services[%zu]: the same as services[%zu]", i, j);
		strcpy(st->services[i], s);
	}
	st->nservices = i;
	return 0;
}

/* Peers of an earlier version do not report it. */
static int optional_load(json_t *o, struct off_peer_status *st, char *err, size_t errlen)
{
	st->load = -1;
	if (!json_object_get(o, "load"))
		return 0;
	return get_number(o, "load", 0, 1, false, &st->load, err, errlen);
}

/* Peers of an earlier version do not report it either: edge, as it was. */
static int optional_kind(json_t *o, struct off_peer_status *st, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, "kind");
	const char *s = json_string_value(v);

	st->kind = OFF_KIND_EDGE;
	if (!v)
		return 0;
	if (!s || (strcmp(s, "edge") && strcmp(s, "cloud")))
		return fail(err, errlen, "kind: expected \"edge\" or \"cloud\"");
	st->kind = strcmp(s, "edge") ? OFF_KIND_CLOUD : OFF_KIND_EDGE;
	return 0;
}

/* Nor this: no count, as if none but the asker probed it. A whole number. */
static int optional_clients(json_t *o, struct off_peer_status *st, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, "clients");

	st->clients = 0;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > OFF_STATUS_MAX_CLIENTS)
		return fail(err, errlen, "clients: expected a whole number from 0 up to %d",
			    OFF_STATUS_MAX_CLIENTS);
	st->clients = json_integer_value(v);
	return 0;
}

int off_peer_status_parse(const char *body, size_t len, struct off_peer_status *out,
			  char *err, size_t errlen)
{
	struct off_peer_status st = {};
	json_error_t jerr;
	json_t *o;
	int ret;

	if (len > OFF_STATUS_MAX_BYTES) {
		snprintf(err, errlen, "status: reply of %zu bytes, over the limit of %d", len,
			 OFF_STATUS_MAX_BYTES);
		return -EFBIG;
	}
	o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o) {
		/* jansson quotes the offending token: it is the peer's text. */
		for (char *c = jerr.text; *c; c++)
			*c = *c < 0x20 || *c > 0x7e ? '?' : *c;
		return fail(err, errlen, "not JSON: %s at byte %d", jerr.text, jerr.position);
	}
	if (!json_is_object(o))
		ret = fail(err, errlen, "expected a JSON object");
	else if (!(ret = get_string(o, "node", st.node, sizeof(st.node), true, err, errlen)) &&
		 !(ret = get_string(o, "version", st.version, sizeof(st.version), false, err, errlen)) &&
		 !(ret = get_number(o, "cpu_util", 0, OFF_STATUS_MAX_UTIL, false, &st.cpu_util, err, errlen)) &&
		 !(ret = optional_load(o, &st, err, errlen)) &&
		 !(ret = optional_kind(o, &st, err, errlen)) &&
		 !(ret = get_number(o, "rq_p99_us", 0, OFF_STATUS_MAX_RQ_US, false, &st.rq_p99_us, err, errlen)) &&
		 !(ret = get_number(o, "capacity_cores", 0, OFF_STATUS_MAX_CORES, true, &st.capacity_cores,
				    err, errlen)) &&
		 !(ret = optional_clients(o, &st, err, errlen)))
		ret = get_services(o, &st, err, errlen);
	json_decref(o);
	if (!ret)
		*out = st;
	return ret;
}
