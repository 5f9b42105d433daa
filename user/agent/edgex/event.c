// SPDX-License-Identifier: GPL-2.0
/* EdgeX 3/4 events, formatted into fixed buffers once per workload and
 * tick: no allocation, and no escaping, since every string in them is a
 * name the configuration checked to [A-Za-z0-9._-]. Field names, order and
 * value formats are those EdgeX 3 and 4 marshal for an AddEventRequest (its
 * Event and readings) inside a message envelope. */
#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
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
	const char *pairs = hex_pairs();
	uint64_t w[2] = { off_rng_u64(r), off_rng_u64(r) };
	uint8_t b[16];
	int o = 0;

	memcpy(b, w, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		memcpy(out + o, pairs + 2 * b[i], 2);
		o += 2;
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
	char id[37];

	off_edgex_uuid(r, id);
	str(w, id, 36);
}

/* The AddEventRequest into f->json; its length, or 0 if it does not fit. */
static size_t request(struct off_edgex_fmt *f, const struct off_edgex_source *s, uint64_t origin,
		      const struct off_edgex_reading *r, int n)
{
	struct wr w = { f->json, f->json + sizeof(f->json) - 1 };
	char val[64], d[20];
	const char *o = digits(origin, d);
	size_t olen = d + sizeof(d) - o;

	LIT(&w, "{\"apiVersion\":\"v3\",\"requestId\":\"");
	uuid(&w, &f->rng);
	LIT(&w, "\",\"event\":{\"apiVersion\":\"v3\",\"id\":\"");
	uuid(&w, &f->rng);
	LIT(&w, "\",\"deviceName\":\"");
	name(&w, s->device);
	LIT(&w, "\",\"profileName\":\"");
	name(&w, s->profile);
	LIT(&w, "\",\"sourceName\":\"");
	name(&w, s->source);
	LIT(&w, "\",\"origin\":");
	str(&w, o, olen);
	LIT(&w, ",\"readings\":[");
	for (int i = 0; i < n; i++) {
		if (i)
			LIT(&w, ",");
		LIT(&w, "{\"id\":\"");
		uuid(&w, &f->rng);
		LIT(&w, "\",\"origin\":");
		str(&w, o, olen);
		LIT(&w, ",\"deviceName\":\"");
		name(&w, s->device);
		LIT(&w, "\",\"resourceName\":\"");
		name(&w, r[i].resource);
		LIT(&w, "\",\"profileName\":\"");
		name(&w, s->profile);
		LIT(&w, "\",\"valueType\":\"");
		name(&w, type_names[r[i].type]);
		LIT(&w, "\",\"value\":\"");
		name(&w, r[i].value ? r[i].value : (off_edgex_value(&r[i], val, sizeof(val)), val));
		LIT(&w, "\"}");
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
		w.p += EVP_EncodeBlock((unsigned char *)w.p, (unsigned char *)f->json, body);
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
