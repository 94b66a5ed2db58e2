/*
 * The Graphviz export (export_dot.h). It only queries the model at its cursor, so the graph is
 * exactly what the window shows at that time; processes and nodes appear in spawn and index
 * order, so the same trace and time always give the same file. Strings are quoted for DOT
 * (quotes and backslashes escaped, control bytes dropped).
 */
#define _POSIX_C_SOURCE 200809L
#include "export_dot.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outfile.h"
#include "status.h"

/* Writes s as the inside of a DOT double-quoted string. */
static void put_quoted(FILE *f, const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fputc('\\', f);
    if (c >= 32) fputc(c, f);
  }
}

static void pid_text(uint64_t bits, char *buf, size_t cap) {
  ac_pid p = {bits};
  snprintf(buf, cap, "<%u.%u.%u>", ac_pid_node(p), ac_pid_slot(p), ac_pid_gen(p));
}

static bool alive(const viz_model *m, uint32_t i) {
  return (viz_model_proc_flags(m, i) & VIZ_PROC_ALIVE) != 0;
}

static void write_graph(const viz_model *m, FILE *f) {
  char time[32];
  sim_format_duration(viz_model_time(m), time, sizeof time);
  fprintf(f, "digraph crashlab {\n  label=\"t=%s\";\n  labelloc=t;\n  rankdir=TB;\n", time);
  fprintf(f, "  node [shape=box, fontname=\"DejaVu Sans Mono\", fontsize=10];\n");
  uint32_t nprocs = viz_model_proc_count(m);
  for (uint32_t n = 0; n < viz_model_node_count(m); n++) {
    const viz_node *node = viz_model_node(m, n);
    if (!node || !viz_model_node_up(m, n)) continue;
    fprintf(f, "  subgraph cluster_n%" PRIu32 " {\n    label=\"", n);
    put_quoted(f, node->name);
    if (node->incarnation) fprintf(f, " (incarnation %" PRIu32 ")", node->incarnation + 1);
    fprintf(f, "\";\n");
    for (uint32_t i = 0; i < nprocs; i++) {
      const viz_proc *p = viz_model_proc(m, i);
      if (!p || p->node != n || !alive(m, i)) continue;
      char name[128], pid[48], code[VIZ_NAME_MAX + 16];
      viz_model_proc_display(m, i, name, sizeof name);
      pid_text(p->pid, pid, sizeof pid);
      fprintf(f, "    p%" PRIu32 " [label=\"", i);
      put_quoted(f, name);
      fprintf(f, "\\n%s", pid);
      if (viz_model_proc_code(m, i, code, sizeof code)) { /* the module version it runs */
        fprintf(f, "\\n");
        put_quoted(f, code);
      }
      fprintf(f, "\"%s];\n", p->is_supervisor ? ", shape=doubleoctagon" : "");
    }
    fprintf(f, "  }\n");
  }
  for (uint32_t i = 0; i < nprocs; i++) {
    viz_restart_info info;
    const viz_proc *p = viz_model_proc(m, i);
    if (!p || p->sup == VIZ_NONE || !alive(m, i) || !alive(m, p->sup)) continue;
    fprintf(f, "  p%" PRIu32 " -> p%" PRIu32, p->sup, i);
    if (viz_model_restart_info(m, i, &info) == 0) {
      fprintf(f, " [label=\"");
      put_quoted(f, info.child_id);
      if (info.restarts)
        fprintf(f, " (%" PRIu32 " restart%s)", info.restarts, info.restarts == 1 ? "" : "s");
      fprintf(f, "\"]");
    }
    fprintf(f, ";\n");
  }
  uint32_t nedges = 0;
  const viz_edge *edges = viz_model_edges(m, &nedges);
  for (uint32_t e = 0; e < nedges; e++) {
    if (!alive(m, edges[e].from) || !alive(m, edges[e].to)) continue;
    if (edges[e].kind == VIZ_EDGE_LINK)
      fprintf(f, "  p%" PRIu32 " -> p%" PRIu32 " [dir=none, style=dashed, color=gray40];\n",
              edges[e].from, edges[e].to);
    else
      fprintf(f, "  p%" PRIu32 " -> p%" PRIu32 " [style=dotted, color=blue];\n", edges[e].from,
              edges[e].to);
  }
  fprintf(f, "}\n");
}

int viz_export_dot(const viz_model *m, const char *out_path, char *err, size_t errcap) {
  sim_outfile out;
  int rc = sim_outfile_open(&out, out_path);
  if (rc == 0) {
    write_graph(m, out.file);
    rc = sim_outfile_close(&out, true);
  }
  if (rc != 0) snprintf(err, errcap, "%s: cannot write: %s", out_path, strerror(errno));
  return rc;
}
