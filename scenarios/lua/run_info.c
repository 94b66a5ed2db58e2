/*
 * The run_info record (run_info.h): what a scenario run was a function of, beyond its seed.
 *
 * Required files are found by reading the scenario's text for `require "name"` (and
 * `require("name")`, single quotes too), resolved as the runner resolves them (beside the
 * scenario, then scenarios/library/lib/), recursively: a require built at run time from a
 * variable is not seen, and docs/sweeps.md says so.
 */
#define _GNU_SOURCE

#include "run_info.h"

#include "alloc.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TRACE_LIMIT_DEFAULT_BYTES (UINT64_C(1) << 30)

typedef struct file_list {
  char path[SCN_RUN_INFO_FILES_MAX][1024];
  uint32_t count;
} file_list;

static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 0, n = 0;
  char *data = NULL;
  for (;;) {
    if (ac_grow_bytes(&data, &cap, n + 4096 + 1)) {
      free(data);
      data = NULL;
      break;
    }
    size_t got = fread(data + n, 1, cap - n - 1, f);
    if (got == 0) break;
    n += got;
  }
  fclose(f);
  if (data) data[n] = 0;
  *len = n;
  return data;
}

void scn_file_hash(const char *path, char out[17]) {
  size_t len;
  char *data = read_all(path, &len);
  if (!data) {
    snprintf(out, 17, "unreadable");
    return;
  }
  snprintf(out, 17, "%016" PRIx64, ac_hash_bytes(0, data, len));
  free(data);
}

static void list_add(file_list *l, const char *path) {
  for (uint32_t i = 0; i < l->count; i++)
    if (strcmp(l->path[i], path) == 0) return;
  if (l->count < SCN_RUN_INFO_FILES_MAX) snprintf(l->path[l->count++], sizeof l->path[0], "%s", path);
}

/* Adds the files that the Lua text requires (see the top comment), resolved from dir. */
static void scan_requires(file_list *l, const char *text, const char *dir) {
  for (const char *p = text; (p = strstr(p, "require")) != NULL; p += 7) {
    if (p > text && (p[-1] == '_' || p[-1] == '.' || (p[-1] >= 'a' && p[-1] <= 'z'))) continue;
    const char *q = p + 7;
    while (*q == ' ' || *q == '(') q++;
    if (*q != '"' && *q != '\'') continue;
    char quote = *q++;
    size_t n = strcspn(q, "\"'\n");
    if (q[n] != quote || n == 0 || n >= 400) continue;
    char name[400];
    snprintf(name, sizeof name, "%.*s", (int)n, q);
    if (strcmp(name, "crashlab") == 0) continue;
    for (char *c = name; *c; c++)
      if (*c == '.') *c = '/';
    const char *dirs[] = {dir, CRASHLAB_SCENARIO_LIB};
    for (int i = 0; i < 2; i++) {
      char path[1024];
      snprintf(path, sizeof path, "%s/%s.lua", dirs[i], name);
      if (access(path, R_OK) == 0) {
        list_add(l, path);
        break;
      }
    }
  }
}

static void collect_files(file_list *l, const char *scenario, const char *faults) {
  l->count = 0;
  list_add(l, scenario);
  if (faults) list_add(l, faults); /* a --faults plan: replay checks it as it checks the file */
  char dir[1024];
  const char *slash = strrchr(scenario, '/');
  snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - scenario) : 1, slash ? scenario : ".");
  for (uint32_t i = 0; i < l->count; i++) { /* the list grows as files are read: no recursion */
    size_t len;
    char *text = read_all(l->path[i], &len);
    if (!text) continue;
    scan_requires(l, text, dir);
    free(text);
  }
}

/* The options of o that change a run, as the words `crashlab run` takes. */
static int option_words(const scn_options *o, char words[10][1024]) {
  int n = 0;
  if (o->max_time_ns) {
    snprintf(words[n++], 1024, "--max-time");
    snprintf(words[n++], 1024, "%" PRIu64 "ns", o->max_time_ns);
  }
  if (o->unsafe) snprintf(words[n++], 1024, "--unsafe");
  if (o->crashes == SCN_CRASHES_FAIL) snprintf(words[n++], 1024, "--crashes=fail");
  if (o->crashes == SCN_CRASHES_COUNT) snprintf(words[n++], 1024, "--crashes=count");
  if (o->trace_limit_bytes && o->trace_limit_bytes != TRACE_LIMIT_DEFAULT_BYTES) {
    snprintf(words[n++], 1024, "--trace-limit");
    snprintf(words[n++], 1024, "%" PRIu64, o->trace_limit_bytes);
  }
  if (o->faults_path) { /* its contents are in the files list */
    snprintf(words[n++], 1024, "--faults");
    snprintf(words[n++], 1024, "%s", o->faults_path);
  }
  return n;
}

void scn_record_run_info(sim_world *w, const scn_options *opts, uint64_t seed) {
  if (!opts->trace_path && opts->trace_fd <= 0) return; /* nothing to write it to: no file reads */
  file_list *files = malloc(sizeof *files);
  if (!files) return;
  collect_files(files, opts->path, opts->faults_path);
  char cwd[PATH_MAX], seed_text[24], memory[24], words[10][1024];
  if (!getcwd(cwd, sizeof cwd)) cwd[0] = 0;
  snprintf(seed_text, sizeof seed_text, "%" PRIu64, seed);
  snprintf(memory, sizeof memory, "%" PRIu64, opts->memory_max);
  int nwords = option_words(opts, words);
  ac_tbuf b;
  ac_tb_init(&b);
  ac_tb_map_begin(&b);
  ac_tb_fmt(&b, "a s a s a s a s a s", "version", CRASHLAB_VERSION, "path", opts->path, "cwd", cwd,
            "seed", seed_text, "memory_max", memory);
  ac_tb_atom(&b, "options");
  ac_tb_list_begin(&b);
  for (int i = 0; i < nwords; i++) ac_tb_binary(&b, words[i], strlen(words[i]));
  ac_tb_end(&b);
  ac_tb_atom(&b, "files");
  ac_tb_list_begin(&b);
  for (uint32_t i = 0; i < files->count; i++) {
    char hash[17];
    scn_file_hash(files->path[i], hash);
    ac_tb_fmt(&b, "{s, s}", files->path[i], hash);
  }
  ac_tb_end(&b);
  ac_tb_end(&b);
  ac_term info;
  if (ac_tb_finish(&b, &info) == AC_OK) sim_run_info(w, info);
  ac_tb_free(&b);
  free(files);
}

