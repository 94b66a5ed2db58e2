/*
 * The layout (layout.h): panels per machine, and inside each a grid of unsupervised processes
 * beside the supervision trees, in world coordinates that only move when something changed.
 *
 * Data. `places[proc]` says where each process is: nowhere yet, a grid cell of its panel, a
 * tree node, or dropped (it died and its panel was re-planned since). Tree nodes live in one
 * array shared by all panels (children as first_child / next_sibling, in start order), and a
 * hash map finds the node of (parent node, child key), so a restarted child finds its
 * predecessor's node in O(1). A node keeps its last holder; a dead holder's node stays, so the
 * tree never changes shape when children die and come back.
 *
 * Invariants: a grid cell holds VIZ_NONE or a process whose place is that cell; a tree node is
 * reachable from at most one root of its panel; every panel's `order` lists the nodes of its
 * trees in pre-order as of the last arrange. The tidy pass and every walk use an explicit
 * stack bounded by the node count: no recursion.
 *
 * Cost per frame: viz_layout_update is one pass over the placed processes (a few loads each);
 * a panel is laid out again only when its shape or its area changed, in O(its places).
 */
#include "layout.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

/* ---- Small helpers -------------------------------------------------------------------------- */

bool viz_box_contains(viz_box r, float x, float y) {
  return x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h;
}

viz_box viz_xform_rect(const viz_xform *t, viz_box w) {
  return (viz_box){w.x * t->zoom + t->off_x, w.y * t->zoom + t->off_y, w.w * t->zoom,
                    w.h * t->zoom};
}

void viz_xform_to_world(const viz_xform *t, float sx, float sy, float *wx, float *wy) {
  *wx = (sx - t->off_x) / t->zoom;
  *wy = (sy - t->off_y) / t->zoom;
}

void viz_xform_zoom_at(viz_xform *t, float sx, float sy, float factor) {
  float wx, wy;
  viz_xform_to_world(t, sx, sy, &wx, &wy);
  float z = t->zoom * factor;
  if (!(z >= VIZ_ZOOM_MIN)) z = VIZ_ZOOM_MIN; /* also catches NaN */
  if (z > VIZ_ZOOM_MAX) z = VIZ_ZOOM_MAX;
  t->zoom = z;
  t->off_x = sx - wx * z;
  t->off_y = sy - wy * z;
}

void viz_xform_pan(viz_xform *t, float dx, float dy) {
  t->off_x += dx;
  t->off_y += dy;
}

static int grow(void **p, uint32_t *cap, uint32_t need, size_t size) {
  if (need <= *cap) return 0;
  uint32_t c = *cap ? *cap : 16;
  while (c < need) {
    if (c > UINT32_MAX / 2) return AC_ENOMEM;
    c *= 2;
  }
  void *q = realloc(*p, (size_t)c * size);
  if (!q) return AC_ENOMEM;
  *p = q;
  *cap = c;
  return 0;
}

/* ---- The tidy tree ------------------------------------------------------------------------- */

uint32_t viz_tidy_wrap_cols(uint32_t n, uint32_t wrap_min, float box_w, float box_h, float gap_x,
                            float wrap_gap_y) {
  /* cols * (box_w + gap_x) = 2 * rows * (box_h + wrap_gap_y), rows = n / cols. */
  float want = sqrtf(2.0f * (float)n * (box_h + wrap_gap_y) / (box_w + gap_x));
  uint32_t cols = wrap_min ? wrap_min : 1;
  static const uint32_t steps[] = {16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024};
  for (size_t i = 0; i < sizeof steps / sizeof steps[0] && (float)cols < want; i++)
    if (steps[i] > cols) cols = steps[i];
  return cols;
}

int viz_tidy_layout_wrap(viz_tidy_node *nodes, uint32_t count, int32_t root, float box_w,
                         float box_h, float gap_x, float gap_y, uint32_t wrap_min,
                         float wrap_gap_y, int32_t *stack, float *w_out, float *h_out) {
  if (root < 0 || (uint32_t)root >= count) return AC_EINVAL;
  /* Pass 1, post-order: each subtree's span and where its box sits in it. A node is on the
   * stack with span_w = -1 until expanded (its children pushed above it, span_w = -2), and is
   * finished when it comes back to the top. More than `count` pushes means a cycle. */
  uint32_t top = 0, pushes = 1;
  stack[top++] = root;
  nodes[root].span_w = -1.0f;
  while (top > 0) {
    viz_tidy_node *node = &nodes[stack[top - 1]];
    if (node->span_w == -1.0f) {
      node->span_w = -2.0f;
      for (int32_t c = node->first_child; c >= 0; c = nodes[c].next_sibling) {
        if ((uint32_t)c >= count || ++pushes > count) return AC_EINVAL;
        nodes[c].span_w = -1.0f;
        stack[top++] = c;
      }
      continue;
    }
    top--;
    node->wrap_cols = 0;
    if (node->first_child < 0) {
      node->span_w = box_w;
      node->rel_x = 0.0f;
      continue;
    }
    uint32_t kids = 0;
    bool leaves = true;
    for (int32_t c = node->first_child; c >= 0; c = nodes[c].next_sibling) {
      kids++;
      leaves = leaves && nodes[c].first_child < 0;
    }
    if (wrap_min && leaves && kids > wrap_min) {
      /* A pool of leaves: rows of `cols` boxes under the parent, which is centred above. */
      uint32_t cols = viz_tidy_wrap_cols(kids, wrap_min, box_w, box_h, gap_x, wrap_gap_y);
      uint32_t used = kids < cols ? kids : cols;
      node->wrap_cols = cols;
      node->span_w = (float)used * box_w + (float)(used - 1) * gap_x;
      node->rel_x = (node->span_w - box_w) / 2.0f;
      continue;
    }
    /* Children side by side from the left of the span; the box centred between the centres
     * of the first and the last child's boxes, which keeps it inside the span. */
    float off = 0.0f, first_mid = 0.0f, last_mid = 0.0f;
    for (int32_t c = node->first_child; c >= 0; c = nodes[c].next_sibling) {
      float mid = off + nodes[c].rel_x + box_w / 2.0f;
      if (c == node->first_child) first_mid = mid;
      last_mid = mid;
      off += nodes[c].span_w + gap_x;
    }
    node->span_w = off - gap_x;
    node->rel_x = (first_mid + last_mid) / 2.0f - box_w / 2.0f;
  }
  /* Pass 2, pre-order: absolute positions from the root's span at 0, 0. */
  float y_max = 0.0f;
  nodes[root].x = nodes[root].rel_x;
  nodes[root].y = 0.0f;
  stack[top++] = root;
  while (top > 0) {
    viz_tidy_node *node = &nodes[stack[--top]];
    if (node->y > y_max) y_max = node->y;
    float left = node->x - node->rel_x, below = node->y + box_h + gap_y;
    uint32_t k = 0, cols = node->wrap_cols;
    for (int32_t c = node->first_child; c >= 0; c = nodes[c].next_sibling, k++) {
      if (cols) {
        nodes[c].x = left + (float)(k % cols) * (box_w + gap_x);
        nodes[c].y = below + (float)(k / cols) * (box_h + wrap_gap_y);
      } else {
        nodes[c].x = left + nodes[c].rel_x;
        nodes[c].y = below;
        left += nodes[c].span_w + gap_x;
      }
      assert(top < count);
      stack[top++] = c;
    }
  }
  *w_out = nodes[root].span_w;
  *h_out = y_max + box_h;
  return 0;
}

