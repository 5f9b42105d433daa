// SPDX-License-Identifier: GPL-2.0
/* EdgeX 3/4 events, formatted into fixed buffers once per workload and
 * tick: no allocation, and no escaping, since every string in them is a
 * name the configuration checked to [A-Za-z0-9._-]. Field names, order and
 * value formats are those EdgeX 3 and 4 marshal for an AddEventRequest (its
 * Event and readings) inside a message envelope. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "agent/edgex/event.h"

static const struct {
	const char *s;
	size_t n;
} type_names[] = {
	[OFF_EDGEX_STRING] = { "String", 6 }, [OFF_EDGEX_FLOAT64] = { "Float64", 7 }, [OFF_EDGEX_BOOL] = { "Bool", 4 },
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

/* Each byte's two hex digits: a UUID is written two digits a store. */
static const char *hex_pairs(void)
{
	static char pairs[256][2];
	static const char hex[] = "0123456789abcdef";

	if (!pairs[255][0])
		for (int i = 0; i < 256; i++) {
			pairs[i][0] = hex[i >> 4];
			pairs[i][1] = hex[i & 15];
		}
	return pairs[0];
}

void off_edgex_uuid(struct off_rng *r, char out[37])
{
	/* Where each byte's two digits go, around the dashes. */
	static const uint8_t at[16] = { 0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34 };
	const char *pairs = hex_pairs();
	uint64_t w[2] = { off_rng_u64(r), off_rng_u64(r) };
	uint8_t b[16];

	memcpy(b, w, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	for (int i = 0; i < 16; i++)
		memcpy(out + at[i], pairs + 2 * b[i], 2);
	out[8] = out[13] = out[18] = out[23] = '-';
	out[36] = '\0';
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

/* Appends to a fixed buffer: strings are copied, numbers and UUIDs written
 * in place (vsnprintf costs microseconds an event at a thousand a tick). */
struct wr {
	char *p, *end;		/* p past end: it did not fit */
};

static void str(struct wr *w, const char *s, size_t n)
{
	if (w->p + n > w->end) {
		w->p = w->end + 1;
		return;
	}
	memcpy(w->p, s, n);
	w->p += n;
}

#define LIT(w, s)	str(w, s, sizeof(s) - 1)

static void name(struct wr *w, const char *s)
{
	str(w, s, strlen(s));
}

/* A name measured once an event, not once a reading. */
struct sized {
	const char *s;
	size_t n;
};

static struct sized sized(const char *s)
{
	return (struct sized){ s, strlen(s) };
}

static void put(struct wr *w, struct sized s)
{
	str(w, s.s, s.n);
}

/* v in decimal, ending at d + 20; its first digit. */
static const char *digits(uint64_t v, char d[20])
{
	char *p = d + 20;

	do
		*--p = '0' + v % 10;
	while ((v /= 10));
	return p;
}

static void uuid(struct wr *w, struct off_rng *r)
{
	if (w->p + 37 > w->end) {
		w->p = w->end + 1;
		return;
	}
	off_edgex_uuid(r, w->p);	/* its NUL is overwritten next */
	w->p += 36;
}

/* Base64 (RFC 4648, padded) of n bytes into out, 4 * ((n + 2) / 3) long.
 * Two characters a lookup, from a table of every 12 bits: about four times
 * faster than OpenSSL's EVP_EncodeBlock, which took a third of an EdgeX 3
 * event's formatting. */
static size_t base64(char *out, const unsigned char *in, size_t n)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static char pairs[4096][2];
	char *o = out;
	size_t i = 0;

	if (!pairs[4095][0])
		for (int k = 0; k < 4096; k++) {
			pairs[k][0] = abc[k >> 6];
			pairs[k][1] = abc[k & 63];
		}
	for (; i + 3 <= n; i += 3, o += 4) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		memcpy(o, pairs[v >> 12], 2);
		memcpy(o + 2, pairs[v & 4095], 2);
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);

		memcpy(o, pairs[v >> 12], 2);
		o[2] = i + 1 < n ? abc[v >> 6 & 63] : '=';
		o[3] = '=';
		o += 4;
	}
	return o - out;
}

/* One reading of the request. */
static void reading(struct wr *w, struct off_rng *rng, const struct off_edgex_reading *r, struct sized origin,
		    struct sized dev, struct sized prof)
{
	char val[64];

