/* SPDX-License-Identifier: GPL-2.0 */
/* offload-train import, export and score; each takes its command's argv. */
#ifndef OFFLOAD_TRAIN_CONVERT_H
#define OFFLOAD_TRAIN_CONVERT_H

int off_train_import(int argc, char **argv);
int off_train_export(int argc, char **argv);
int off_train_score(int argc, char **argv);

#endif
