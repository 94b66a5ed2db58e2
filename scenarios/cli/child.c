/*
 * Child runs of this binary and their verdicts (child.h).
 *
 * Design: a child is `/proc/self/exe` started with posix_spawn, its stdout and stderr on
 * close-on-exec pipes; the parent reads both with poll() so that neither pipe fills up and
 * blocks the child. The verdict is the last line of stdout that starts with PASS or FAIL (exit
 * status 0 or 1); anything else is an error whose message is the first line of stderr. The
 * signature of a failure is the message with what differs from run to run (pids, refs, message
 * ids, times) taken out.
 *
 * Cost: one fork/exec per child (about a millisecond); at most SCN_CHILD_OUTPUT_MAX bytes kept
 * per stream.
 */
#define _GNU_SOURCE

#include "child.h"

#include "alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

double scn_child_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int scn_cli_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("crashlab: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return -1;
}

/* ---- Signatures -------------------------------------------------------------------------- */

static bool is_word(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* Length of a time or duration at s ("16ms", "1.5s", "3h"), or 0. */
static size_t time_token(const char *s) {
  size_t i = 0;
  while (s[i] >= '0' && s[i] <= '9') i++;
  if (i == 0) return 0;
  if (s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9') {
    i++;
    while (s[i] >= '0' && s[i] <= '9') i++;
  }
  static const char *const units[] = {"ns", "us", "ms", "s", "m", "h"};
  for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
    size_t n = strlen(units[u]);
    if (strncmp(s + i, units[u], n) == 0 && !is_word(s[i + n])) return i + n;
  }
  return 0;
}

void scn_failure_signature(const char *m, char *out, size_t cap) {
  size_t o = 0;
#define PUT(str)                                                              \
  do {                                                                        \
    for (const char *p_ = (str); *p_ && o + 1 < cap; p_++) out[o++] = *p_;    \
  } while (0)
  for (size_t i = 0; m[i];) {
    bool boundary = i == 0 || !is_word(m[i - 1]);
    size_t n;
    if (m[i] == '<' && m[i + 1] >= '0' && m[i + 1] <= '9') { /* <0.12.0> */
      n = 1;
      while ((m[i + n] >= '0' && m[i + n] <= '9') || m[i + n] == '.') n++;
      if (m[i + n] == '>') {
        PUT("<pid>");
        i += n + 1;
        continue;
      }
    }
    if (m[i] == '#' && strncmp(m + i, "#Ref<", 5) == 0 && strchr(m + i, '>')) { /* #Ref<...> */
      PUT("#Ref");
      i = (size_t)(strchr(m + i, '>') - m) + 1;
      continue;
    }
    if (m[i] == '#' && m[i + 1] >= '0' && m[i + 1] <= '9') { /* a message id #1.2 */
      n = 1;
      while ((m[i + n] >= '0' && m[i + n] <= '9') || (m[i + n] == '.' && m[i + n + 1] >= '0')) n++;
      PUT("#id");
      i += n;
      continue;
    }
    if (boundary && strncmp(m + i, "ref ", 4) == 0 && m[i + 4] >= '0' && m[i + 4] <= '9') {
      n = 4;
      while (m[i + n] >= '0' && m[i + n] <= '9') n++;
      PUT("ref #");
      i += n;
      continue;
    }
    if (boundary && (n = time_token(m + i)) > 0) {
      PUT("<time>");
      i += n;
      continue;
    }
    if (o + 1 < cap) out[o++] = m[i];
    i++;
  }
  out[o < cap ? o : cap - 1] = 0;
#undef PUT
  /* "... at <time>" closes every failure line: where, not what. */
  size_t len = strlen(out);
  if (len >= 10 && strcmp(out + len - 10, " at <time>") == 0) out[len - 10] = 0;
  char *exp = strstr(out, " at <time> (expected");
  if (exp) memmove(exp, exp + 10, strlen(exp + 10) + 1);
}

