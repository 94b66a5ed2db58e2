/*
 * A run's fault schedule read back from its trace, as a fault plan (docs/sweeps.md, "Fault
 * plans"): `crashlab trace TRACE --plan` prints it, `crashlab run FILE --faults PLAN` runs it.
 * The plan is the runner's in-memory form (scn_plan, lua/plan.h), written by its one writer;
 * the shrinker starts from the same values.
 */
#ifndef CRASHLAB_SCN_FAULTS_H
#define CRASHLAB_SCN_FAULTS_H

#include <stddef.h>

#include "plan.h"

/* Reads the fault records of a trace into *out (zeroed first, memory of its own: free it with
 * scn_plan_free): its scenario's path and seed as the run recorded them, and one planned fault
 * per record. 0, or -1 with one message in err (a damaged trace: the reader's error; a fault
 * record no plan can hold); on -1, *out holds nothing to free. */
int scn_plan_from_trace(const char *trace_path, scn_plan *out, char *err, size_t cap);

/* crashlab trace TRACE --plan: prints the plan to stdout only once the whole trace was read
 * and verified. Exit status 0, or 2 with one message. */
int scn_trace_plan_main(const char *trace_path);

#endif
