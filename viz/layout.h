/*
 * The visualiser's layout: where each node's panel and each process's box is, in a way that
 * does not jitter while processes start and die.
 *
 * Coordinates. The layout works in *world* coordinates: the panels are laid out to fill the
 * canvas (the frame minus the title bar, the legend, the timeline and the inspector) exactly
 * as it is on screen when the view is fitted. The view transform (viz_xform: a zoom and an
 * offset) maps world to screen, so zooming and panning never re-run the layout.
 *
 * Panels. One per machine, in machine order, in a grid that fits the canvas; a restarted node's
 * new incarnation takes its machine's panel. Inside a panel, every process has a box of the
 * panel's box width x VIZ_BOX_H world units at scale 1, placed in the panel's *content space*.
 * The box width is as wide as the longest label in the panel needs (viz_layout_proc's
 * label_len and viz_layout_set_label, VIZ_BOX_W_MIN .. VIZ_BOX_W_MAX; VIZ_BOX_W when no label
 * length is given); it changes only when a label does (a process registers a name). The panel scales its content to fill its area, down as far as needed and up to
 * VIZ_SCALE_MAX, and centres it: a node with 3 processes shows big boxes in the middle of its
 * panel, one with 2,000 small ones, and no content is ever cut at the panel's edge.
 *
 * Content. Processes that no supervisor started (the "others") fill a grid on the left of the
 * content, in order of appearance, with a column count chosen when the panel is laid out; each
 * supervision tree is a tidy tree to its right (root on top, children in start order, subtrees
 * side by side without overlap), trees in order of appearance. A family of more than
 * VIZ_WRAP_MIN children that are all leaves (a pool of workers) wraps into rows under its
 * parent instead of one row hundreds of boxes wide.
 *
 * Stability. A process gets its place when it first appears and keeps it: a dead process's
 * place stays empty (never compacted while it fits), a supervisor's child restarted under the
 * same child id takes its predecessor's place, appended children never move earlier siblings.
 * The content's reserved size and the panel's scale change only when the content outgrows the
 * reserve (then the grid is re-planned with room to grow, dead places are dropped and the
 * relative order is kept), so a frame-to-frame change moves nothing but what changed.
 *
 * Cost. Placing a new process is O(1) amortised (hash maps from pid and from (supervisor, child
 * id)); a tree's tidy pass is O(its size), runs only when its shape changed, with an explicit
 * stack (no recursion); hit testing is O(processes of the panel under the point). Nothing is
 * O(n^2). Large panels aggregate: see viz_layout_panel_aggregated.
 */
#ifndef CRASHLAB_VIZ_LAYOUT_H
#define CRASHLAB_VIZ_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

/* A rectangle: top-left corner and size, in pixels or world units as the name says. */
typedef struct viz_box {
  float x, y, w, h;
} viz_box;

bool viz_box_contains(viz_box r, float x, float y);

/* ---- The view transform ------------------------------------------------------------------ */

/* screen = world * zoom + offset. The identity (zoom 1, offset 0) is "fitted". */
typedef struct viz_xform {
  float zoom;         /* screen pixels per world unit, VIZ_ZOOM_MIN..VIZ_ZOOM_MAX */
  float off_x, off_y; /* screen position of the world origin */
} viz_xform;

#define VIZ_ZOOM_MIN 0.05f
#define VIZ_ZOOM_MAX 40.0f

static inline viz_xform viz_xform_fit(void) { return (viz_xform){1.0f, 0.0f, 0.0f}; }
viz_box viz_xform_rect(const viz_xform *t, viz_box world);
void viz_xform_to_world(const viz_xform *t, float sx, float sy, float *wx, float *wy);
/* Multiplies the zoom by `factor` (clamped to the bounds) keeping the world point under the
 * screen point sx, sy where it is (zoom about the mouse, or the canvas centre for z/x keys). */
void viz_xform_zoom_at(viz_xform *t, float sx, float sy, float factor);
/* Moves the picture by dx, dy screen pixels (a drag, or the arrow keys). */
void viz_xform_pan(viz_xform *t, float dx, float dy);

/* ---- Building blocks (pure, exposed for the tests) ----------------------------------------- */

/* A node of an abstract tree for viz_tidy_layout: children are first_child, then its
 * next_sibling chain, in start order. Index -1 means none. */
typedef struct viz_tidy_node {
  int32_t first_child, next_sibling;
  float x, y;     /* out: top-left corner of the node's box */
  float span_w;   /* out: width of the node's subtree */
  float rel_x;    /* out: the box's left edge within its subtree's span */
  uint32_t wrap_cols; /* out: its children wrapped into rows of this many (0: one row) */
} viz_tidy_node;

