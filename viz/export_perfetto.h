/*
 * `crashlab viz TRACE --perfetto out.json`: a trace as Chrome trace-event JSON (the
 * {"traceEvents": [...]} form), which ui.perfetto.dev and chrome://tracing open.
 *
 * The mapping:
 *   - each node is a process: pid = node index + 1 (Perfetto keeps pid 0 for the idle task),
 *     named "NAME (node N)" by process_name metadata;
 *   - each crashlab process is a thread: tid = a small number given in spawn order (1, 2, ...),
 *     named "REGNAME <N.S.G>" (its last registered name) or "LABEL <N.S.G>" (its spawn label),
 *     with the module version it was spawned in when it was ("LABEL (kv v1) <N.S.G>"), by
 *     thread_name metadata; its lifetime is one slice from spawn to exit; each node also has
 *     a "node" thread for what the node itself does (signals from outside, nodeup/nodedown);
 *   - sends, deliveries, receives, drops and dead letters are short slices on the track of the
 *     process concerned, and every message that was sent and then delivered, received, dropped
 *     or dead-lettered is one flow arrow (ph "s" at the send, "t" at each intermediate step,
 *     "f" at the last), keyed by the message id that trace format 2 keeps across nodes;
 *   - crashes (exits for a reason other than normal or shutdown) are instants on the process's
 *     track; faults, property failures, link changes and the run's end are global instants;
 *     code records (category "code", named "load kv v2", "code_change <0.3.0> kv v2", ...)
 *     are instants on the track of the process they are about, or global instants when they
 *     are about no process (load, delete, purge);
 *     every other record is an instant on the track of its process, with its readable line.
 * Timestamps are virtual time in microseconds with nanosecond decimals. Events of one track
 * that share a virtual time are laid out 2 ns apart in record order, so slices never overlap
 * and every track's timestamps increase, and a flow's later events are never placed before
 * its send (a drop at the send's instant); each event's args carry its exact virtual time.
 */
#ifndef CRASHLAB_VIZ_EXPORT_PERFETTO_H
#define CRASHLAB_VIZ_EXPORT_PERFETTO_H

#include <stddef.h>

/*
 * Reads the trace file at trace_path (twice: once to learn names and which messages end where,
 * once to write) and writes the JSON to out_path through sim_outfile (sim/outfile.h: whole
 * or untouched). Returns 0; or AC_EBADTRACE / AC_EIO (trace unreadable or damaged, output not
 * writable) or AC_ENOMEM, with one line in err naming the file at fault and the reason, and no
 * output file (nor partial file) left behind.
 */
int viz_export_perfetto(const char *trace_path, const char *out_path, char *err, size_t errcap);

#endif
