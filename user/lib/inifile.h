/* SPDX-License-Identifier: GPL-2.0 */
/* INI parsing with line numbers: Debian's libinih is built without
 * INI_HANDLER_LINENO, so we count lines ourselves. */
#ifndef OFFLOAD_LIB_INIFILE_H
#define OFFLOAD_LIB_INIFILE_H

typedef int (*off_ini_handler)(void *user, const char *section, const char *name,
			       const char *value, int line);

/* Returns 0, -errno if the file cannot be opened, or the first line with a
 * syntax error (> 0). A handler returning 0 stops nothing but marks an error. */
int off_ini_parse(const char *path, off_ini_handler h, void *user);

/* Stricter reading: every section header reaches on_section as it is read
 * (libinih reports keys only, so empty and repeated sections would pass
 * unseen), and lines libinih would misread are refused with a reason:
 * longer than OFF_INI_MAX_LINE, or indented (libinih joins those to the
 * previous value). Returns as off_ini_parse; on a refused line, why says
 * what was wrong with it and why_line which one it was. */
#define OFF_INI_MAX_LINE	198	/* libinih's buffer, less newline and NUL */

struct off_ini_strict {
	off_ini_handler on_key;
	void (*on_section)(void *user, const char *name, int line);
	void *user;
	const char *why;
	int why_line;
};

int off_ini_parse_strict(const char *path, struct off_ini_strict *s);
int off_ini_parse_strict_string(const char *text, struct off_ini_strict *s);

#endif
