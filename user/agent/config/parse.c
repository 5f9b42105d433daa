// SPDX-License-Identifier: GPL-2.0
/* Value parsers shared by the config, the daemon and its tools. strtoul and
 * strtod accept leading spaces, signs and trailing junk; these do not. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config/parse.h"

int off_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	const char *digits = s;
	unsigned long long x;
	int base = 10;		/* base 0 would read "010" as octal 8 */
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		digits = s + 2;
		base = 16;
	}
	if (!isxdigit((unsigned char)digits[0]) || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	x = strtoull(digits, &end, base);
	if (errno || *end || x < min || x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

int off_parse_double(const char *s, double min, double max, double *v)
{
	char *end;
	double x;

	if (!isdigit((unsigned char)s[0]) && !(s[0] == '-' && isdigit((unsigned char)s[1])))
		return -EINVAL;
	errno = 0;
	x = strtod(s, &end);
	if (errno || *end || !isfinite(x) || x < min || x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

int off_parse_duration_ms(const char *s, uint32_t min_ms, uint32_t max_ms, uint32_t *ms)
{
	static const struct { const char *unit; unsigned long long ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 },
	};
	unsigned long long x;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || x > UINT32_MAX)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		x *= units[i].ms;
		if (x < min_ms || x > max_ms)
			return -EINVAL;
		*ms = x;
		return 0;
	}
	return -EINVAL;
}

const char *off_fmt_duration(uint32_t ms, char *buf, size_t len)
{
	if (ms && ms % 60000 == 0)
		snprintf(buf, len, "%um", ms / 60000);
	else if (ms && ms % 1000 == 0)
		snprintf(buf, len, "%us", ms / 1000);
	else
		snprintf(buf, len, "%ums", ms);
	return buf;
}

int off_parse_bool(const char *s, bool *v)
{
	static const char *const yes[] = { "true", "yes", "on", "1" }, *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(s, yes[i]) || !strcmp(s, no[i])) {
			*v = !strcmp(s, yes[i]);
			return 0;
		}
	}
	return -EINVAL;
}

int off_parse_ip(const char *s, uint8_t addr[16])
{
	uint8_t a[16] = {};

	if (inet_pton(AF_INET, s, a + 12) == 1)
		a[10] = a[11] = 0xff;
	else if (inet_pton(AF_INET6, s, a) != 1)
		return -EINVAL;
	memcpy(addr, a, 16);
	return 0;
}

bool off_ip_is_v4(const uint8_t addr[16])
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(addr, prefix, sizeof(prefix));
}

const char *off_fmt_ip(const uint8_t addr[16], char *buf, size_t len)
{
	bool v4 = off_ip_is_v4(addr);

	if (!inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? addr + 12 : addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

/* Splits "ip:port" or "[ip6]:port"; an IPv6 address must be bracketed, so
 * "::1:80" is refused rather than guessed at. */
static int split(const char *s, char *host, size_t hostlen, uint32_t *port)
{
	const char *colon;
	bool bracketed = s[0] == '[';
	size_t n;

	if (bracketed) {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		s++;
		n = close - s;
		colon = close + 1;
	} else {
		colon = strchr(s, ':');
		if (!colon || strchr(colon + 1, ':'))
			return -EINVAL;
		n = colon - s;
	}
	if (n == 0 || n >= hostlen)
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	if (bracketed && !strchr(host, ':'))
		return -EINVAL;	/* brackets are for IPv6 only */
	return off_parse_u32(colon + 1, 1, 65535, port);
}

int off_parse_endpoint(const char *s, struct off_endpoint *ep)
{
	char host[INET6_ADDRSTRLEN];
	uint32_t port;

	if (split(s, host, sizeof(host), &port) || off_parse_ip(host, ep->addr))
		return -EINVAL;
	ep->port = port;
	return 0;
}

socklen_t off_endpoint_sockaddr(const struct off_endpoint *ep, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (off_ip_is_v4(ep->addr)) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(ep->port);
		memcpy(&a->sin_addr, ep->addr + 12, 4);
		return sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(ep->port);
		memcpy(&a->sin6_addr, ep->addr, 16);
		return sizeof(*a);
	}
}

int off_parse_sockaddr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct off_endpoint ep;

	if (off_parse_endpoint(s, &ep))
		return -EINVAL;
	*len = off_endpoint_sockaddr(&ep, ss);
	return 0;
}

int off_parse_name(const char *s, size_t maxlen)
{
	size_t n = strlen(s);

	if (!n || n >= maxlen || !isalnum((unsigned char)s[0]))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return -EINVAL;
	return 0;
}