void scn_child_signature(const scn_child_result *r, char *out, size_t cap) {
  if (r->verdict == SCN_CHILD_PASS) {
    if (cap) out[0] = 0;
    return;
  }
  char msg[1100];
  snprintf(msg, sizeof msg, "%s%s", r->verdict == SCN_CHILD_ERROR ? "scenario error: " : "", r->message);
  scn_failure_signature(msg, out, cap);
}

/* ---- Children ---------------------------------------------------------------------------- */

static void buf_append(scn_child_buf *b, const char *bytes, size_t n) {
  if (b->len + n + 1 > SCN_CHILD_OUTPUT_MAX)
    n = b->len + 1 < SCN_CHILD_OUTPUT_MAX ? SCN_CHILD_OUTPUT_MAX - b->len - 1 : 0;
  if (n == 0) return;
  /* On failure keep what fits: the verdict line is parsed from what was kept. */
  if (ac_grow_bytes(&b->data, &b->cap, b->len + n + 1)) return;
  memcpy(b->data + b->len, bytes, n);
  b->len += n;
  b->data[b->len] = 0;
}

int scn_child_start(scn_child *c, char *const argv[]) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) return -1;
  if (pipe2(err, O_CLOEXEC) != 0) {
    int e = errno;
    close(out[0]);
    close(out[1]);
    errno = e;
    return -1;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
  pid_t pid;
  int rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(out[0]);
    close(err[0]);
    errno = rc;
    return -1;
  }
  c->pid = pid;
  c->out_fd = out[0];
  c->err_fd = err[0];
  c->out.len = c->err.len = 0;
  if (c->out.data) c->out.data[0] = 0;
  if (c->err.data) c->err.data[0] = 0;
  c->start_s = scn_child_now_s();
  return 0;
}

int scn_child_poll(scn_child *children, unsigned n, int timeout_ms) {
  struct pollfd fds[2 * SCN_CHILD_POLL_MAX];
  scn_child *owner[2 * SCN_CHILD_POLL_MAX];
  nfds_t count = 0;
  for (unsigned i = 0; i < n && i < SCN_CHILD_POLL_MAX; i++) {
    scn_child *c = &children[i];
    if (!c->pid) continue;
    if (c->out_fd >= 0) {
      fds[count] = (struct pollfd){c->out_fd, POLLIN, 0};
      owner[count++] = c;
    }
    if (c->err_fd >= 0) {
      fds[count] = (struct pollfd){c->err_fd, POLLIN, 0};
      owner[count++] = c;
    }
  }
  if (count && poll(fds, count, timeout_ms) < 0 && errno != EINTR) return -1;
  for (nfds_t i = 0; i < count; i++) {
    if (!fds[i].revents) continue;
    scn_child *c = owner[i];
    bool is_out = fds[i].fd == c->out_fd;
    char chunk[8192];
    ssize_t got = read(fds[i].fd, chunk, sizeof chunk);
    if (got > 0) {
      buf_append(is_out ? &c->out : &c->err, chunk, (size_t)got);
    } else if (got == 0 || errno != EINTR) {
      close(fds[i].fd);
      if (is_out) c->out_fd = -1;
      else c->err_fd = -1;
    }
  }
  return 0;
}

bool scn_child_ended(const scn_child *c) { return c->pid && c->out_fd < 0 && c->err_fd < 0; }

/* The value of `key=` in a verdict line, copied up to the next space. */
static void field(const char *line, const char *key, char *out, size_t cap) {
  out[0] = 0;
  const char *p = strstr(line, key);
  if (!p) return;
  p += strlen(key);
  size_t n = strcspn(p, " \n");
  snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
}

