#!/usr/bin/env bash
# The scheduler tests again, with the raw_tp twins older kernels get.
HOOKS=raw_tp exec bash "$(dirname "$0")/20-sched.sh"