int viz_tidy_layout(viz_tidy_node *nodes, uint32_t count, int32_t root, float box_w, float box_h,
                    float gap_x, float gap_y, int32_t *stack, float *w_out, float *h_out) {
  return viz_tidy_layout_wrap(nodes, count, root, box_w, box_h, gap_x, gap_y, 0, 0.0f, stack,
                              w_out, h_out);
}

/* ---- Grids --------------------------------------------------------------------------------- */

uint32_t viz_grid_fit(viz_box area, uint32_t count, float cell_aspect, float gap, uint32_t *rows) {
  uint32_t best = 1;
  float best_score = -1.0f;
  if (count == 0) count = 1;
  for (uint32_t cols = 1; cols <= count; cols++) {
    uint32_t r = (count + cols - 1) / cols;
    if (cols > 1 && (count + cols - 2) / (cols - 1) == r) continue; /* same rows, wider cells */
    float w = (area.w - gap * (float)(cols - 1)) / (float)cols;
    float h = (area.h - gap * (float)(r - 1)) / (float)r;
    /* The largest cell of the wanted aspect that fits in w x h. */
    float score = w / cell_aspect < h ? w / cell_aspect : h;
    if (score > best_score) {
      best_score = score;
      best = cols;
    }
  }
  *rows = (count + best - 1) / best;
  return best;
}

viz_box viz_grid_cell(viz_box area, uint32_t cols, uint32_t rows, float gap, uint32_t index) {
  float w = (area.w - gap * (float)(cols - 1)) / (float)cols;
  float h = (area.h - gap * (float)(rows - 1)) / (float)rows;
  uint32_t c = index % cols, r = index / cols;
  return (viz_box){area.x + (float)c * (w + gap), area.y + (float)r * (h + gap), w, h};
}

/* ---- The layout's tables ------------------------------------------------------------------- */

enum { PLACE_NONE = 0, PLACE_GRID, PLACE_TREE, PLACE_DROPPED };

typedef struct place {
  uint8_t where;     /* PLACE_* */
  bool alive;
  bool fading;       /* dead, but still drawn (fading out, its crash flashing): a re-plan keeps
                        its place until it has faded */
  bool supervisor;
  uint32_t machine;
  uint32_t sup;      /* the supervisor it was attached under, VIZ_NONE if none */
  uint32_t index;    /* grid cell or tree node */
  uint16_t label_len; /* characters of its label as last told */
  uint32_t reg_event; /* the model's register record its label was measured with */
} place;

typedef struct panel {
  uint32_t machine;
  viz_box rect, content; /* world */
  float scale;            /* world units per content unit */
  float box_w;            /* box width, content units (0 until a process is placed) */
  uint32_t wrap_min;      /* families of more leaves than this wrap (set when planned) */
  float grow_x, grow_y;   /* room left to grow right and down, content units */
  float org_x, org_y;     /* world position of content 0, 0 */
  float res_w, res_h;     /* reserved content size: the scale is planned for it */
  uint32_t *grid;         /* cells: process index or VIZ_NONE */
  uint32_t grid_count, grid_cap, grid_planned, grid_cols;
  float grid_w;           /* width of the grid block, content units */
  int32_t *roots;         /* tree roots in order of appearance */
  uint32_t root_count, root_cap;
  int32_t *order;         /* tree nodes in pre-order, as of the last arrange */
  uint32_t order_count, order_cap;
  uint32_t places, alive;
  bool dirty;             /* tree shape changed: lay the trees out again */
  bool replan;            /* re-plan the grid and the scale */
} panel;

typedef struct child_entry {
  int32_t parent;   /* tree node, -1 = empty entry */
  uint32_t key;
  int32_t node;
} child_entry;

