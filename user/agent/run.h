/* SPDX-License-Identifier: GPL-2.0 */
/* `offloadd run`: the daemon. */
#ifndef OFFLOAD_AGENT_RUN_H
#define OFFLOAD_AGENT_RUN_H

int off_run_main(int argc, char **argv);

#endif
