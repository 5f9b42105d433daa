// SPDX-License-Identifier: GPL-2.0
/* Events formatted while a connect is under way, sent once it is up: the
 * agent's first tick comes before its first connect completes, and its
 * events would otherwise all be lost. Bounded (OFF_EDGEX_PENDING_MAX);
 * past that, and when the connect fails, events are dropped and counted. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/edgex/edgex.h"

/* A record: the topic's and the message's lengths, then both. */
struct rec {
	uint32_t tlen, len;
};

int off_edgex_pend(struct off_edgex *x, size_t tlen, size_t len)
{
	struct off_edgex_pending *q = &x->pend;
	size_t need = sizeof(struct rec) + tlen + len;
	struct rec h = { (uint32_t)tlen, (uint32_t)len };

	if (q->len + need > OFF_EDGEX_PENDING_MAX)
		return -ENOBUFS;
	/* Allocated for a connect, freed after it: no memory held for it
	 * while the bus is up. */
	if (!q->buf && !(q->buf = malloc(OFF_EDGEX_PENDING_MAX)))
		return -ENOMEM;
	memcpy(q->buf + q->len, &h, sizeof(h));
	memcpy(q->buf + q->len + sizeof(h), x->topic, tlen);
	memcpy(q->buf + q->len + sizeof(h) + tlen, OFF_EDGEX_MSG(x), len);
	q->len += need;
	q->n++;
	return 0;
}

static void release(struct off_edgex_pending *q)
{
	free(q->buf);
	*q = (struct off_edgex_pending){ 0 };
}

void off_edgex_pend_send(struct off_edgex *x)
{
	struct off_edgex_pending *q = &x->pend;
	struct rec h;

	for (size_t off = 0; off < q->len; off += sizeof(h) + h.tlen + h.len) {
		memcpy(&h, q->buf + off, sizeof(h));
		memcpy(x->topic, q->buf + off + sizeof(h), h.tlen);
		x->topic[h.tlen] = '\0';
		memcpy(OFF_EDGEX_MSG(x), q->buf + off + sizeof(h) + h.tlen, h.len);
		if (x->lost || off_edgex_send(x, h.tlen, h.len))
			x->dropped[OFF_EDGEX_DROP_ERROR]++;
	}
	release(q);
}

void off_edgex_pend_drop(struct off_edgex *x)
{
	if (!x->pend.n)
		return;
	x->dropped[OFF_EDGEX_DROP_DOWN] += x->pend.n;
	/* Change mode counted them sent: each source goes again once up. */
	for (int i = 0; x->seen && i < x->nwl + x->npeers; i++)
		x->seen[i].sent = false;
	release(&x->pend);
}
