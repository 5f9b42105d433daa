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
int off_ini_parse_string(const char *text, off_ini_handler h, void *user);

#endif