static void parse_result(const scn_child *c, int status, scn_child_result *r) {
  memset(r, 0, sizeof *r);
  r->wall_s = scn_child_now_s() - c->start_s;
  const char *out = c->out.data && c->out.len ? c->out.data : "";
  const char *err = c->err.data && c->err.len ? c->err.data : "";
  /* The verdict line is the last line that starts with PASS or FAIL. */
  const char *verdict = NULL;
  for (const char *line = out; *line;) {
    if (strncmp(line, "PASS ", 5) == 0 || strncmp(line, "FAIL ", 5) == 0) verdict = line;
    const char *nl = strchr(line, '\n');
    if (!nl) break;
    line = nl + 1;
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r->exit_code = code;
  if (verdict && (code == 0 || code == 1)) {
    r->verdict = verdict[0] == 'P' ? SCN_CHILD_PASS : SCN_CHILD_FAIL;
    char events[32];
    field(verdict, "events=", events, sizeof events);
    r->events = strtoull(events, NULL, 10);
    field(verdict, "sim_time=", r->sim_time, sizeof r->sim_time);
    field(verdict, "hash=", r->hash, sizeof r->hash);
    if (r->verdict == SCN_CHILD_FAIL && out != verdict) /* the first line says what failed */
      snprintf(r->message, sizeof r->message, "%.*s", (int)strcspn(out, "\n"), out);
  } else {
    r->verdict = SCN_CHILD_ERROR;
    const char *text = err;
    if (strncmp(text, "crashlab: ", 10) == 0) text += 10;
    if (*text)
      snprintf(r->message, sizeof r->message, "%.*s", (int)strcspn(text, "\n"), text);
    else if (WIFSIGNALED(status))
      snprintf(r->message, sizeof r->message, "the worker was killed by signal %d", WTERMSIG(status));
    else
      snprintf(r->message, sizeof r->message, "the worker exited with status %d", code);
  }
  if (strncmp(r->message, "property '", 10) == 0) {
    const char *end = strchr(r->message + 10, '\'');
    if (end) snprintf(r->property, sizeof r->property, "%.*s", (int)(end - r->message - 10), r->message + 10);
  }
}

unsigned scn_default_jobs(void) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return cores > 0 ? (cores > (long)SCN_JOBS_MAX ? SCN_JOBS_MAX : (unsigned)cores) : 1;
}

int scn_child_run_option(const char *a) {
  if (strcmp(a, "--max-time") == 0 || strcmp(a, "--trace-limit") == 0 || strcmp(a, "--crashes") == 0)
    return 1;
  if (strcmp(a, "--unsafe") == 0 || strncmp(a, "--crashes=", 10) == 0) return 0;
  return -1;
}

bool scn_child_note(const scn_child *c, char *out, size_t cap) {
  static const char prefix[] = "crashlab: note: ";
  const size_t prefix_len = sizeof prefix - 1;
  const char *end = c->err.data ? c->err.data + c->err.len : NULL;
  out[0] = '\0';
  for (const char *line = c->err.data; line && line < end;) {
    const char *nl = memchr(line, '\n', (size_t)(end - line));
    size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
    if (n > prefix_len && memcmp(line, prefix, prefix_len) == 0) {
      snprintf(out, cap, "%.*s", (int)(n - prefix_len), line + prefix_len);
      return true;
    }
    line += n + 1;
  }
  return false;
}

int scn_child_run(scn_child *c, char *const argv[], scn_child_result *r) {
  if (scn_child_start(c, argv) != 0) return -1;
  while (!scn_child_ended(c)) {
    if (scn_child_poll(c, 1, -1) != 0) {
      int err = errno;
      kill(c->pid, SIGKILL);
      if (c->out_fd >= 0) close(c->out_fd);
      if (c->err_fd >= 0) close(c->err_fd);
      c->out_fd = c->err_fd = -1;
      scn_child_finish(c, r);
      errno = err;
      return -1;
    }
  }
  scn_child_finish(c, r);
  return 0;
}

int scn_child_finish(scn_child *c, scn_child_result *r) {
  int status = 0;
  while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR) {
  }
  c->pid = 0;
  parse_result(c, status, r);
  return status;
}

void scn_child_free(scn_child *c) {
  free(c->out.data);
  free(c->err.data);
  c->out = c->err = (scn_child_buf){0};
}
