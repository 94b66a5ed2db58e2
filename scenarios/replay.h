/*
 * Replay and diagnosis from traces: the run_info record a run writes first (what replay
 * needs), `crashlab replay TRACE`, `crashlab diff A.trace B.trace` and the filters of
 * `crashlab trace TRACE`.
 */
#ifndef CRASHLAB_REPLAY_H
#define CRASHLAB_REPLAY_H

#include <stdio.h>

#include "runner.h"

/*
 * Writes the run_info record (AC_EV_RUN_INFO) of a scenario run into w's trace, if one is
 * written: a map of the crashlab version, the scenario file's path as given, the working
 * directory, the seed, the options that change a run (as command-line words), the memory limit,
 * and the content hash of the scenario file and of every file it requires (found by reading
 * its `require "name"` calls). Call it right after the world is created, before any other
 * record. A file that cannot be read is recorded with the hash "unreadable"; running out of
 * memory only leaves the record out (the run itself does not depend on it).
 */
void scn_record_run_info(sim_world *w, const scn_options *opts, uint64_t seed);

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