	LIT(w, "{\"id\":\"");
	uuid(w, rng);
	LIT(w, "\",\"origin\":");
	put(w, origin);
	LIT(w, ",\"deviceName\":\"");
	put(w, dev);
	LIT(w, "\",\"resourceName\":\"");
	name(w, r->resource);
	LIT(w, "\",\"profileName\":\"");
	put(w, prof);
	LIT(w, "\",\"valueType\":\"");
	str(w, type_names[r->type].s, type_names[r->type].n);
	LIT(w, "\",\"value\":\"");
	if (r->type == OFF_EDGEX_STRING)
		name(w, r->str);
	else
		name(w, r->value ? r->value : (off_edgex_value(r, val, sizeof(val)), val));
	LIT(w, "\"}");
}

/* The AddEventRequest into f->json; its length, or 0 if it does not fit. */
static size_t request(struct off_edgex_fmt *f, const struct off_edgex_source *s, uint64_t origin,
		      const struct off_edgex_reading *r, int n)
{
	struct wr w = { f->json, f->json + sizeof(f->json) - 1 };
	struct sized dev = sized(s->device), prof = sized(s->profile);
	char d[20];
	const char *o = digits(origin, d);
	struct sized org = { o, d + sizeof(d) - o };

	LIT(&w, "{\"apiVersion\":\"v3\",\"requestId\":\"");
	uuid(&w, &f->rng);
	LIT(&w, "\",\"event\":{\"apiVersion\":\"v3\",\"id\":\"");
	uuid(&w, &f->rng);
	LIT(&w, "\",\"deviceName\":\"");
	put(&w, dev);
	LIT(&w, "\",\"profileName\":\"");
	put(&w, prof);
	LIT(&w, "\",\"sourceName\":\"");
	name(&w, s->source);
	LIT(&w, "\",\"origin\":");
	put(&w, org);
	LIT(&w, ",\"readings\":[");
	for (int i = 0; i < n; i++) {
		if (i)
			LIT(&w, ",");
		reading(&w, &f->rng, &r[i], org, dev, prof);
	}
	LIT(&w, "]}}");
	if (w.p > w.end)
		return 0;
	*w.p = '\0';
	return w.p - f->json;
}

size_t off_edgex_event(struct off_edgex_fmt *f, const struct off_edgex_source *src, uint64_t origin_ns,
		       const struct off_edgex_reading *r, int n, char *out, size_t cap)
{
	size_t body = request(f, src, origin_ns, r, n);
	struct wr w = { out, out + cap - 1 };

	if (!body)
		return 0;
	LIT(&w, "{\"apiVersion\":\"v3\",\"receivedTopic\":\"\",\"correlationID\":\"");
	uuid(&w, &f->rng);
	LIT(&w, "\",\"requestID\":\"\",\"errorCode\":0,\"payload\":");
	/* EdgeX 3's payload is a Go []byte, which JSON carries as base64;
	 * EdgeX 4's is the object itself. */
	if (f->version == 4) {
		str(&w, f->json, body);
	} else if (w.p + 4 * ((body + 2) / 3) + 2 <= w.end) {
		*w.p++ = '"';
		w.p += base64(w.p, (unsigned char *)f->json, body);
		*w.p++ = '"';
	} else {
		return 0;
	}
	LIT(&w, ",\"contentType\":\"application/json\"}");
	if (w.p > w.end)
		return 0;
	*w.p = '\0';
	return w.p - out;
}

size_t off_edgex_topic(const char *prefix, const struct off_edgex_source *s, int redis, char *out,
		       size_t cap)
{
	const char *level[] = { prefix, s->service, s->profile, s->device, s->source };
	struct wr w = { out, out + cap - 1 };
	char sep = redis ? '.' : '/';

	for (size_t i = 0; i < sizeof(level) / sizeof(level[0]); i++) {
		if (i)
			str(&w, &sep, 1);
		name(&w, level[i]);
	}
	if (w.p > w.end)
		return 0;
	*w.p = '\0';
	for (char *c = out; redis && c < w.p; c++)
		if (*c == '/')
			*c = '.';	/* the prefix's own levels */
	return w.p - out;
}
