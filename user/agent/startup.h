/* SPDX-License-Identifier: GPL-2.0 */
/* offloadd run's start-up: arguments, the fd limit, warnings. */
#ifndef OFFLOAD_AGENT_STARTUP_H
#define OFFLOAD_AGENT_STARTUP_H

#include <stdio.h>
#include <openssl/ssl.h>

#include "agent/daemon.h"

/* --config, --keep-pinned, -v; --help prints the usage and exits. */
int off_startup_args(struct off_daemon *d, int argc, char **argv, int *keep);
/* The soft RLIMIT_NOFILE raised to the hard one. */
void off_startup_nofile(void);
/* Once: peers' status without mutual TLS is unauthenticated. */
void off_startup_warn_plain(const struct off_config *c, const SSL_CTX *tls);
/* A tick over half of systemd's WatchdogSec means restarts. */
void off_startup_watchdog(const struct off_daemon *d);

#endif
