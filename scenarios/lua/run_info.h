/*
 * The run_info record a scenario run writes first: what replay needs to run it again.
 */
#ifndef CRASHLAB_RUN_INFO_H
#define CRASHLAB_RUN_INFO_H

#include "runner.h"

/* At most this many files (the scenario and what it requires) are recorded. */
#define SCN_RUN_INFO_FILES_MAX 64

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

/* Writes the content hash of the file at path as 16 hex digits into out, or "unreadable". */
void scn_file_hash(const char *path, char out[17]);

#endif
