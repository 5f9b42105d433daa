// SPDX-License-Identifier: GPL-2.0
/* Counting the agents that probe this host, one per source address: a
 * linear scan of a fixed table, cheap next to the TCP accept it follows. */
#include <string.h>

#include "agent/serve/clients.h"

/* src as an IPv6 address, IPv4 mapped, so that a dual-stack listener's
 * ::ffff:a.b.c.d and an IPv4 listener's a.b.c.d are one host; 0 if it is
 * neither family. */
static int key(const struct sockaddr_storage *src, struct in6_addr *out)
{
	if (src->ss_family == AF_INET6) {
		*out = ((const struct sockaddr_in6 *)src)->sin6_addr;
		return 1;
	}
	if (src->ss_family != AF_INET)
		return 0;
	memset(out, 0, sizeof(*out));
	out->s6_addr[10] = 0xff;
	out->s6_addr[11] = 0xff;
	memcpy(&out->s6_addr[12], &((const struct sockaddr_in *)src)->sin_addr, 4);
	return 1;
}

void off_clients_seen(struct off_clients *cs, const struct sockaddr_storage *src, uint64_t now_ns)
{
	struct in6_addr a;
	int oldest = 0;

	if (!key(src, &a))
		return;
	for (int i = 0; i < cs->n; i++) {
		if (!memcmp(&cs->c[i].addr, &a, sizeof(a))) {
			cs->c[i].seen_ns = now_ns;
			return;
		}
		if (cs->c[i].seen_ns < cs->c[oldest].seen_ns)
			oldest = i;
	}
	/* Full: the least recent goes, an expired one if there is any. */
	if (cs->n < OFF_CLIENTS_MAX)
		oldest = cs->n++;
	cs->c[oldest].addr = a;
	cs->c[oldest].seen_ns = now_ns;
}

int off_clients_count(const struct off_clients *cs, uint64_t now_ns)
{
	int n = 0;

	for (int i = 0; i < cs->n; i++)
		n += cs->c[i].seen_ns <= now_ns && now_ns - cs->c[i].seen_ns < OFF_CLIENTS_WINDOW_NS;
	return n;
}
