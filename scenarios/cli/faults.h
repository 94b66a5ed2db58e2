/*
 * A run's fault schedule read back from its trace, as a fault plan (docs/sweeps.md, "Fault
 * plans"): `crashlab trace TRACE --plan` prints it, `crashlab run FILE --faults PLAN` runs it.
 * The shrinker works on the same values: it keeps or drops entries and writes the rest.
 */
#ifndef CRASHLAB_SCN_FAULTS_H
#define CRASHLAB_SCN_FAULTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* One planned fault: its virtual time, its kind, and its whole entry as Lua text
 * ({ at = "1.25s", kind = "kill", target = { node = "a", name = "kv" }, reason = "kill" }). */
typedef struct scn_plan_fault {
  uint64_t at_ns;
  char kind[16];
  char *text;              /* owned */
} scn_plan_fault;

typedef struct scn_plan_text {
  char scenario[1024];     /* the scenario's path as the run recorded it */
  uint64_t seed;
  char trace[1024];        /* the trace it was read from */
  scn_plan_fault *faults;  /* in time order (the trace's order), owned */
  uint32_t count;
} scn_plan_text;

/* Reads the fault records of a trace into *out (zeroed first). 0, or -1 with one message in
 * err (a damaged trace: the reader's error; a fault record no plan can hold). On -1, *out
 * holds nothing to free. */
int scn_plan_from_trace(const char *trace_path, scn_plan_text *out, char *err, size_t cap);
/* Writes the plan file: every fault, or those with keep[i] true (keep NULL: all). Returns 0 or
 * -1 (a write error, errno set). */
int scn_plan_text_write(FILE *f, const scn_plan_text *p, const bool *keep);
/* Frees what *p holds; safe twice. */
void scn_plan_text_free(scn_plan_text *p);

/* crashlab trace TRACE --plan: prints the plan to stdout only once the whole trace was read
 * and verified. Exit status 0, or 2 with one message. */
int scn_trace_plan_main(const char *trace_path);

#endif
