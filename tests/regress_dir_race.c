/* regress_dir_race.c: the symlink race of issue 12, defect 3, for tests/regress_dir.sh.
 *
 *   regress_dir_race NAME SPARE ATTEMPTS SECONDS MARKER PROGRAM [ARG...]
 *
 * A child process swaps NAME (a blob, or the blobs/ folder, of a layout) with SPARE (a
 * symbolic link to a file or folder outside the layout whose bytes hold MARKER) as fast as
 * it can, with renameat2(RENAME_EXCHANGE) (three plain renames where the file system lacks
 * it), while PROGRAM runs ATTEMPTS times (or until SECONDS have passed), its standard
 * output (a file, SPARE.out) read each time.  Prints "attempts N hits H marker-bytes B" and exits 0 (1 on a
 * setup error).  Built by the test with cc; not part of ocidig. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void flip(const char *name, const char *spare)
{
  char hold[4096];
  unsigned long k = 0;
  snprintf(hold, sizeof hold, "%s.hold", name);
  for (;;) {
    /* a breath every 16 swaps: on a small machine a spinning swapper starves the runs */
    if (++k % 16 == 0) {
      struct timespec ts = {0, 1000};
      nanosleep(&ts, NULL);
    }
    if (renameat2(AT_FDCWD, name, AT_FDCWD, spare, RENAME_EXCHANGE) == 0)
      continue;
    if (errno != EINVAL && errno != ENOSYS) {
      perror("renameat2");
      _exit(1);
    }
    /* no RENAME_EXCHANGE: three renames (name is absent for a moment) */
    if (rename(name, hold) != 0 || rename(spare, name) != 0 || rename(hold, spare) != 0) {
      perror("rename");
      _exit(1);
    }
  }
}

int main(int argc, char **argv)
{
  const char *name, *spare, *marker;
  long attempts, done = 0, hits = 0;
  double seconds, start;
  unsigned long long marker_bytes = 0;
  size_t mlen;
  pid_t flipper;
  char *buf;
  size_t cap = 1u << 20;
  int devnull;
  char outpath[4200];
  if (argc < 7) {
    fprintf(stderr, "usage: %s NAME SPARE ATTEMPTS SECONDS MARKER PROGRAM [ARG...]\n", argv[0]);
    return 1;
  }
  name = argv[1];
  spare = argv[2];
  attempts = atol(argv[3]);
  seconds = atof(argv[4]);
  marker = argv[5];
  mlen = strlen(marker);
  snprintf(outpath, sizeof outpath, "%s.out", spare);
  if (!(buf = malloc(cap)) || !mlen || (devnull = open("/dev/null", O_WRONLY)) < 0) {
    perror("setup");
    return 1;
  }
  if ((flipper = fork()) < 0) {
    perror("fork");
    return 1;
  }
  if (flipper == 0)
    flip(name, spare);
  start = now();
  while (done < attempts && now() - start < seconds) {
    int out, status;
    pid_t pid;
    size_t len = 0;
    ssize_t n;
    posix_spawn_file_actions_t fa;
    /* standard output to a file (cheaper than a pipe for 4 MiB a run), read back after */
    if ((out = open(outpath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
      perror(outpath);
      break;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out, 1);
    posix_spawn_file_actions_adddup2(&fa, devnull, 2);
    if (posix_spawn(&pid, argv[6], &fa, NULL, argv + 6, environ) != 0) {
      perror(argv[6]);
      posix_spawn_file_actions_destroy(&fa);
      close(out);
      break;
    }
    posix_spawn_file_actions_destroy(&fa);
    waitpid(pid, &status, 0);
    while ((n = pread(out, buf + len, cap - len - 1, (off_t)len)) > 0 || (n < 0 && errno == EINTR))
      if (n > 0 && (len += (size_t)n) + 1 >= cap) {
        char *nb = realloc(buf, cap * 2);
        if (!nb)
          break;
        buf = nb;
        cap *= 2;
      }
    close(out);
    done++;
    buf[len] = '\0';
    {
      size_t found = 0;
      for (const char *p = buf; (p = memmem(p, len - (size_t)(p - buf), marker, mlen)) != NULL; p += mlen)
        found++;
      if (found) {
        hits++;
        marker_bytes += found * mlen;
      }
    }
  }
  unlink(outpath);
  kill(flipper, SIGKILL);
  waitpid(flipper, NULL, 0);
  printf("attempts %ld hits %ld marker-bytes %llu seconds %.1f\n", done, hits, marker_bytes, now() - start);
  return 0;
}