/*
 * Lays out the tree rooted at `root` of nodes[0..count): each subtree gets the width of its
 * children side by side (box_w at least), children from the left of their parent's span in
 * order, gap_x apart; a parent is centred between its first and last child, gap_y above them.
 * Positions are relative to the root's span at 0, 0. `stack` is scratch room for `count`
 * indices (the walk is iterative). *w_out, *h_out get the tree's size. Returns 0, or AC_EINVAL
 * when the links do not form a tree of at most `count` nodes (a cycle, an index out of range).
 */
int viz_tidy_layout(viz_tidy_node *nodes, uint32_t count, int32_t root, float box_w, float box_h,
                    float gap_x, float gap_y, int32_t *stack, float *w_out, float *h_out);
/* The same, but a node with more than wrap_min children that are all leaves lays them out in
 * rows of viz_tidy_wrap_cols(n, ...) boxes, wrap_gap_y apart, under it (the parent centred
 * above the block; wrap_cols set on the parent). wrap_min = 0: never wrap. */
int viz_tidy_layout_wrap(viz_tidy_node *nodes, uint32_t count, int32_t root, float box_w,
                         float box_h, float gap_x, float gap_y, uint32_t wrap_min,
                         float wrap_gap_y, int32_t *stack, float *w_out, float *h_out);
/* The columns of a wrapped family of n leaves: a block about twice as wide as tall, rounded up
 * to a few fixed steps (at least wrap_min) so that a growing family rarely changes shape. */
uint32_t viz_tidy_wrap_cols(uint32_t n, uint32_t wrap_min, float box_w, float box_h, float gap_x,
                            float wrap_gap_y);

/* The grid of `count` equal cells that fits `area` best (cells closest to aspect w/h =
 * cell_aspect, then fewer rows); gap pixels between cells. Returns the column count (>= 1)
 * and writes the row count. */
uint32_t viz_grid_fit(viz_box area, uint32_t count, float cell_aspect, float gap, uint32_t *rows);
/* The rectangle of cell `index` (row-major) of a cols x rows grid filling area. */
viz_box viz_grid_cell(viz_box area, uint32_t cols, uint32_t rows, float gap, uint32_t index);

/* ---- The layout ---------------------------------------------------------------------------- */

/* The natural size of a process box and the gaps, in content units at scale 1. VIZ_BOX_W is the
 * width of a box whose label length is not given; with one, a box is VIZ_LABEL_ADV per
 * character plus VIZ_LABEL_PAD (padding, a restart badge), within VIZ_BOX_W_MIN .. MAX. */
#define VIZ_BOX_W 100.0f
#define VIZ_BOX_W_MIN 56.0f
#define VIZ_BOX_W_MAX 208.0f
#define VIZ_LABEL_ADV 8.0f
#define VIZ_LABEL_PAD 24.0f
#define VIZ_BOX_H 24.0f
/* How far a panel scales its content up to fill its area. */
#define VIZ_SCALE_MAX 2.0f
/* Families of more leaves than this wrap into rows. */
#define VIZ_WRAP_MIN 10u
#define VIZ_GAP_X 12.0f
#define VIZ_GAP_Y 28.0f
/* Below this many screen pixels of box height, a panel draws counts instead of boxes. */
#define VIZ_BOX_H_MIN_PX 3.0f
/* Height of a panel's title strip, in world units (pixels when fitted). */
#define VIZ_PANEL_HEAD_H 22.0f

/* What the layout needs to know of a process. Processes are named by their model index
 * (spawn order, dense from 0); viz_layout_update fills this from the model, and the tests call
 * viz_layout_place with it directly. */
typedef struct viz_layout_proc {
  uint32_t proc;        /* process index */
  uint32_t machine;     /* its node's machine: the panel */
  uint32_t sup;         /* index of the supervisor that started it as a child, or VIZ_NONE */
  uint32_t child_key;   /* the same value for the same child id under one supervisor process
                           (the model's child_slot) */
  bool supervisor;      /* it is a supervisor: a tree node even when no supervisor started it */
  uint16_t label_len;   /* characters of its label (0: unknown, a VIZ_BOX_W box) */
} viz_layout_proc;

/* The box width (content units) for a label of n characters (n = 0: VIZ_BOX_W). */
float viz_layout_box_w_for(uint32_t n);

typedef struct viz_layout viz_layout;

/* Creates an empty layout. AC_ENOMEM. Free with viz_layout_free (NULL is fine). */
int viz_layout_new(viz_layout **out);
void viz_layout_free(viz_layout *l);

/* Forgets every place (another trace, or the user asks for a fresh layout). */
void viz_layout_reset(viz_layout *l);

/*
 * Gives a process its place, or keeps the one it has. A process first seen without a
 * supervisor goes to its panel's grid; a supervisor without one roots a new tree; a process
 * whose sup is set becomes (or moves to become) that supervisor's child in the slot of its
 * child_key, taking the place of a predecessor with the same key (a restart). Returns 0, or
 * AC_ENOMEM (the process stays where it was, or unplaced), or AC_EINVAL for a VIZ_NONE proc.
 */
