/* SPDX-License-Identifier: GPL-2.0 */
/* EdgeX events as the message bus carries them: a MessageEnvelope whose
 * payload is an AddEventRequest (base64 of its JSON for EdgeX 3, the JSON
 * itself for EdgeX 4), and the topic it goes to. */
#ifndef OFFLOAD_AGENT_EDGEX_EVENT_H
#define OFFLOAD_AGENT_EDGEX_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/rng.h"

#define OFF_EDGEX_MAX_READINGS	5
#define OFF_EDGEX_MSG_MAX	8192	/* an envelope, base64 included */

enum off_edgex_type { OFF_EDGEX_STRING, OFF_EDGEX_FLOAT64, OFF_EDGEX_BOOL };

struct off_edgex_reading {
	const char *resource;		/* a name: never needs JSON escaping */
	enum off_edgex_type type;
	double num;			/* FLOAT64 and BOOL */
	const char *str;		/* STRING: a name */
	const char *value;		/* the value formatted already, or NULL */
};

/* Who the events are from; every string a name of [A-Za-z0-9._-]. */
struct off_edgex_source {
	const char *service, *profile, *device, *source;
};

struct off_edgex_fmt {
	int version;			/* 3 or 4 */
	struct off_rng rng;		/* UUIDs: seeded from getrandom */
	char json[OFF_EDGEX_MSG_MAX / 2];	/* the AddEventRequest, before base64 */
};

int off_edgex_fmt_init(struct off_edgex_fmt *f, int version);
/* A version 4 (random) UUID, 36 characters and a NUL. */
void off_edgex_uuid(struct off_rng *r, char out[37]);
/* A reading's value as EdgeX's Go code writes it: Float64 with "%e"
 * (NaN, +Inf, -Inf spelt as Go spells them), Bool as true or false. */
void off_edgex_value(const struct off_edgex_reading *r, char *out, size_t len);
/* The envelope of one event with n readings, all taken at origin_ns (Unix
 * time, ns), into out; its length, or 0 if it does not fit. */
size_t off_edgex_event(struct off_edgex_fmt *f, const struct off_edgex_source *src, uint64_t origin_ns,
		       const struct off_edgex_reading *r, int n, char *out, size_t cap);
/* prefix/service/profile/device/source; with dots for Redis, as EdgeX's
 * Redis client maps the levels. Its length, or 0 if it does not fit. */
size_t off_edgex_topic(const char *prefix, const struct off_edgex_source *src, int redis, char *out,
		       size_t cap);

#endif
