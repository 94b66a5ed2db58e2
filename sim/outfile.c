/*
 * Output files that are either complete or absent (outfile.h). The path is resolved once, at
 * open; a regular file is written to a ".partial" name beside its resolved target and renamed
 * onto it, anything else that exists is written in place. Cost: a few stat/readlink calls at
 * open, one rename at close.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "status.h"

enum { LINK_HOPS_MAX = 40 }; /* as the kernel's own bound on a chain of symbolic links */

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = ac_malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

/* The end of a chain of symbolic links whose last target does not exist (a dangling link):
 * that target is the file to create. NULL with errno set on a loop or an unreadable link. */
static char *dangling_target(const char *path) {
  char *cur = dup_str(path);
  for (int hop = 0; cur && hop < LINK_HOPS_MAX; hop++) {
    struct stat st;
    if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) return cur;
    char link[PATH_MAX];
    ssize_t n = readlink(cur, link, sizeof link - 1);
    if (n < 0) break;
    link[n] = '\0';
    const char *slash = strrchr(cur, '/');
    size_t dir_len = link[0] != '/' && slash ? (size_t)(slash - cur) + 1 : 0;
    char *next = ac_malloc(dir_len + (size_t)n + 1);
    if (!next) break;
    memcpy(next, cur, dir_len);
    memcpy(next + dir_len, link, (size_t)n + 1);
    free(cur);
    cur = next;
  }
  if (cur) errno = errno ? errno : ELOOP;
  free(cur);
  return NULL;
}

/* The regular file to rename onto: the resolved existing file, the end of a dangling link, or
 * path itself. NULL with errno set if it cannot be resolved. */
static char *regular_target(const char *path, bool exists) {
  if (exists) {
    char *real = realpath(path, NULL); /* malloc'd by libc: copied so ac_ frees it */
    if (!real) return NULL;
    char *copy = dup_str(real);
    free(real);
    return copy;
  }
  struct stat st;
  if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
    errno = 0;
    return dangling_target(path);
  }
  return dup_str(path);
}

static int open_direct(sim_outfile *o, const char *path) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  o->file = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (fd >= 0 && !o->file) close(fd);
  return o->file ? AC_OK : AC_EIO;
}

static int open_partial(sim_outfile *o, const struct stat *old) {
  size_t n = strlen(o->target);
  o->partial = ac_malloc(n + sizeof ".partial");
  if (!o->partial) return AC_ENOMEM;
  memcpy(o->partial, o->target, n);
  memcpy(o->partial + n, ".partial", sizeof ".partial");
  /* O_NOFOLLOW: never write through a symbolic link planted at the partial name. */
  int fd = open(o->partial, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return AC_EIO;
  if (old) (void)fchmod(fd, old->st_mode & 07777); /* the file replaced keeps its mode */
  o->file = fdopen(fd, "wb");
  if (!o->file) {
    int e = errno;
    close(fd);
    remove(o->partial);
    errno = e;
    return AC_EIO;
  }
  return AC_OK;
}

int sim_outfile_open(sim_outfile *o, const char *path) {
  memset(o, 0, sizeof *o);
  if (!path || !*path) {
    errno = ENOENT;
    return AC_EIO;
  }
  struct stat st;
  bool exists = stat(path, &st) == 0;
  if (!exists && errno != ENOENT) return AC_EIO;
  if (exists && !S_ISREG(st.st_mode)) return open_direct(o, path);
  o->target = regular_target(path, exists);
  if (!o->target) return errno == ENOMEM ? AC_ENOMEM : AC_EIO;
  int rc = open_partial(o, exists ? &st : NULL);
  if (rc != AC_OK) {
    int e = errno;
    free(o->target);
    free(o->partial);
    o->target = o->partial = NULL;
    errno = e;
  }
  return rc;
}

int sim_outfile_close(sim_outfile *o, bool complete) {
  int rc = AC_OK, e = 0;
  if (o->file) {
    if (fflush(o->file) != 0 || ferror(o->file)) rc = AC_EIO, e = errno;
    if (fclose(o->file) != 0 && rc == AC_OK) rc = AC_EIO, e = errno;
    o->file = NULL;
    if (o->partial && complete && rc == AC_OK && rename(o->partial, o->target) != 0)
      rc = AC_EIO, e = errno;
    if (o->partial && (!complete || rc != AC_OK)) remove(o->partial);
  }
  free(o->target);
  free(o->partial);
  o->target = o->partial = NULL;
  if (rc != AC_OK) errno = e ? e : EIO;
  return rc;
}