int viz_layout_place(viz_layout *l, const viz_layout_proc *p);

/* Declares `machine` to exist (its panel shows while it has no process yet). AC_ENOMEM. */
int viz_layout_machine(viz_layout *l, uint32_t machine);

/* Says whether a process is alive now. A dead process keeps its place until its panel is
 * re-planned (which drops it: its box is gone by then; viz_layout_update keeps the place of a
 * process that died less than viz_model_fade_ns ago, still drawn fading, through a re-plan).
 * Unknown indices are ignored. */
void viz_layout_set_alive(viz_layout *l, uint32_t proc, bool alive);

/* Says how many characters a process's label has now (it registered a name): the panel's box
 * width follows its longest label at the next arrange. Unknown indices are ignored. */
void viz_layout_set_label(viz_layout *l, uint32_t proc, uint16_t label_len);

/*
 * Brings the layout up to date with the model at its cursor, then arranges it for `canvas`
 * (the panels' area in frame pixels: viz_draw_regions gives it). Places processes spawned since
 * the last call in spawn order, moves children that a supervisor adopted, refreshes who is
 * alive, and re-plans a panel when its content outgrew its reserve, its node restarted or the
 * canvas changed. Cost: O(processes placed) cheap checks plus O(tree size) for trees whose
 * shape changed. Call once per frame before drawing. Returns 0 or AC_ENOMEM.
 */
int viz_layout_update(viz_layout *l, const viz_model *m, viz_box canvas);

/* Lays out the panels and their contents for `canvas` (viz_layout_update calls it; the tests
 * call it after viz_layout_place). Returns 0 or AC_ENOMEM. */
int viz_layout_arrange(viz_layout *l, viz_box canvas);

/* ---- Queries (world coordinates; viz_xform_rect maps them to the screen) ------------------ */

uint32_t viz_layout_panel_count(const viz_layout *l);
/* Panel i (0 .. count - 1, in machine order): its rectangle (title strip included), the area
 * its content is scaled into, its machine. */
viz_box viz_layout_panel_rect(const viz_layout *l, uint32_t i);
viz_box viz_layout_panel_content(const viz_layout *l, uint32_t i);
uint32_t viz_layout_panel_machine(const viz_layout *l, uint32_t i);
/* The panel of a machine, or -1. */
int viz_layout_panel_of_machine(const viz_layout *l, uint32_t machine);
/* World units per content unit in panel i (<= VIZ_SCALE_MAX). */
float viz_layout_panel_scale(const viz_layout *l, uint32_t i);
/* Places in panel i (held by a live or a dead process) and how many of them are alive. */
uint32_t viz_layout_panel_places(const viz_layout *l, uint32_t i);
uint32_t viz_layout_panel_alive(const viz_layout *l, uint32_t i);
/* Panels with more places than this always aggregate (drawing them box by box is too slow to
 * be useful). */
#define VIZ_PANEL_BOXES_MAX 20000u
/* True when panel i, seen through t, draws counts instead of boxes: its boxes would be under
 * VIZ_BOX_H_MIN_PX high on screen, or it has over VIZ_PANEL_BOXES_MAX places. */
bool viz_layout_panel_aggregated(const viz_layout *l, uint32_t i, const viz_xform *t);

/* The world rectangle of a process's box (a replaced child: its successor's box). false when
 * the process has no place (never placed, or dropped when its panel was re-planned). */
bool viz_layout_proc_rect(const viz_layout *l, uint32_t proc, viz_box *out);
/* The holder of the parent place of a process's tree place (its supervisor as drawn), or
 * VIZ_NONE (grid, tree root, no place). */
uint32_t viz_layout_proc_parent(const viz_layout *l, uint32_t proc);
/* The panel index of a process's place, or -1. */
int viz_layout_proc_panel(const viz_layout *l, uint32_t proc);

/* The process whose box lies under screen point sx, sy (boxes of aggregated panels do not
 * count; a place counts for its current holder, alive or dead), or VIZ_NONE. */
uint32_t viz_layout_hit(const viz_layout *l, const viz_xform *t, float sx, float sy);

/*
 * The places of panel i in a stable order (grid, then trees in pre-order): *proc gets the
 * holder, *world its box, *parent the holder of the parent place in its tree (VIZ_NONE for the
 * grid and tree roots). Start with *cursor = 0; returns false after the last place.
 */
bool viz_layout_panel_next(const viz_layout *l, uint32_t i, uint32_t *cursor, uint32_t *proc,
                           viz_box *world, uint32_t *parent);

/* The world rectangle holding every panel: the canvas of the last arrange. */
viz_box viz_layout_bounds(const viz_layout *l);

#endif
