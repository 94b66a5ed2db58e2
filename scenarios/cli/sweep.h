/*
 * Seed sweeps: `crashlab run FILE.lua --seeds A..B [--jobs N] [--shard K/N] [--json FILE]
 * [--junit FILE]` runs every seed of a range in worker processes (this binary, `run FILE
 * --seed N --quiet`), re-runs each failing seed once to check that it reproduces, and prints a
 * summary that groups the failures by signature. `crashlab report SHARD.json...` prints the
 * same summary from the JSON files of one or more sweeps (the shards of one range).
 *
 * The summary on stdout depends only on the seeds' results, never on wall time or on the
 * order in which workers finish, so a sweep split into shards and merged prints the same
 * summary as one sweep on one machine.
 */
#ifndef CRASHLAB_SWEEP_H
#define CRASHLAB_SWEEP_H

#include <stdbool.h>
#include <stdio.h>

/* Whether a `crashlab run` command line asks for a sweep (has --seeds, --jobs or --shard). */
bool scn_sweep_wanted(int argc, char **argv);
/* `crashlab run ... --seeds A..B`: argv as main got it (argv[1] is "run"). Returns the exit
 * status: 0 every seed passed, 1 a seed failed (or did not reproduce), 2 bad usage or input
 * (one message on stderr, no output file left). */
int scn_sweep_main(int argc, char **argv);
/* `crashlab report FILE.json...`: argv[1] is "report". Same exit status. */
int scn_report_main(int argc, char **argv);

/* Help texts: the sweep options of `crashlab run --help`, and `crashlab report --help`. */
void scn_sweep_usage(FILE *out);
void scn_report_usage(FILE *out);

#endif