struct viz_layout {
  place *places;
  uint32_t place_count, place_cap;
  panel *panels;             /* in machine order */
  uint32_t panel_count, panel_cap;
  viz_tidy_node *tn;         /* tree nodes of every panel */
  uint32_t *tn_proc;         /* the node's holder */
  int32_t *tn_parent, *tn_last; /* parent node and last child, -1 if none */
  float *tn_x, *tn_y;        /* content coordinates of the box */
  uint32_t tn_count, tn_cap;
  int32_t *stack;
  uint32_t stack_cap;
  child_entry *children;     /* (parent node, key) -> node, open addressing */
  uint32_t child_count, child_cap;
  viz_box canvas;
  uint32_t synced;           /* processes considered by viz_layout_update so far */
  uint32_t *incarnation;     /* per panel: the node index last seen on its machine */
  bool relabel;              /* a label changed: measure the panels' box widths again */
};

int viz_layout_new(viz_layout **out) {
  *out = calloc(1, sizeof **out);
  return *out ? 0 : AC_ENOMEM;
}

static void free_tables(viz_layout *l) {
  for (uint32_t i = 0; i < l->panel_count; i++) {
    free(l->panels[i].grid);
    free(l->panels[i].roots);
    free(l->panels[i].order);
  }
  free(l->panels);
  free(l->places);
  free(l->tn);
  free(l->tn_proc);
  free(l->tn_parent);
  free(l->tn_last);
  free(l->tn_x);
  free(l->tn_y);
  free(l->stack);
  free(l->children);
  free(l->incarnation);
}

void viz_layout_free(viz_layout *l) {
  if (!l) return;
  free_tables(l);
  free(l);
}

void viz_layout_reset(viz_layout *l) {
  free_tables(l);
  memset(l, 0, sizeof *l);
}

static panel *panel_get(viz_layout *l, uint32_t machine, int *err) {
  uint32_t i = 0;
  while (i < l->panel_count && l->panels[i].machine < machine) i++;
  if (i < l->panel_count && l->panels[i].machine == machine) return &l->panels[i];
  if ((*err = grow((void **)&l->panels, &l->panel_cap, l->panel_count + 1, sizeof(panel))))
    return NULL;
  uint32_t cap = l->panel_cap;
  uint32_t *inc = realloc(l->incarnation, (size_t)cap * sizeof *inc);
  if (!inc) {
    *err = AC_ENOMEM;
    return NULL;
  }
  l->incarnation = inc;
  memmove(&l->panels[i + 1], &l->panels[i], (l->panel_count - i) * sizeof(panel));
  memmove(&l->incarnation[i + 1], &l->incarnation[i], (l->panel_count - i) * sizeof *inc);
  l->panel_count++;
  memset(&l->panels[i], 0, sizeof(panel));
  l->panels[i].machine = machine;
  l->panels[i].scale = 1.0f;
  l->panels[i].replan = true;
  l->incarnation[i] = VIZ_NONE;
  l->canvas.w = -1.0f; /* the panel grid changes: arrange everything again */
  return &l->panels[i];
}

int viz_layout_machine(viz_layout *l, uint32_t machine) {
  int err = 0;
  panel_get(l, machine, &err);
  return err;
}

static uint32_t child_hash(int32_t parent, uint32_t key) {
  uint64_t h = ((uint64_t)(uint32_t)parent << 32 | key) * UINT64_C(0x9e3779b97f4a7c15);
  return (uint32_t)(h >> 32);
}

static int32_t child_find(const viz_layout *l, int32_t parent, uint32_t key) {
  if (!l->child_cap) return -1;
  for (uint32_t i = child_hash(parent, key) & (l->child_cap - 1);; i = (i + 1) & (l->child_cap - 1)) {
    const child_entry *e = &l->children[i];
    if (e->parent < 0) return -1;
    if (e->parent == parent && e->key == key) return e->node;
  }
}

/* Sets (parent, key) -> node, adding the entry if new. */
static int child_set(viz_layout *l, int32_t parent, uint32_t key, int32_t node) {
  if ((l->child_count + 1) * 2 > l->child_cap) {
    uint32_t cap = l->child_cap ? l->child_cap * 2 : 256;
    child_entry *t = malloc((size_t)cap * sizeof *t);
    if (!t) return AC_ENOMEM;
    for (uint32_t i = 0; i < cap; i++) t[i].parent = -1;
    for (uint32_t i = 0; i < l->child_cap; i++) {
      child_entry e = l->children[i];
      if (e.parent < 0) continue;
      uint32_t j = child_hash(e.parent, e.key) & (cap - 1);
      while (t[j].parent >= 0) j = (j + 1) & (cap - 1);
      t[j] = e;
    }
    free(l->children);
    l->children = t;
    l->child_cap = cap;
  }
  uint32_t i = child_hash(parent, key) & (l->child_cap - 1);
  while (l->children[i].parent >= 0 &&
         !(l->children[i].parent == parent && l->children[i].key == key))
    i = (i + 1) & (l->child_cap - 1);
  if (l->children[i].parent < 0) l->child_count++;
  l->children[i] = (child_entry){parent, key, node};
  return 0;
}

static int tn_new(viz_layout *l, uint32_t proc, int32_t *out) {
  uint32_t need = l->tn_count + 1, cap = l->tn_cap;
  if (need > cap) {
    uint32_t c = cap ? cap * 2 : 64;
    void *p;
#define REGROW(field)                                              \
  p = realloc(l->field, (size_t)c * sizeof *l->field);             \
  if (!p) return AC_ENOMEM;                                        \
  l->field = p;
    REGROW(tn) REGROW(tn_proc) REGROW(tn_parent) REGROW(tn_last) REGROW(tn_x) REGROW(tn_y)
    REGROW(stack)
#undef REGROW
    l->tn_cap = c;
  }
  int32_t n = (int32_t)l->tn_count++;
  l->tn[n] = (viz_tidy_node){.first_child = -1, .next_sibling = -1};
  l->tn_proc[n] = proc;
  l->tn_parent[n] = -1;
  l->tn_last[n] = -1;
  l->tn_x[n] = l->tn_y[n] = 0.0f;
  *out = n;
  return 0;
}

