/*
 * Writing an output file so that no half-written file ever looks complete.
 *
 * Every file crashlab writes for a user (a trace, a JSON or JUnit report, a PNG, a DOT graph, a
 * Perfetto export, a shrunk scenario) goes through this one module. The path is resolved first,
 * following symbolic links:
 *   - a regular file, or nothing yet: the bytes go to TARGET.partial beside the resolved target
 *     and are renamed onto it only once complete, so a symbolic link stays a link and its target
 *     gets the content, and a reader never sees a file cut short under the final name;
 *   - anything else that exists (a FIFO, a character device such as /dev/null, a pipe or
 *     terminal reached through /dev/stdout): written directly, never renamed over or removed.
 */
#ifndef CRASHLAB_SIM_OUTFILE_H
#define CRASHLAB_SIM_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

typedef struct sim_outfile {
  FILE *file;    /* where to write; NULL when closed */
  char *target;  /* the resolved file renamed onto, or NULL when written directly */
  char *partial; /* target + ".partial" while writing, or NULL when written directly */
} sim_outfile;

/*
 * Opens path for writing as above (o is filled; its previous content is ignored). Returns 0,
 * AC_ENOMEM, or AC_EIO with errno saying why (the message a caller prints is
 * strerror(errno)). On failure nothing is held and no file is left behind.
 */
int sim_outfile_open(sim_outfile *o, const char *path);

/*
 * Ends the write. With complete = true and no write error so far: flushes, closes and, for a
 * regular file, renames the partial file onto the target. Otherwise (or on any error) closes and
 * removes the partial file, leaving an earlier file under the final name as it was. Returns 0 or
 * AC_EIO with errno saying why. Safe to call twice or on a zeroed o.
 */
int sim_outfile_close(sim_outfile *o, bool complete);

#endif
