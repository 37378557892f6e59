// Exercises the filesystem calls a POSIX program makes, on the guest's `/`, and prints each step and its
// result (sizes and names only: nothing that depends on the host, the time or the runner). Expects
// /data/input.txt (any text) in the input filesystem; leaves /out/ behind:
//   /out/notes.txt (written, then appended to), /out/renamed.txt (a copy of the input, renamed),
//   /out/link -> renamed.txt (a symbolic link), /out/sub/ (an empty directory).
// Exits 0 when every step did what it should, 1 otherwise.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errname.h"

static int failures = 0;

static void check(const char *what, int ok) {
  if (ok) {
    printf("%s: ok\n", what);
  } else {
    printf("%s: FAILED (%s)\n", what, errno_name(errno));
    failures++;
  }
}

static void expect_errno(const char *what, int result, int expected) {
  if (result == 0) {
    printf("%s: unexpectedly succeeded\n", what);
    failures++;
  } else {
    printf("%s: %s%s\n", what, errno_name(errno), errno == expected ? "" : " (unexpected)");
    if (errno != expected) failures++;
  }
}

static char *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t capacity = 256, used = 0;
  char *data = malloc(capacity + 1);
  size_t n;
  while ((n = fread(data + used, 1, capacity - used, f)) > 0) {
    used += n;
    if (used == capacity) data = realloc(data, (capacity *= 2) + 1);
  }
  fclose(f);
  data[used] = '\0';
  *size = used;
  return data;
}

static int write_file(const char *path, const char *mode, const char *data, size_t size) {
  FILE *f = fopen(path, mode);
  if (!f) return 0;
  int ok = fwrite(data, 1, size, f) == size;
  return fclose(f) == 0 && ok;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    check("opendir", 0);
    return;
  }
  char *names[256];
  size_t count = 0;
  struct dirent *entry;
  while ((entry = readdir(d)) != NULL && count < 256) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    names[count++] = strdup(entry->d_name);
  }
  closedir(d);
  qsort(names, count, sizeof *names, compare_names);
  printf("listing %s (%zu entries):\n", dir, count);
  for (size_t i = 0; i < count; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    struct stat st;
    if (lstat(path, &st) != 0) {
      printf("  %s: lstat %s\n", names[i], errno_name(errno));
    } else if (S_ISDIR(st.st_mode)) {
      printf("  %s/ directory\n", names[i]);
    } else if (S_ISLNK(st.st_mode)) {
      char target[256];
      ssize_t n = readlink(path, target, sizeof target - 1);
      target[n < 0 ? 0 : n] = '\0';
      printf("  %s -> %s\n", names[i], target);
    } else {
      printf("  %s %lld bytes\n", names[i], (long long)st.st_size);
    }
    free(names[i]);
  }
}

int main(void) {
  size_t size = 0;
  char *input = read_file("/data/input.txt", &size);
  check("read /data/input.txt", input != NULL);
  if (!input) return 1;
  size_t lines = 0;
  for (size_t i = 0; i < size; i++) lines += input[i] == '\n';
  printf("input: %zu bytes, %zu lines\n", size, lines);

  check("mkdir /out", mkdir("/out", 0755) == 0);
  expect_errno("mkdir /out again", mkdir("/out", 0755), EEXIST);
  check("mkdir /out/sub", mkdir("/out/sub", 0755) == 0);

  const char first[] = "first line\n";
  const char second[] = "second line, appended\n";
  check("write /out/notes.txt", write_file("/out/notes.txt", "w", first, sizeof first - 1));
  check("append /out/notes.txt", write_file("/out/notes.txt", "a", second, sizeof second - 1));
  struct stat st;
  check("stat /out/notes.txt", stat("/out/notes.txt", &st) == 0);
  printf("/out/notes.txt: %lld bytes (expected %zu)\n", (long long)st.st_size,
         sizeof first - 1 + sizeof second - 1);
  if ((size_t)st.st_size != sizeof first - 1 + sizeof second - 1) failures++;

  check("copy input to /out/copy.txt", write_file("/out/copy.txt", "w", input, size));
  check("rename /out/copy.txt -> /out/renamed.txt", rename("/out/copy.txt", "/out/renamed.txt") == 0);
  expect_errno("stat /out/copy.txt", stat("/out/copy.txt", &st), ENOENT);

  check("symlink /out/link -> renamed.txt", symlink("renamed.txt", "/out/link") == 0);
  char target[256];
  ssize_t n = readlink("/out/link", target, sizeof target - 1);
  check("readlink /out/link", n >= 0);
  target[n < 0 ? 0 : n] = '\0';
  printf("/out/link -> %s\n", target);
  size_t through_link = 0;
  char *again = read_file("/out/link", &through_link);
  check("read through /out/link", again != NULL && through_link == size && memcmp(again, input, size) == 0);
  free(again);

  check("write /out/scratch.txt", write_file("/out/scratch.txt", "w", "x", 1));
  check("unlink /out/scratch.txt", unlink("/out/scratch.txt") == 0);
  expect_errno("unlink /out/scratch.txt again", unlink("/out/scratch.txt"), ENOENT);
  expect_errno("rmdir /out (not empty)", rmdir("/out"), ENOTEMPTY);
  expect_errno("open /missing/file", open("/missing/file", O_RDONLY) < 0 ? -1 : 0, ENOENT);

  int fd = open("/out/notes.txt", O_RDONLY);
  check("open /out/notes.txt", fd >= 0);
  off_t end = lseek(fd, 0, SEEK_END);
  char tail[8] = {0};
  lseek(fd, -7, SEEK_END);
  ssize_t got = read(fd, tail, 7);
  printf("lseek end %lld, last %zd bytes \"%.6s\"\n", (long long)end, got, tail);
  close(fd);

  list("/data");
  list("/out");
  free(input);
  printf("%d failures\n", failures);
  return failures ? 1 : 0;
}