static int grid_append(panel *pn, uint32_t proc, uint32_t *cell) {
  int err = grow((void **)&pn->grid, &pn->grid_cap, pn->grid_count + 1, sizeof *pn->grid);
  if (err) return err;
  *cell = pn->grid_count;
  pn->grid[pn->grid_count++] = proc;
  if (pn->grid_count > pn->grid_planned) pn->replan = true;
  return 0;
}

/* Frees a grid cell: the last one is given back (so a child adopted right after its spawn
 * leaves no hole), any other stays as a hole until the next re-plan. */
static void grid_remove(panel *pn, uint32_t cell) {
  pn->grid[cell] = VIZ_NONE;
  while (pn->grid_count > 0 && pn->grid[pn->grid_count - 1] == VIZ_NONE) pn->grid_count--;
}

static int roots_add(panel *pn, int32_t n) {
  int err = grow((void **)&pn->roots, &pn->root_cap, pn->root_count + 1, sizeof *pn->roots);
  if (err) return err;
  pn->roots[pn->root_count++] = n;
  pn->dirty = true;
  return 0;
}

static void roots_remove(panel *pn, int32_t n) {
  for (uint32_t i = 0; i < pn->root_count; i++)
    if (pn->roots[i] == n) {
      memmove(&pn->roots[i], &pn->roots[i + 1], (pn->root_count - i - 1) * sizeof *pn->roots);
      pn->root_count--;
      pn->dirty = true;
      return;
    }
}

/* Makes node n the last child of parent. */
static void tn_append(viz_layout *l, int32_t parent, int32_t n) {
  l->tn_parent[n] = parent;
  l->tn[n].next_sibling = -1;
  if (l->tn_last[parent] < 0)
    l->tn[parent].first_child = n;
  else
    l->tn[l->tn_last[parent]].next_sibling = n;
  l->tn_last[parent] = n;
}

/* Puts node n where old was in its parent's children (a restarted supervisor's new tree takes
 * the old one's place); old's subtree is detached. */
static void tn_replace(viz_layout *l, int32_t old, int32_t n) {
  int32_t parent = l->tn_parent[old];
  l->tn_parent[n] = parent;
  l->tn[n].next_sibling = l->tn[old].next_sibling;
  if (l->tn[parent].first_child == old) {
    l->tn[parent].first_child = n;
  } else {
    int32_t c = l->tn[parent].first_child;
    while (l->tn[c].next_sibling != old) c = l->tn[c].next_sibling;
    l->tn[c].next_sibling = n;
  }
  if (l->tn_last[parent] == old) l->tn_last[parent] = n;
  l->tn_parent[old] = -1;
  l->tn[old].next_sibling = -1;
}

static int places_reserve(viz_layout *l, uint32_t proc) {
  uint32_t old = l->place_cap;
  int err = grow((void **)&l->places, &l->place_cap, proc + 1, sizeof(place));
  if (err) return err;
  if (l->place_cap > old) memset(&l->places[old], 0, (l->place_cap - old) * sizeof(place));
  if (proc + 1 > l->place_count) l->place_count = proc + 1;
  return 0;
}

/* Turns a supervisor's grid place or missing place into a tree root. */
static int make_root(viz_layout *l, panel *pn, uint32_t proc) {
  place *pl = &l->places[proc];
  int32_t n;
  int err = tn_new(l, proc, &n);
  if (err) return err;
  if ((err = roots_add(pn, n))) return err;
  if (pl->where == PLACE_GRID) grid_remove(pn, pl->index);
  pl->where = PLACE_TREE;
  pl->index = (uint32_t)n;
  return 0;
}

/* Attaches proc under the tree node of its supervisor, in the slot of key. */
static int adopt(viz_layout *l, panel *pn, uint32_t proc, int32_t parent, uint32_t key) {
  place *pl = &l->places[proc];
  int32_t existing = child_find(l, parent, key), n = -1;
  int err;
  if (pl->where == PLACE_TREE && l->tn_parent[pl->index] < 0 && (int32_t)pl->index != parent &&
      l->tn_proc[pl->index] == proc) {
    n = (int32_t)pl->index; /* a tree of its own (a supervisor started before its parent said
                               so): graft it */
    roots_remove(pn, n);
  } else if (pl->where == PLACE_GRID) {
    grid_remove(pn, pl->index);
  } else if (pl->where == PLACE_TREE) {
    return 0; /* already somewhere in a tree: keep it */
  }
  if (existing >= 0 && existing != n) {
    if (n < 0) {
      n = existing; /* a restart: the predecessor's place */
      l->tn_proc[n] = proc;
    } else {
      tn_replace(l, existing, n);
    }
  } else if (existing < 0) {
    if (n < 0 && (err = tn_new(l, proc, &n))) return err;
    tn_append(l, parent, n);
  }
  if ((err = child_set(l, parent, key, n))) return err;
  pl->where = PLACE_TREE;
  pl->index = (uint32_t)n;
  pn->dirty = true;
  return 0;
}

