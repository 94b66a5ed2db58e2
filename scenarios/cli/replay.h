/*
 * Replay and diagnosis from traces: `crashlab replay TRACE`, `crashlab diff A.trace B.trace` and the filters of
 * `crashlab trace TRACE`.
 */
#ifndef CRASHLAB_REPLAY_H
#define CRASHLAB_REPLAY_H

#include <stdio.h>

#include "run_info.h"

/* `crashlab replay TRACE [--max-time T] [--unsafe] [--crashes=M] [--trace FILE] [--quiet]`:
 * argv[1] is "replay". Exit 0 reproduced (same hash), 1 another hash (what changed is named),
 * 2 bad input (no run_info, a file changed or missing, a damaged trace). */
int scn_replay_main(int argc, char **argv);
/* `crashlab diff A.trace B.trace`: exit 0 identical, 1 they diverge, 2 bad input. */
int scn_diff_main(int argc, char **argv);
/* `crashlab trace TRACE [--node NAME] [--pid <0.12.0>] [--name REGNAME] [--kind K,...]
 * [--from T] [--to T] [--grep TEXT]`: argv[1] is "trace". Exit 0, or 2 for bad input. */
int scn_trace_main(int argc, char **argv);

/* Help texts: `crashlab replay --help`, `crashlab diff --help`, the filters of trace. */
void scn_replay_usage(FILE *out);
void scn_diff_usage(FILE *out);
void scn_trace_filter_usage(FILE *out);

#endif
