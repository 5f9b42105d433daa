// SPDX-License-Identifier: GPL-2.0
/* libbpf prints the verifier log of a failed program at warning level; we
 * keep the tail of everything it says and pick the useful lines out. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "agent/kernel/libbpf_log.h"

static char logbuf[256 * 1024];
static size_t loglen;
static bool log_verbose;

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	va_list copy;
	int n;

	if (log_verbose) {
		va_copy(copy, ap);
		vfprintf(stderr, fmt, copy);
		va_end(copy);
	}
	if (level == LIBBPF_DEBUG && !log_verbose)
		return 0;
	if (loglen > sizeof(logbuf) - 4096) {
		/* Keep the newer half: the failure is always at the end. */
		memmove(logbuf, logbuf + loglen / 2, loglen - loglen / 2);
		loglen -= loglen / 2;
	}
	n = vsnprintf(logbuf + loglen, sizeof(logbuf) - loglen, fmt, ap);
	if (n > 0)
		loglen += (size_t)n < sizeof(logbuf) - loglen ? (size_t)n : sizeof(logbuf) - loglen - 1;
	return 0;
}

void off_libbpf_log_init(bool verbose)
{
	log_verbose = verbose;
	libbpf_set_print(print_fn);
}

void off_libbpf_log_reset(void)
{
	loglen = 0;
	logbuf[0] = '\0';
}

/* Appends the last n non-empty lines of [start, end) to out. */
static void tail_lines(const char *start, const char *end, int n, char *out, size_t len)
{
	const char *p = end;
	int seen = 0;

	while (p > start && seen <= n) {
		p--;
		if (*p == '\n' && p + 1 < end && p[1] != '\n')
			seen++;
	}
	if (seen > n)
		p++;
	while (p < end && *p == '\n')
		p++;
	snprintf(out + strlen(out), len - strlen(out), "%s%.*s", *out ? "\n" : "", (int)(end - p), p);
}

void off_libbpf_log_explain(char *buf, size_t len, int nlines)
{
	const char *fail = NULL, *p = logbuf, *name, *begin, *end;

	buf[0] = '\0';
	while ((p = strstr(p, "BPF program load failed: "))) {
		fail = p;
		p++;
	}
	if (!fail) {
		tail_lines(logbuf, logbuf + loglen, nlines, buf, len);
		return;
	}
	/* "libbpf: prog 'NAME': BPF program load failed: REASON" */
	for (name = fail; name > logbuf && name[-1] != '\n'; name--)
		;
	name = strstr(name, "prog '");
	snprintf(buf, len, "BPF program '%.*s' failed to load: %.*s",
		 name ? (int)strcspn(name + 6, "'") : 1, name ? name + 6 : "?",
		 (int)strcspn(fail + 25, "\n"), fail + 25);
	begin = strstr(fail, "-- BEGIN PROG LOAD LOG --");
	end = begin ? strstr(begin, "-- END PROG LOAD LOG --") : NULL;
	if (!begin || !end)
		return;
	begin = strchr(begin, '\n');
	while (end > begin && end[-1] != '\n')
		end--;
	snprintf(buf + strlen(buf), len - strlen(buf), "\nverifier log (last lines):");
	tail_lines(begin, end, nlines, buf, len);
}