int viz_layout_place(viz_layout *l, const viz_layout_proc *p) {
  if (p->proc == VIZ_NONE) return AC_EINVAL;
  int err = places_reserve(l, p->proc);
  if (err) return err;
  panel *pn = panel_get(l, p->machine, &err);
  if (!pn) return err;
  place *pl = &l->places[p->proc];
  if (pl->label_len != p->label_len) l->relabel = true;
  pl->label_len = p->label_len;
  if (pl->where == PLACE_NONE || pl->where == PLACE_DROPPED) {
    pl->machine = p->machine;
    pl->alive = true;
    pl->sup = VIZ_NONE;
    pl->where = PLACE_NONE;
  } else if (pl->sup == p->sup || p->sup == VIZ_NONE) {
    return 0; /* where it should be */
  }
  pl->supervisor = p->supervisor;
  /* Under its supervisor, when that one is placed on the same panel. */
  if (p->sup != VIZ_NONE && p->sup < l->place_count && p->sup != p->proc) {
    place *sp = &l->places[p->sup];
    if ((sp->where == PLACE_GRID || sp->where == PLACE_TREE) && sp->machine == p->machine) {
      if (sp->where == PLACE_GRID && (err = make_root(l, pn, p->sup))) return err;
      if ((err = adopt(l, pn, p->proc, (int32_t)sp->index, p->child_key))) return err;
      pl->sup = p->sup;
      return 0;
    }
  }
  if (pl->where != PLACE_NONE) return 0;
  if (p->supervisor) return make_root(l, pn, p->proc);
  if ((err = grid_append(pn, p->proc, &pl->index))) return err;
  pl->where = PLACE_GRID;
  return 0;
}

void viz_layout_set_alive(viz_layout *l, uint32_t proc, bool alive) {
  if (proc < l->place_count) l->places[proc].alive = alive;
}

void viz_layout_set_label(viz_layout *l, uint32_t proc, uint16_t label_len) {
  if (proc >= l->place_count || l->places[proc].label_len == label_len) return;
  l->places[proc].label_len = label_len;
  l->relabel = true;
}

/* After labels changed: each panel's box width becomes what its longest label needs (wider or
 * narrower), and a panel whose width changed is planned again. O(places); labels change
 * rarely (a process registers a name). */
static void measure_labels(viz_layout *l) {
  float *want = calloc(l->panel_count ? l->panel_count : 1, sizeof *want);
  if (!want) return; /* keep the widths: the boxes stay as they are */
  for (uint32_t p = 0; p < l->place_count; p++) {
    const place *pl = &l->places[p];
    bool holds = pl->where == PLACE_GRID || (pl->where == PLACE_TREE && l->tn_proc[pl->index] == p);
    int pi = holds ? viz_layout_panel_of_machine(l, pl->machine) : -1;
    float w = viz_layout_box_w_for(pl->label_len);
    if (pi >= 0 && w > want[pi]) want[pi] = w;
  }
  for (uint32_t i = 0; i < l->panel_count; i++) {
    panel *pn = &l->panels[i];
    if (want[i] > 0.0f && want[i] != pn->box_w) {
      pn->box_w = want[i];
      pn->replan = true;
    }
  }
  free(want);
  l->relabel = false;
}

/* ---- Arranging ----------------------------------------------------------------------------- */

#define PANEL_GAP 6.0f   /* between panels, world units */
#define PANEL_PAD 6.0f   /* inside a panel, around its content */
#define BLOCK_GAP 24.0f  /* between the grid and the trees, and between trees (content units) */
#define GRID_GAP_Y 10.0f /* between grid rows (content units) */

static float box_w_of(const panel *pn) { return pn->box_w > 0.0f ? pn->box_w : VIZ_BOX_W; }

float viz_layout_box_w_for(uint32_t n) {
  if (n == 0) return VIZ_BOX_W;
  float w = (float)n * VIZ_LABEL_ADV + VIZ_LABEL_PAD;
  return w < VIZ_BOX_W_MIN ? VIZ_BOX_W_MIN : w > VIZ_BOX_W_MAX ? VIZ_BOX_W_MAX : w;
}

/* Lays out the trees of a panel side by side from content x = x0 and lists their nodes in
 * pre-order; writes the trees' total width (0 without trees) and height. */
static void lay_trees(viz_layout *l, panel *pn, float x0, float *w_out, float *h_out) {
  float x = x0, h = 0.0f;
  pn->order_count = 0;
  if (grow((void **)&pn->order, &pn->order_cap, l->tn_count, sizeof *pn->order)) {
    pn->root_count = 0; /* no room to list them: show no trees rather than stale ones */
  }
  for (uint32_t r = 0; r < pn->root_count; r++) {
    int32_t root = pn->roots[r];
    float tw, th;
    int rc = viz_tidy_layout_wrap(l->tn, l->tn_count, root, box_w_of(pn), VIZ_BOX_H, VIZ_GAP_X,
                                  VIZ_GAP_Y, pn->wrap_min ? pn->wrap_min : VIZ_WRAP_MIN,
                                  GRID_GAP_Y, l->stack, &tw, &th);
    assert(rc == 0); /* the layout only ever links nodes into trees */
    (void)rc;
    uint32_t top = 0;
    l->stack[top++] = root;
    while (top > 0) {
      int32_t n = l->stack[--top];
      l->tn_x[n] = x + l->tn[n].x;
      l->tn_y[n] = l->tn[n].y;
      pn->order[pn->order_count++] = n;
      /* Children pushed last-first so that they come out in start order. */
      uint32_t base = top;
      for (int32_t c = l->tn[n].first_child; c >= 0; c = l->tn[c].next_sibling) l->stack[top++] = c;
      for (uint32_t a = base, b = top - 1; a < b && top > base; a++, b--) {
        int32_t t = l->stack[a];
        l->stack[a] = l->stack[b];
        l->stack[b] = t;
      }
    }
    x += tw + BLOCK_GAP;
    if (th > h) h = th;
  }
  *w_out = pn->root_count ? x - BLOCK_GAP - x0 : 0.0f;
  *h_out = h;
  pn->dirty = false;
}

static float grid_w_of(const panel *pn, uint32_t cols) {
  return cols ? (float)cols * box_w_of(pn) + (float)(cols - 1) * VIZ_GAP_X : 0.0f;
}

static float grid_h_of(uint32_t cells, uint32_t cols) {
  if (!cells || !cols) return 0.0f;
  uint32_t rows = (cells + cols - 1) / cols;
  return (float)rows * VIZ_BOX_H + (float)(rows - 1) * GRID_GAP_Y;
}

