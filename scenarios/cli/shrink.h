/*
 * Shrinking a failing run: `crashlab shrink FILE.lua --seed N [--out FILE] [--jobs N]
 * [--max-runs N] [--faults PLAN]` reads the fault schedule of the failing run (its plan), cuts
 * it down by delta debugging while the run keeps failing with the same signature, simplifies
 * what is left (shorter partitions, fewer nodes cut off, faults later in time), and writes a
 * standalone scenario file that runs the same system with only the remaining faults.
 */
#ifndef CRASHLAB_SHRINK_H
#define CRASHLAB_SHRINK_H

#include <stdio.h>

/* `crashlab shrink ...`: argv as main got it (argv[1] is "shrink"). Returns the exit status:
 * 0 shrunk and written (and the written file checked to fail the same way), 1 the written
 * file did not fail the same way, 2 bad usage or input (a seed that passes, a missing file, a
 * plan that does not parse, ...: one message on stderr, no output file left), 130 interrupted. */
int scn_shrink_main(int argc, char **argv);

/* `crashlab shrink --help`. */
void scn_shrink_usage(FILE *out);

#endif
