/*
 * Tests of sim/outfile: the one way crashlab writes an output file.
 *
 * Goal: a file under the final name is complete or untouched; a symbolic link stays a link and
 * its target (existing or not yet) gets the content; a path that exists and is not a regular
 * file (a FIFO here, standing for /dev/null, /dev/stdout on a pipe or a terminal) is written in
 * place, never renamed over or removed; an abandoned write leaves an earlier file as it was;
 * a failed open leaves nothing behind.
 *
 * Method: each test gets a fresh directory from mkdtemp (removed by the teardown). Links are
 * made with symlink(2), the FIFO with mkfifo(3) and a reader opened first without blocking, so
 * the writer's open succeeds at once and the test reads back what was written. Files are
 * checked with lstat and by reading their bytes.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"
#include "status.h"

typedef struct scratch {
  char dir[256];
} scratch;

static int setup(void **state) {
  scratch *s = calloc(1, sizeof *s);
  if (!s) return -1;
  const char *tmp = getenv("TMPDIR");
  snprintf(s->dir, sizeof s->dir, "%s/outfile-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(s->dir)) return -1;
  *state = s;
  return 0;
}

static int teardown(void **state) {
  scratch *s = *state;
  DIR *d = opendir(s->dir);
  for (struct dirent *e; d && (e = readdir(d));) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char p[600];
    snprintf(p, sizeof p, "%s/%s", s->dir, e->d_name);
    unlink(p);
  }
  if (d) closedir(d);
  rmdir(s->dir);
  free(s);
  return 0;
}

static void in_dir(const scratch *s, const char *name, char *out, size_t cap) {
  snprintf(out, cap, "%s/%s", s->dir, name);
}

static void put(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  assert_int_equal(fclose(f), 0);
}

static void expect_text(const char *path, const char *want) {
  char got[256] = {0};
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  size_t n = fread(got, 1, sizeof got - 1, f);
  fclose(f);
  got[n] = '\0';
  assert_string_equal(got, want);
}

static int entries(const scratch *s) {
  int n = 0;
  DIR *d = opendir(s->dir);
  for (struct dirent *e; d && (e = readdir(d));) n += e->d_name[0] != '.';
  if (d) closedir(d);
  return n;
}

static void write_all(const char *path, const char *text, bool complete) {
  sim_outfile o;
  assert_int_equal(sim_outfile_open(&o, path), AC_OK);
  fputs(text, o.file);
  assert_int_equal(sim_outfile_close(&o, complete), AC_OK);
  assert_null(o.file);
}

static void test_new_file_appears_only_when_complete(void **state) {
  scratch *s = *state;
  char path[300], partial[320];
  in_dir(s, "out.txt", path, sizeof path);
  snprintf(partial, sizeof partial, "%s.partial", path);
  sim_outfile o;
  assert_int_equal(sim_outfile_open(&o, path), AC_OK);
  fputs("hello\n", o.file);
  assert_int_equal(access(path, F_OK), -1); /* not under the final name while being written */
  assert_int_equal(access(partial, F_OK), 0);
  assert_int_equal(sim_outfile_close(&o, true), AC_OK);
  expect_text(path, "hello\n");
  assert_int_equal(entries(s), 1);
}

static void test_abandoned_write_leaves_earlier_file_as_it_was(void **state) {
  scratch *s = *state;
  char path[300];
  in_dir(s, "out.txt", path, sizeof path);
  put(path, "old\n");
  write_all(path, "new, cut short", false);
  expect_text(path, "old\n");
  assert_int_equal(entries(s), 1);
}

static void test_symlink_stays_a_link_and_its_target_gets_the_content(void **state) {
  scratch *s = *state;
  char target[300], link[300];
  in_dir(s, "target.txt", target, sizeof target);
  in_dir(s, "link.txt", link, sizeof link);
  put(target, "old\n");
  assert_int_equal(symlink("target.txt", link), 0); /* relative, as users make them */
  write_all(link, "through the link\n", true);
  struct stat st;
  assert_int_equal(lstat(link, &st), 0);
  assert_true(S_ISLNK(st.st_mode));
  expect_text(target, "through the link\n");
  assert_int_equal(entries(s), 2); /* no partial file left beside either */
}

