// SPDX-License-Identifier: GPL-2.0
/* EdgeX 3/4 events, formatted into fixed buffers once per workload and
 * tick: no allocation, and no escaping, since every string in them is a
 * name the configuration checked to [A-Za-z0-9._-]. Field names, order and
 * value formats are go-mod-core-contracts' (dtos.Event, dtos.BaseReading,
 * requests.AddEventRequest) and go-mod-messaging's MessageEnvelope. */
#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "agent/edgex/event.h"

static const char *const type_names[] = {
	[OFF_EDGEX_STRING] = "String", [OFF_EDGEX_FLOAT64] = "Float64", [OFF_EDGEX_BOOL] = "Bool",
};

int off_edgex_fmt_init(struct off_edgex_fmt *f, int version)
{
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		return -errno;
	off_rng_seed(&f->rng, seed);
	f->version = version;
	return 0;
}

void off_edgex_uuid(struct off_rng *r, char out[37])
{
	static const char hex[] = "0123456789abcdef";
	uint64_t w[2] = { off_rng_u64(r), off_rng_u64(r) };
	uint8_t b[16];
	int o = 0;

	memcpy(b, w, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
}

void off_edgex_value(const struct off_edgex_reading *r, char *out, size_t len)
{
	if (r->type == OFF_EDGEX_STRING)
		snprintf(out, len, "%s", r->str);
	else if (r->type == OFF_EDGEX_BOOL)
		snprintf(out, len, "%s", r->num ? "true" : "false");
	else if (isnan(r->num))
		snprintf(out, len, "NaN");
	else if (isinf(r->num))
		snprintf(out, len, "%cInf", r->num > 0 ? '+' : '-');
	else
		snprintf(out, len, "%e", r->num);
}

/* Appends to a fixed buffer; *len past cap marks it overflowed. */
static void put(char *buf, size_t cap, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	*len = n < 0 ? cap : *len + n;
}

/* The AddEventRequest into f->json; its length, or 0 if it does not fit. */
static size_t request(struct off_edgex_fmt *f, const struct off_edgex_source *s, uint64_t origin,
		      const struct off_edgex_reading *r, int n)
{
	size_t cap = sizeof(f->json), len = 0;
	char id[37], eid[37], val[64];

	off_edgex_uuid(&f->rng, id);
	off_edgex_uuid(&f->rng, eid);
	put(f->json, cap, &len, "{\"apiVersion\":\"v3\",\"requestId\":\"%s\",\"event\":{\"apiVersion\":\"v3\","
	    "\"id\":\"%s\",\"deviceName\":\"%s\",\"profileName\":\"%s\",\"sourceName\":\"%s\","
	    "\"origin\":%llu,\"readings\":[", id, eid, s->device, s->profile, s->source,
	    (unsigned long long)origin);
	for (int i = 0; i < n; i++) {
		off_edgex_uuid(&f->rng, id);
		off_edgex_value(&r[i], val, sizeof(val));
		put(f->json, cap, &len, "%s{\"id\":\"%s\",\"origin\":%llu,\"deviceName\":\"%s\","
		    "\"resourceName\":\"%s\",\"profileName\":\"%s\",\"valueType\":\"%s\",\"value\":\"%s\"}",
		    i ? "," : "", id, (unsigned long long)origin, s->device, r[i].resource, s->profile,
		    type_names[r[i].type], val);
	}
	put(f->json, cap, &len, "]}}");
	return len < cap ? len : 0;
}

size_t off_edgex_event(struct off_edgex_fmt *f, const struct off_edgex_source *src, uint64_t origin_ns,
		       const struct off_edgex_reading *r, int n, char *out, size_t cap)
{
	size_t body = request(f, src, origin_ns, r, n), len = 0;
	char cid[37];

	if (!body)
		return 0;
	off_edgex_uuid(&f->rng, cid);
	put(out, cap, &len, "{\"apiVersion\":\"v3\",\"receivedTopic\":\"\",\"correlationID\":\"%s\","
	    "\"requestID\":\"\",\"errorCode\":0,\"payload\":", cid);
	/* EdgeX 3's payload is a Go []byte, which JSON carries as base64;
	 * EdgeX 4's is the object itself. */
	if (f->version == 3 && len + 4 * ((body + 2) / 3) + 3 < cap) {
		out[len++] = '"';
		len += EVP_EncodeBlock((unsigned char *)out + len, (unsigned char *)f->json, body);
		out[len++] = '"';
		out[len] = '\0';
	} else if (f->version == 4 && len + body < cap) {
		memcpy(out + len, f->json, body + 1);
		len += body;
	} else {
		return 0;
	}
	put(out, cap, &len, ",\"contentType\":\"application/json\"}");
	return len < cap ? len : 0;
}

size_t off_edgex_topic(const char *prefix, const struct off_edgex_source *s, int redis, char *out,
		       size_t cap)
{
	int n = snprintf(out, cap, "%s/%s/%s/%s/%s", prefix, s->service, s->profile, s->device, s->source);

	if (n < 0 || (size_t)n >= cap)
		return 0;
	for (char *c = out; redis && *c; c++)
		if (*c == '/')
			*c = '.';
	return n;
}
