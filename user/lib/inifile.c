// SPDX-License-Identifier: GPL-2.0
/* Feeds libinih through our own reader, which knows the current line. */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>

#include "lib/inifile.h"

struct src {
	FILE *f;
	const char *text;
	int line;
	off_ini_handler h;
	void *user;
};

static char *read_file(char *str, int num, void *stream)
{
	struct src *s = stream;
	char *r = fgets(str, num, s->f);

	if (r)
		s->line++;
	return r;
}

static char *read_text(char *str, int num, void *stream)
{
	struct src *s = stream;
	size_t n;

	if (!*s->text)
		return NULL;
	n = strcspn(s->text, "\n");
	if (s->text[n] == '\n')
		n++;
	if (n > (size_t)num - 1)
		n = num - 1;
	memcpy(str, s->text, n);
	str[n] = '\0';
	s->text += n;
	s->line++;
	return str;
}

static int relay(void *user, const char *section, const char *name, const char *value)
{
	struct src *s = user;

	return s->h(s->user, section, name, value, s->line);
}

int off_ini_parse(const char *path, off_ini_handler h, void *user)
{
	struct src s = { .h = h, .user = user };
	int ret;

	s.f = fopen(path, "r");
	if (!s.f)
		return -errno;
	ret = ini_parse_stream(read_file, &s, relay, &s);
	fclose(s.f);
	return ret;
}

int off_ini_parse_string(const char *text, off_ini_handler h, void *user)
{
	struct src s = { .text = text, .h = h, .user = user };

	return ini_parse_stream(read_text, &s, relay, &s);
}