/* The scale at which a content of w x h fits the panel's area (at most VIZ_SCALE_MAX). */
static float fit_scale(const panel *pn, float w, float h) {
  float s = VIZ_SCALE_MAX;
  if (w > 0.0f && pn->content.w / w < s) s = pn->content.w / w;
  if (h > 0.0f && pn->content.h / h < s) s = pn->content.h / h;
  return s > 1e-6f ? s : 1e-6f;
}

/* Re-plans a panel: drops the grid cells of dead processes (keeping the order of the rest),
 * chooses the grid's columns for the living with room to grow, and sets the scale for the
 * largest content that fits the area at that scale (so growth inside it moves nothing). */
/* Chooses the grid's columns for the trees as they lay out with the panel's wrap, lays the
 * trees out beside the grid, and sets the scale with room to grow; *w, *h get the content's
 * size. Returns the scale. */
static float plan_shape(viz_layout *l, panel *pn, float *w_out, float *h_out) {
  float tw, th;
  lay_trees(l, pn, 0.0f, &tw, &th);
  uint32_t planned = pn->grid_planned, best = 0;
  float best_s = -1.0f, best_fit = 0.0f;
  for (uint32_t cols = 1; cols <= planned; cols++) {
    if (cols > 1 && (planned + cols - 1) / cols == (planned + cols - 2) / (cols - 1)) continue;
    float w = grid_w_of(pn, cols) + (tw > 0.0f ? BLOCK_GAP + tw : 0.0f);
    float gh = grid_h_of(planned, cols), h = gh > th ? gh : th;
    float s = fit_scale(pn, w, h);
    /* Equal scales (both fit at 1): prefer the shape closest to the area's. */
    float aspect = (w / h) / (pn->content.w / (pn->content.h > 1.0f ? pn->content.h : 1.0f));
    float fit = aspect > 1.0f ? 1.0f / aspect : aspect;
    if (s > best_s * 1.0001f || (s >= best_s * 0.9999f && fit > best_fit)) {
      best = cols;
      best_s = s;
      best_fit = fit;
    }
  }
  pn->grid_cols = best;
  pn->grid_w = grid_w_of(pn, best);
  float x0 = pn->grid_w > 0.0f ? pn->grid_w + BLOCK_GAP : 0.0f;
  lay_trees(l, pn, x0, &tw, &th);
  float w = x0 + tw, gh = grid_h_of(planned, best);
  float h = gh > th ? gh : th;
  /* The scale leaves room to grow right and down (a tenth of the content's size, at least a
   * box), so a process starting now and then does not re-plan the panel. */
  pn->grow_x = fmaxf(0.1f * w, box_w_of(pn) + VIZ_GAP_X);
  pn->grow_y = fmaxf(0.1f * h, VIZ_BOX_H + GRID_GAP_Y);
  pn->scale = fit_scale(pn, w + pn->grow_x, h + pn->grow_y);
  *w_out = w;
  *h_out = h;
  return pn->scale;
}

static void plan_panel(viz_layout *l, panel *pn) {
  uint32_t kept = 0;
  for (uint32_t c = 0; c < pn->grid_count; c++) {
    uint32_t proc = pn->grid[c];
    if (proc == VIZ_NONE) continue;
    place *pl = &l->places[proc];
    if (!pl->alive && !pl->fading) {
      pl->where = PLACE_DROPPED;
      continue;
    }
    pl->index = kept;
    pn->grid[kept++] = proc;
  }
  pn->grid_count = kept;
  uint32_t planned = kept ? kept + (kept / 2 > 4 ? kept / 2 : 4) : 0;
  pn->grid_planned = planned;
  /* Pools of workers wrap at VIZ_WRAP_MIN when that leaves their boxes tall enough for a
   * label; in a small panel, narrower wraps are tried and the largest scale wins. */
  static const uint32_t wraps[] = {VIZ_WRAP_MIN, 6, 4, 3};
  uint32_t best_wrap = VIZ_WRAP_MIN;
  float best_scale = -1.0f, w = 0.0f, h = 0.0f;
  for (size_t k = 0; k < sizeof wraps / sizeof wraps[0]; k++) {
    pn->wrap_min = wraps[k];
    float s = plan_shape(l, pn, &w, &h);
    if (s > best_scale * 1.0001f) {
      best_scale = s;
      best_wrap = wraps[k];
    }
    if (k == 0 && VIZ_BOX_H * s >= 20.0f) break; /* labels fit: no need to wrap tighter */
  }
  if (pn->wrap_min != best_wrap) {
    pn->wrap_min = best_wrap;
    plan_shape(l, pn, &w, &h);
  }
  /* The content and its room to grow centred in the area; the reserve is the room from the
   * origin to the area's far edges, so content that grows past it (and only then) is planned
   * again, never drawn cut. */
  float slack_x = pn->content.w - (w + pn->grow_x) * pn->scale;
  float slack_y = pn->content.h - (h + pn->grow_y) * pn->scale;
  pn->org_x = pn->content.x + (slack_x > 0.0f ? slack_x / 2.0f : 0.0f);
  pn->org_y = pn->content.y + (slack_y > 0.0f ? slack_y / 2.0f : 0.0f);
  pn->res_w = (pn->content.x + pn->content.w - pn->org_x) / pn->scale;
  pn->res_h = (pn->content.y + pn->content.h - pn->org_y) / pn->scale;
  pn->replan = false;
}

