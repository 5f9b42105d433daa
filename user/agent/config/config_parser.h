/* SPDX-License-Identifier: GPL-2.0 */
/* Private to the config parser: its state, and the table of every key of
 * every section with the setter that checks and stores its value. */
#ifndef OFFLOAD_AGENT_CONFIG_CONFIG_PARSER_H
#define OFFLOAD_AGENT_CONFIG_CONFIG_PARSER_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/config/config.h"
#include "lib/inifile.h"

struct parser;

struct key {
	const char *name;
	int (*set)(struct parser *p, const struct key *k, void *field, const char *v);
	size_t off;
	double min, max;	/* range, or the field's size for strings */
	bool required;
};

/* What a workload names, resolved once every section is known. */
struct wl_refs {
	char services[OFF_INI_MAX_LINE + 1];
	char target[OFF_CFG_NAME_LEN];
	int services_line, policy_line;
};

struct port_ref {
	int svc, line;
	char peer[OFF_CFG_NAME_LEN];
	uint16_t port;
};

#define MAX_KEYS	OFF_CFG_AGENT_KEYS	/* [agent] has the most */

struct parser {
	struct off_config c;
	const char *file;
	char *err;
	size_t errlen;
	int failed;
	int now, err_at;		/* the line being read; when the error was seen */
	char expect[128];		/* a setter's complaint */
	/* The section being read. */
	char sec[OFF_INI_MAX_LINE + 1];
	int sec_line;
	const struct key *keys;		/* NULL: skip its keys */
	size_t nkeys;
	void *base;
	int key_line[MAX_KEYS];
	int agent_line, cap;
	struct wl_refs *refs;		/* one per workload */
	int nports;
	struct port_ref ports[OFF_CFG_MAX_SERVICES * OFF_CFG_MAX_PEERS];
};

/* Records the first error; returns 1 so that libinih reads on. */
int off_cfg_bad(struct parser *p, int line, const char *sec, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* After the last line: cross references resolved and checked, defaults
 * that depend on other keys filled in. */
void off_cfg_resolve(struct parser *p);

#define OFF_CFG_KEYS(s) \
	extern const struct key off_cfg_##s##_keys[]; \
	extern const size_t off_cfg_n##s##_keys
OFF_CFG_KEYS(agent);
OFF_CFG_KEYS(peer);
OFF_CFG_KEYS(service);
OFF_CFG_KEYS(workload);
OFF_CFG_KEYS(edgex);

#endif
