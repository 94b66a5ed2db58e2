/*
 * Child runs: this binary started again as `crashlab run ...` in a child process, with its
 * stdout and stderr read through pipes, and its verdict line parsed into a result. A sweep
 * (sweep.c) runs one child per seed, a shrink (shrink.c) one per candidate fault plan; both
 * keep up to N children at once and wait for them with scn_child_poll.
 *
 * A child's output is kept up to SCN_CHILD_OUTPUT_MAX bytes per stream, enough for the verdict
 * line and the failure report above it.
 */
#ifndef CRASHLAB_CHILD_H
#define CRASHLAB_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SCN_CHILD_OUTPUT_MAX (256u * 1024u)
#define SCN_CHILD_POLL_MAX 1024u /* children one scn_child_poll call watches */
#define SCN_JOBS_MAX 1024u       /* --jobs of a sweep and of a shrink: children at once */

/* What a child run ended with: its verdict line, or the error it printed. */
enum { SCN_CHILD_PASS = 0, SCN_CHILD_FAIL = 1, SCN_CHILD_ERROR = 2 };

typedef struct scn_child_result {
  int verdict;              /* SCN_CHILD_* */
  char property[200];       /* the failing property's name, or "" */
  char message[1024];       /* what failed, as the run printed it (a scenario error: its
                               message without "crashlab: "), or "" */
  char sim_time[32];        /* as the verdict line printed it */
  uint64_t events;
  char hash[17];
  double wall_s;
  int exit_code;            /* the child's exit status, -1 when killed by a signal */
} scn_child_result;

typedef struct scn_child_buf {
  char *data;
  size_t len, cap;
} scn_child_buf;

typedef struct scn_child {
  pid_t pid;                /* 0: the slot is free */
  int out_fd, err_fd;       /* -1 once at end of file */
  scn_child_buf out, err;   /* what it printed so far */
  double start_s;           /* monotonic, for wall_s */
} scn_child;

/* Monotonic wall-clock seconds (progress and wall_s only: never part of a run). */
double scn_child_now_s(void);

/* Starts argv (argv[0] is shown only; the program is this binary) with its stdout and stderr
 * on pipes. The slot must be free (pid 0); its buffers are reused. 0, or -1 with errno set
 * and the slot left free. */
int scn_child_start(scn_child *c, char *const argv[]);

/* Waits up to timeout_ms (-1: until something happens) for output from any of the n slots
 * that hold a child, and reads what is there. -1 on a poll error (EINTR is not one). */
int scn_child_poll(scn_child *children, unsigned n, int timeout_ms);

/* Whether the child in slot c has closed both of its streams (scn_child_finish will not block
 * on output; it reaps the process). */
bool scn_child_ended(const scn_child *c);

/* Reaps the ended child in slot c, fills *r from its output and exit status, and frees the
 * slot (its buffers stay for the next start). Returns the raw wait status. */
int scn_child_finish(scn_child *c, scn_child_result *r);

/* Runs argv to its end in slot c (free, as for scn_child_start) and fills *r (scn_child_finish).
 * 0, or -1 with errno set when it could not be started or waited for (a child then started is
 * killed and reaped; the slot is free again either way). */
int scn_child_run(scn_child *c, char *const argv[], scn_child_result *r);

/* The default --jobs of a sweep and of a shrink: one per core online, 1 to SCN_JOBS_MAX. */
unsigned scn_default_jobs(void);

/* Whether `a` is an option of `crashlab run` that changes a run and that a sweep or a shrink
 * hands on to each child run as it is: 1 when it takes a value (--max-time T, --trace-limit
 * SIZE, --crashes MODE), 0 when it stands alone (--unsafe, --crashes=MODE), -1 otherwise. */
int scn_child_run_option(const char *a);

/* The first "crashlab: note: ..." line the last child of slot c printed on stderr (what a run
 * says beside its verdict, such as plan faults it never made), without the prefix and the
 * newline, into out. Whether there was one (out is "" otherwise). */
bool scn_child_note(const scn_child *c, char *out, size_t cap);
/* Frees the buffers of a free slot. */
void scn_child_free(scn_child *c);

/* Prints "crashlab: " and the message, one line on stderr, for the commands that run children
 * (sweep, shrink). Returns -1, for `return scn_cli_fail(...)`. */
__attribute__((format(printf, 1, 2))) int scn_cli_fail(const char *fmt, ...);

/* The signature of a failure message: pids (<0.12.0>), refs, message ids (#1.2) and
 * times/durations (16ms, 1.5s, "at 3s") taken out, so that one bug hit on many seeds is one
 * group. Writes at most cap bytes (NUL-terminated). */
void scn_failure_signature(const char *message, char *out, size_t cap);

/* The signature of a failed or erroneous child run: scn_failure_signature of its message,
 * with "scenario error: " in front for an error. "" for a pass. */
void scn_child_signature(const scn_child_result *r, char *out, size_t cap);

#endif