static void place_panels(viz_layout *l, viz_box canvas) {
  uint32_t rows, cols = viz_grid_fit(canvas, l->panel_count, 1.6f, PANEL_GAP, &rows);
  for (uint32_t i = 0; i < l->panel_count; i++) {
    panel *pn = &l->panels[i];
    pn->rect = viz_grid_cell(canvas, cols, rows, PANEL_GAP, i);
    pn->content = (viz_box){pn->rect.x + PANEL_PAD, pn->rect.y + VIZ_PANEL_HEAD_H,
                             pn->rect.w - 2 * PANEL_PAD, pn->rect.h - VIZ_PANEL_HEAD_H - PANEL_PAD};
    if (pn->content.w < 1.0f) pn->content.w = 1.0f;
    if (pn->content.h < 1.0f) pn->content.h = 1.0f;
    pn->replan = true;
  }
}

int viz_layout_arrange(viz_layout *l, viz_box canvas) {
  if (canvas.x != l->canvas.x || canvas.y != l->canvas.y || canvas.w != l->canvas.w ||
      canvas.h != l->canvas.h) {
    l->canvas = canvas;
    place_panels(l, canvas);
  }
  if (l->tn_count && grow((void **)&l->stack, &l->stack_cap, l->tn_count, sizeof *l->stack))
    return AC_ENOMEM;
  if (l->relabel) measure_labels(l);
  for (uint32_t i = 0; i < l->panel_count; i++) {
    panel *pn = &l->panels[i];
    if (!pn->replan && pn->dirty) {
      float x0 = pn->grid_w > 0.0f ? pn->grid_w + BLOCK_GAP : 0.0f, tw, th;
      lay_trees(l, pn, x0, &tw, &th);
      if (x0 + tw > pn->res_w + 0.5f || th > pn->res_h + 0.5f) pn->replan = true;
    }
    if (pn->replan) plan_panel(l, pn);
    pn->places = pn->alive = 0;
  }
  /* Counts per panel: a grid cell, or a tree node for its current holder. */
  for (uint32_t p = 0; p < l->place_count; p++) {
    const place *pl = &l->places[p];
    bool holds = pl->where == PLACE_GRID || (pl->where == PLACE_TREE && l->tn_proc[pl->index] == p);
    if (!holds) continue;
    int pi = viz_layout_panel_of_machine(l, pl->machine);
    if (pi < 0) continue;
    l->panels[pi].places++;
    l->panels[pi].alive += pl->alive;
  }
  return 0;
}

/* What a process's box shows (its registered name, else its label), in characters, and room
 * for the version badge ("v2") of a process that runs a module. */
static uint16_t label_len(const viz_model *m, uint32_t i, const viz_proc *p) {
  char name[VIZ_NAME_MAX];
  size_t n = viz_model_proc_name(m, i, name, sizeof name);
  if (!n) n = strlen(p->label[0] ? p->label : p->behaviour);
  if (p->module[0]) n += 4;
  return (uint16_t)n;
}

int viz_layout_update(viz_layout *l, const viz_model *m, viz_box canvas) {
  int err;
  /* Panels: one per machine seen; a new incarnation on a machine re-plans its panel. */
  uint32_t nodes = viz_model_node_count(m);
  for (uint32_t i = 0; i < nodes; i++) {
    const viz_node *nd = viz_model_node(m, i);
    if (!nd || nd->machine == VIZ_NONE) continue;
    panel *pn = panel_get(l, nd->machine, &err);
    if (!pn) return err;
    uint32_t pi = (uint32_t)(pn - l->panels);
    if (l->incarnation[pi] != VIZ_NONE && l->incarnation[pi] < nd->index) pn->replan = true;
    if (l->incarnation[pi] == VIZ_NONE || l->incarnation[pi] < nd->index)
      l->incarnation[pi] = nd->index;
  }
  uint32_t n = viz_model_proc_count(m);
  uint32_t end = n > l->place_count ? n : l->place_count;
  uint64_t fade = viz_model_fade_ns(m);
  for (uint32_t i = 0; i < end; i++) {
    bool alive = i < n && (viz_model_proc_flags(m, i) & VIZ_PROC_ALIVE);
    if (i >= n) {
      if (i < l->place_count) l->places[i].alive = false;
      continue;
    }
    const viz_proc *p = viz_model_proc(m, i);
    const viz_node *nd = p ? viz_model_node(m, p->node) : NULL;
    if (!nd) continue;
    const viz_proc_state *ps = viz_model_proc_state(m, i);
    uint32_t reg = ps ? ps->reg_event : VIZ_NONE;
    const place *pl = i < l->place_count ? &l->places[i] : NULL;
    bool placed = pl && (pl->where == PLACE_GRID || pl->where == PLACE_TREE);
    bool wanted = !pl || pl->where == PLACE_NONE || (pl->where == PLACE_DROPPED && alive) ||
                  (placed && p->sup != VIZ_NONE && pl->sup != p->sup);
    if (wanted) {
      viz_layout_proc lp = {i, nd->machine, p->sup, p->child_slot, p->is_supervisor,
                            label_len(m, i, p)};
      if ((err = viz_layout_place(l, &lp))) return err;
      l->places[i].reg_event = reg;
    } else if (l->places[i].reg_event != reg) { /* it registered a name: measure it again */
      viz_layout_set_label(l, i, label_len(m, i, p));
      l->places[i].reg_event = reg;
    }
    l->places[i].alive = alive;
    /* Dead, but drawn until it has faded: its crash stays visible where it was even when a
     * new process comes at once (a restart by hand), and a frame drawn afresh (--png, a seek
     * in a new layout) shows it as a window that played up to it does. */
    uint64_t dead_ns;
    l->places[i].fading = !alive && viz_model_proc_dead(m, i, &dead_ns) &&
                          viz_model_time(m) >= dead_ns && viz_model_time(m) - dead_ns < fade;
  }
  l->synced = n;
  return viz_layout_arrange(l, canvas);
}

/* ---- Queries ------------------------------------------------------------------------------- */

