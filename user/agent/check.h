/* SPDX-License-Identifier: GPL-2.0 */
/* `offloadd check`: a configuration test, like nginx -t. */
#ifndef OFFLOAD_AGENT_CHECK_H
#define OFFLOAD_AGENT_CHECK_H

int off_check_main(int argc, char **argv);

#endif
