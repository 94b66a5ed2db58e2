/*
 * The Graphviz export (--dot): the supervision trees, links and monitors at the model's cursor.
 *
 * One cluster per node that is up at the cursor (its name as the label), a box per process
 * alive there (label: what a person calls it, then its pid, then the module version it runs
 * at the cursor when it runs one, "kv v2"; supervisors drawn as double
 * octagons), an arrow from each supervisor to each of its children labelled with the child id,
 * links as undirected dashed edges and monitors as dotted arrows from watcher to target.
 * Render it with `dot -Tsvg FILE -o FILE.svg`.
 */
#ifndef CRASHLAB_VIZ_EXPORT_DOT_H
#define CRASHLAB_VIZ_EXPORT_DOT_H

#include <stddef.h>

#include "model.h"

/*
 * Writes the DOT text for the model at its cursor to out_path through sim_outfile
 * (sim/outfile.h), so out_path is either the whole graph or untouched.
 * Returns 0, or AC_EIO / AC_ENOMEM with one line in err naming the path and the reason.
 */
int viz_export_dot(const viz_model *m, const char *out_path, char *err, size_t errcap);

#endif
