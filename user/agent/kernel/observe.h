/* SPDX-License-Identifier: GPL-2.0 */
/* `offloadd observe`: attach to cgroups and print their counters as JSON lines. */
#ifndef OFFLOAD_AGENT_KERNEL_OBSERVE_H
#define OFFLOAD_AGENT_KERNEL_OBSERVE_H

int off_observe_main(int argc, char **argv);

#endif
