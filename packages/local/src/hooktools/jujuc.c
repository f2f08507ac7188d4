/* The local runtime's hook-tool client, like Juju's jujuc: every hook tool on PATH is a link to
 * this binary, which forwards argv (argv[0]'s basename is the tool), the working directory and,
 * for `--file -`, stdin to the controller over the unix socket in JUJU_AGENT_SOCKET_ADDRESS, then
 * replays the reply's stdout, stderr and exit code. Frames are little-endian u32 length-prefixed. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char *buf; static size_t len, cap;
static void put(const void *p, size_t n) {
  if (len + n > cap) { cap = (len + n) * 2 + 4096; buf = realloc(buf, cap); if (!buf) exit(70); }
  memcpy(buf + len, p, n); len += n;
}
static void put_u32(uint32_t v) { unsigned char b[4] = {v, v >> 8, v >> 16, v >> 24}; put(b, 4); }
static void put_field(const char *p, size_t n) { put_u32((uint32_t)n); put(p, n); }
static uint32_t get_u32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static void write_all(int fd, const char *p, size_t n) {
  while (n) { ssize_t w = write(fd, p, n); if (w < 0) { if (errno == EINTR) continue; return; } p += w; n -= w; }
}

int main(int argc, char **argv) {
  const char *sock = getenv("JUJU_AGENT_SOCKET_ADDRESS");
  const char *ctx = getenv("JUJU_CONTEXT_ID");
  /* Juju's jujuc (cmd/jujuc/main.go getenv) names the first variable missing. */
  if (!ctx || !*ctx) { fputs("ERROR JUJU_CONTEXT_ID not set\n", stderr); return 1; }
  if (!sock || !*sock) { fputs("ERROR JUJU_AGENT_SOCKET_ADDRESS not set\n", stderr); return 1; }
  const char *tool = strrchr(argv[0], '/'); tool = tool ? tool + 1 : argv[0];
  int want_stdin = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--file=-") == 0 || (strcmp(argv[i], "--file") == 0 && i + 1 < argc && strcmp(argv[i + 1], "-") == 0)) want_stdin = 1;
  }
  char *in = NULL; size_t inlen = 0, incap = 0;
  if (want_stdin) {
    for (;;) {
      if (inlen + 65536 > incap) { incap = incap * 2 + 65536; in = realloc(in, incap); if (!in) return 70; }
      ssize_t r = read(0, in + inlen, incap - inlen);
      if (r < 0) { if (errno == EINTR) continue; break; }
      if (r == 0) break;
      inlen += r;
    }
  }
  char cwd[4096]; if (!getcwd(cwd, sizeof cwd)) cwd[0] = 0;
  put_u32((uint32_t)(argc + 3));
  put_field(ctx, strlen(ctx)); put_field(cwd, strlen(cwd)); put_field(in ? in : "", inlen);
  put_field(tool, strlen(tool));
  for (int i = 1; i < argc; i++) put_field(argv[i], strlen(argv[i]));
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr; memset(&addr, 0, sizeof addr); addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, sock, sizeof addr.sun_path - 1);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) { fprintf(stderr, "ERROR cannot connect to %s: %s\n", sock, strerror(errno)); return 1; }
  write_all(fd, buf, len);
  len = 0;
  char tmp[65536];
  for (;;) { ssize_t r = read(fd, tmp, sizeof tmp); if (r < 0) { if (errno == EINTR) continue; break; } if (r == 0) break; put(tmp, r); }
  close(fd);
  if (len < 12) { fputs("ERROR truncated reply from the controller\n", stderr); return 1; }
  const unsigned char *p = (const unsigned char *)buf;
  uint32_t code = get_u32(p), olen = get_u32(p + 4);
  if (8 + (size_t)olen + 4 > len) { fputs("ERROR truncated reply from the controller\n", stderr); return 1; }
  uint32_t elen = get_u32(p + 8 + olen);
  if (12 + (size_t)olen + elen > len) { fputs("ERROR truncated reply from the controller\n", stderr); return 1; }
  write_all(1, buf + 8, olen); write_all(2, buf + 12 + olen, elen);
  return (int)code;
}
