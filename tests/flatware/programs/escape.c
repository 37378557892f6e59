// Tries to leave the guest's `/`: relative `..` paths from the working directory, `..` at the root, and
// absolute paths that climb. Prints, for each path, "ok" (and the first bytes read) or the errno name.
// Flatware keeps `..` at the root at the root (docs/flatware.md), so "/../x" is "/x" there; other
// runners may answer ENOTCAPABLE instead, which the case records.
// wasi-libc resolves `..` in paths itself before it asks the runtime, so `escape raw` also calls
// path_open directly on the preopened `/` (fd 3) with paths that climb, the runtime's own check.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <wasi/api.h>

#include "errname.h"

static void try_raw(const char *path) {
  __wasi_fd_t fd = 0;
  __wasi_errno_t e = __wasi_path_open(3, 0, path, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
  printf("path_open(3, \"%s\"): %s\n", path, e == 0 ? "ok" : errno_name(e));
  if (e == 0) (void)!__wasi_fd_close(fd);
}

static void try_open(const char *path) {
  errno = 0;
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("open(\"%s\"): %s\n", path, errno_name(errno));
    return;
  }
  char buf[32];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  if (n < 0) n = 0;
  buf[n] = '\0';
  char *newline = strchr(buf, '\n');
  if (newline) *newline = '\0';
  printf("open(\"%s\"): ok, reads \"%s\"\n", path, buf);
  close(fd);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "raw") == 0) {
    const char *raw[] = {"x", "../x", "../../etc/passwd", "sub/../x", "sub/../../x", "/x", "/../x",
                         "sub/./y", "./x"};
    for (size_t i = 0; i < sizeof raw / sizeof *raw; i++) try_raw(raw[i]);
    return 0;
  }
  const char *paths[] = {"../../etc/passwd", "/../../etc/passwd", "/../x", "../x", "/etc/passwd",
                         "x", "sub/../x", "sub/../../x", "/proc/self/environ"};
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) try_open(paths[i]);
  errno = 0;
  int fd = open("../escaped.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  printf("create(\"../escaped.txt\"): %s\n", fd < 0 ? errno_name(errno) : "ok");
  if (fd >= 0) close(fd);
  return 0;
}