static void test_dangling_symlink_creates_its_target(void **state) {
  scratch *s = *state;
  char target[300], link[300];
  in_dir(s, "later.txt", target, sizeof target);
  in_dir(s, "link.txt", link, sizeof link);
  assert_int_equal(symlink("later.txt", link), 0);
  write_all(link, "made\n", true);
  struct stat st;
  assert_int_equal(lstat(link, &st), 0);
  assert_true(S_ISLNK(st.st_mode));
  expect_text(target, "made\n");
  assert_int_equal(entries(s), 2);
}

static void test_fifo_is_written_in_place_not_replaced(void **state) {
  scratch *s = *state;
  char fifo[300];
  in_dir(s, "pipe", fifo, sizeof fifo);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  int reader = open(fifo, O_RDONLY | O_NONBLOCK); /* so the writer's open does not wait */
  assert_true(reader >= 0);
  write_all(fifo, "down the pipe\n", true);
  char got[64] = {0};
  assert_int_equal(read(reader, got, sizeof got - 1), (ssize_t)strlen("down the pipe\n"));
  close(reader);
  assert_string_equal(got, "down the pipe\n");
  struct stat st;
  assert_int_equal(lstat(fifo, &st), 0);
  assert_true(S_ISFIFO(st.st_mode));
  assert_int_equal(entries(s), 1);
}

static void test_symlink_to_fifo_is_written_through(void **state) {
  scratch *s = *state;
  char fifo[300], link[300];
  in_dir(s, "pipe", fifo, sizeof fifo);
  in_dir(s, "link", link, sizeof link);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  assert_int_equal(symlink(fifo, link), 0);
  int reader = open(fifo, O_RDONLY | O_NONBLOCK);
  assert_true(reader >= 0);
  write_all(link, "x", false); /* abandoned: nothing to remove, the FIFO stays */
  char got[8] = {0};
  assert_int_equal(read(reader, got, sizeof got), 1);
  close(reader);
  struct stat st;
  assert_int_equal(lstat(link, &st), 0);
  assert_true(S_ISLNK(st.st_mode));
  assert_int_equal(lstat(fifo, &st), 0);
  assert_true(S_ISFIFO(st.st_mode));
}

static void test_open_in_missing_directory_fails_holding_nothing(void **state) {
  scratch *s = *state;
  char path[300];
  in_dir(s, "no-such-dir/x", path, sizeof path);
  sim_outfile o;
  assert_int_equal(sim_outfile_open(&o, path), AC_EIO);
  assert_int_equal(errno, ENOENT);
  assert_null(o.file);
  assert_null(o.target);
  assert_null(o.partial);
  assert_int_equal(sim_outfile_close(&o, true), AC_OK); /* harmless */
  assert_int_equal(entries(s), 0);
}

static void test_directory_is_refused_and_left_alone(void **state) {
  scratch *s = *state;
  sim_outfile o;
  assert_int_equal(sim_outfile_open(&o, s->dir), AC_EIO);
  assert_int_equal(errno, EISDIR);
  struct stat st;
  assert_int_equal(stat(s->dir, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_new_file_appears_only_when_complete, setup, teardown),
      cmocka_unit_test_setup_teardown(test_abandoned_write_leaves_earlier_file_as_it_was, setup, teardown),
      cmocka_unit_test_setup_teardown(test_symlink_stays_a_link_and_its_target_gets_the_content, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dangling_symlink_creates_its_target, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fifo_is_written_in_place_not_replaced, setup, teardown),
      cmocka_unit_test_setup_teardown(test_symlink_to_fifo_is_written_through, setup, teardown),
      cmocka_unit_test_setup_teardown(test_open_in_missing_directory_fails_holding_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_directory_is_refused_and_left_alone, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
