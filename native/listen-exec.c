/*
 * listen-exec FILE ARGV0 [ARG...]: sets LISTEN_PID to its own pid, then
 * execs FILE with ARGV0 and the arguments.
 *
 * A socket-activated service checks that LISTEN_PID names itself
 * (sd_listen_fds(3), go-systemd's activation.Files) before it takes fds
 * 3.., and systemd sets it in the forked child just before exec. Node's
 * spawn() gives no hook between fork and exec, and the pid is the same
 * across exec, so the init spawns this helper, which sets the variable and
 * becomes the service.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: listen-exec FILE ARGV0 [ARG...]\n");
    return 2;
  }
  char pid[32];
  snprintf(pid, sizeof pid, "%ld", (long)getpid());
  if (setenv("LISTEN_PID", pid, 1) < 0) {
    perror("listen-exec: setenv");
    return 203;
  }
  execv(argv[1], argv + 2);
  fprintf(stderr, "listen-exec: %s: %s\n", argv[1], strerror(errno));
  return 203; /* EXIT_EXEC, as systemd's executor */
}