uint32_t viz_layout_panel_count(const viz_layout *l) { return l->panel_count; }
viz_box viz_layout_panel_rect(const viz_layout *l, uint32_t i) { return l->panels[i].rect; }
viz_box viz_layout_panel_content(const viz_layout *l, uint32_t i) {
  return l->panels[i].content;
}
uint32_t viz_layout_panel_machine(const viz_layout *l, uint32_t i) {
  return l->panels[i].machine;
}
float viz_layout_panel_scale(const viz_layout *l, uint32_t i) { return l->panels[i].scale; }
uint32_t viz_layout_panel_places(const viz_layout *l, uint32_t i) { return l->panels[i].places; }
uint32_t viz_layout_panel_alive(const viz_layout *l, uint32_t i) { return l->panels[i].alive; }
viz_box viz_layout_bounds(const viz_layout *l) { return l->canvas; }

int viz_layout_panel_of_machine(const viz_layout *l, uint32_t machine) {
  for (uint32_t i = 0; i < l->panel_count; i++)
    if (l->panels[i].machine == machine) return (int)i;
  return -1;
}

bool viz_layout_panel_aggregated(const viz_layout *l, uint32_t i, const viz_xform *t) {
  const panel *pn = &l->panels[i];
  return pn->places > VIZ_PANEL_BOXES_MAX || VIZ_BOX_H * pn->scale * t->zoom < VIZ_BOX_H_MIN_PX;
}

static viz_box box_of(const viz_layout *l, const panel *pn, const place *pl) {
  float cx, cy;
  if (pl->where == PLACE_GRID) {
    uint32_t cols = pn->grid_cols ? pn->grid_cols : 1;
    cx = (float)(pl->index % cols) * (box_w_of(pn) + VIZ_GAP_X);
    cy = (float)(pl->index / cols) * (VIZ_BOX_H + GRID_GAP_Y);
  } else {
    cx = l->tn_x[pl->index];
    cy = l->tn_y[pl->index];
  }
  return (viz_box){pn->org_x + cx * pn->scale, pn->org_y + cy * pn->scale,
                    box_w_of(pn) * pn->scale, VIZ_BOX_H * pn->scale};
}

uint32_t viz_layout_proc_parent(const viz_layout *l, uint32_t proc) {
  if (proc >= l->place_count || l->places[proc].where != PLACE_TREE) return VIZ_NONE;
  int32_t n = (int32_t)l->places[proc].index;
  if (l->tn_proc[n] != proc || l->tn_parent[n] < 0) return VIZ_NONE;
  return l->tn_proc[l->tn_parent[n]];
}

int viz_layout_proc_panel(const viz_layout *l, uint32_t proc) {
  if (proc >= l->place_count) return -1;
  const place *pl = &l->places[proc];
  if (pl->where != PLACE_GRID && pl->where != PLACE_TREE) return -1;
  return viz_layout_panel_of_machine(l, pl->machine);
}

bool viz_layout_proc_rect(const viz_layout *l, uint32_t proc, viz_box *out) {
  int pi = viz_layout_proc_panel(l, proc);
  if (pi < 0) return false;
  *out = box_of(l, &l->panels[pi], &l->places[proc]);
  return true;
}

bool viz_layout_panel_next(const viz_layout *l, uint32_t i, uint32_t *cursor, uint32_t *proc,
                           viz_box *world, uint32_t *parent) {
  const panel *pn = &l->panels[i];
  while (*cursor < pn->grid_count) {
    uint32_t p = pn->grid[(*cursor)++];
    if (p == VIZ_NONE) continue;
    *proc = p;
    *world = box_of(l, pn, &l->places[p]);
    *parent = VIZ_NONE;
    return true;
  }
  uint32_t k = *cursor - pn->grid_count;
  if (k >= pn->order_count) return false;
  (*cursor)++;
  int32_t n = pn->order[k];
  *proc = l->tn_proc[n];
  place tmp = {.where = PLACE_TREE, .index = (uint32_t)n};
  *world = box_of(l, pn, &tmp);
  *parent = l->tn_parent[n] >= 0 ? l->tn_proc[l->tn_parent[n]] : VIZ_NONE;
  return true;
}

uint32_t viz_layout_hit(const viz_layout *l, const viz_xform *t, float sx, float sy) {
  float wx, wy;
  viz_xform_to_world(t, sx, sy, &wx, &wy);
  for (uint32_t i = 0; i < l->panel_count; i++) {
    const panel *pn = &l->panels[i];
    if (!viz_box_contains(pn->content, wx, wy) || viz_layout_panel_aggregated(l, i, t)) continue;
    float cx = (wx - pn->org_x) / pn->scale, cy = (wy - pn->org_y) / pn->scale, bw = box_w_of(pn);
    if (cx >= 0.0f && cy >= 0.0f && cx < pn->grid_w && pn->grid_cols) {
      uint32_t col = (uint32_t)(cx / (bw + VIZ_GAP_X));
      uint32_t row = (uint32_t)(cy / (VIZ_BOX_H + GRID_GAP_Y));
      bool inside = cx - (float)col * (bw + VIZ_GAP_X) < bw &&
                    cy - (float)row * (VIZ_BOX_H + GRID_GAP_Y) < VIZ_BOX_H;
      uint64_t cell = (uint64_t)row * pn->grid_cols + col;
      if (inside && col < pn->grid_cols && cell < pn->grid_count) return pn->grid[cell];
      return VIZ_NONE;
    }
    for (uint32_t k = 0; k < pn->order_count; k++) {
      int32_t n = pn->order[k];
      if (cx >= l->tn_x[n] && cx < l->tn_x[n] + bw && cy >= l->tn_y[n] &&
          cy < l->tn_y[n] + VIZ_BOX_H)
        return l->tn_proc[n];
    }
    return VIZ_NONE;
  }
  return VIZ_NONE;
}
