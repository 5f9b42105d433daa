/* SPDX-License-Identifier: GPL-2.0 */
/* Keeps libbpf's recent output so a failed load can be explained in a few lines. */
#ifndef OFFLOAD_AGENT_KERNEL_LIBBPF_LOG_H
#define OFFLOAD_AGENT_KERNEL_LIBBPF_LOG_H

#include <stdbool.h>
#include <stddef.h>

void off_libbpf_log_init(bool verbose);
void off_libbpf_log_reset(void);
/* Writes "program 'P' failed to load: REASON" and the verifier's last lines
 * (or libbpf's last lines when no program log is there) into buf. */
void off_libbpf_log_explain(char *buf, size_t len, int nlines);

#endif
