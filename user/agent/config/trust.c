// SPDX-License-Identifier: GPL-2.0
/* sshd's rule for its own files, applied to ours: whoever can write the
 * configuration or a model steers every governed workload, so both must be
 * root's and writable by root alone. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/config/trust.h"
#include "agent/tick/models.h"

int off_trust_file(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st))
		return 0;
	if (st.st_mode & S_IWOTH) {
		snprintf(err, errlen, "%s: world-writable, refused (chmod o-w %s)", path, path);
		return -EPERM;
	}
	if (st.st_mode & S_IWGRP) {
		snprintf(err, errlen, "%s: group-writable, refused (chmod g-w %s)", path, path);
		return -EPERM;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: owned by uid %u, refused: it must be root's (chown root %s)", path,
			 (unsigned int)st.st_uid, path);
		return -EPERM;
	}
	return 0;
}

int off_trust_models(const struct off_config *c, char *err, size_t errlen)
{
	for (int i = 0; i < c->nworkloads; i++) {
		const struct off_cfg_workload *w = &c->workloads[i];
		int ret;

		if (w->policy != OFF_POLICY_DQN)
			continue;
		ret = off_trust_file(off_models_path(c, w), err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}
