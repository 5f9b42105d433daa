// SPDX-License-Identifier: GPL-2.0
/* Feeds libinih through our own reader, which knows the current line and,
 * in strict mode, sees section headers and refuses lines libinih would
 * misread. */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/inifile.h"

struct src {
	FILE *f;
	const char *text;
	int line;
	off_ini_handler h;
	void *user;
	struct off_ini_strict *strict;	/* NULL: plain libinih */
	char *buf;			/* getline's, for files */
	size_t cap;
};

/* The next whole line, newline included, however long; NULL at the end. */
static const char *next_line(struct src *s, size_t *n)
{
	ssize_t got;

	if (s->f) {
		got = getline(&s->buf, &s->cap, s->f);
		*n = got > 0 ? (size_t)got : 0;
		return got > 0 ? s->buf : NULL;
	}
	if (!*s->text)
		return NULL;
	*n = strcspn(s->text, "\n");
	if (s->text[*n] == '\n')
		++*n;
	s->text += *n;
	return s->text - *n;
}

static void refuse(struct src *s, const char *why)
{
	if (!s->strict->why) {
		s->strict->why = why;
		s->strict->why_line = s->line;
	}
}

/* Returns the line libinih should see: the line, or one it reports as a
 * syntax error when the line is refused. */
static const char *check(struct src *s, const char *l, size_t n)
{
	size_t len = n - (n && l[n - 1] == '\n');
	size_t lead = strspn(l, " \t");

	if (s->line == 1 && !strncmp(l, "\xef\xbb\xbf", 3)) {
		l += 3;
		len -= 3;
	}
	if (len > OFF_INI_MAX_LINE) {
		refuse(s, "line longer than 198 characters");
		return "!\n";
	}
	if (lead && lead < len && !strchr(";#\r", l[lead])) {
		refuse(s, "indented line (continuation lines are not supported)");
		return "!\n";
	}
	if (l[0] == '[' && memchr(l, ']', len)) {
		char name[OFF_INI_MAX_LINE + 1];
		size_t end = (const char *)memchr(l, ']', len) - l;

		snprintf(name, sizeof(name), "%.*s", (int)(end - 1), l + 1);
		s->strict->on_section(s->strict->user, name, s->line);
	}
	return l;
}

static char *reader(char *str, int num, void *stream)
{
	struct src *s = stream;
	size_t n;
	const char *l = next_line(s, &n);

	if (!l)
		return NULL;
	s->line++;
	if (s->strict) {
		l = check(s, l, n);
		n = strlen(l) < n ? strlen(l) : n;
	}
	if (n > (size_t)num - 1)
		n = num - 1;
	memcpy(str, l, n);
	str[n] = '\0';
	return str;
}

static int relay(void *user, const char *section, const char *name, const char *value)
{
	struct src *s = user;

	return s->h(s->user, section, name, value, s->line);
}

static int run(struct src *s, const char *path)
{
	int ret;

	if (path) {
		s->f = fopen(path, "r");
		if (!s->f)
			return -errno;
	}
	ret = ini_parse_stream(reader, s, relay, s);
	if (s->f)
		fclose(s->f);
	free(s->buf);
	return ret;
}

int off_ini_parse(const char *path, off_ini_handler h, void *user)
{
	struct src s = { .h = h, .user = user };

	return run(&s, path);
}

int off_ini_parse_strict(const char *path, struct off_ini_strict *st)
{
	struct src s = { .h = st->on_key, .user = st->user, .strict = st };

	return run(&s, path);
}

int off_ini_parse_strict_string(const char *text, struct off_ini_strict *st)
{
	struct src s = { .text = text, .h = st->on_key, .user = st->user, .strict = st };

	return run(&s, NULL);
}
