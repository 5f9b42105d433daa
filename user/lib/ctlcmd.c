// SPDX-License-Identifier: GPL-2.0
/* The command table's one instance, and lookup by name. */
#include <stddef.h>
#include <string.h>

#include "lib/ctlcmd.h"

#define ENTRY(id, name, changes, min, max, a0, a1, syn, help) \
	[OFF_CTL_##id] = { name, changes, min, max, { a0, a1 }, syn, help },
const struct off_ctl_cmd off_ctl_cmds[OFF_CTL_CMDS] = { OFF_CTL_TABLE(ENTRY) };
#undef ENTRY

int off_ctl_find(const char *name)
{
	for (int i = 0; name && i < OFF_CTL_CMDS; i++)
		if (!strcmp(off_ctl_cmds[i].name, name))
			return i;
	return -1;
}
