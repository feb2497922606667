/* Replays inputs through a fuzz target without libFuzzer, so the seed corpus
 * and every saved crash run as a plain test under any compiler:
 *   fuzz_replay_<target> DIR_OR_FILE...
 * A directory's regular files are replayed in name order (a fixed order makes
 * a failure reproducible); a missing directory is an error, so a typo in the
 * test cannot make it pass on nothing.
 *   fuzz_replay_<target> -interrupt_us=N DIR_OR_FILE...
 * also delivers a SIGALRM every N microseconds, as libFuzzer's -timeout does
 * (less often): a target's blocking calls must take EINTR in their stride. */
#define _DEFAULT_SOURCE /* DT_REG */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "fuzz_check.h"

/* @returns 0, or -1 when path cannot be read. */
static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t len = 0, cap = 4096;
    uint8_t *data = malloc(cap);
    size_t n;
    while (data && (n = fread(data + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *grown = realloc(data, cap *= 2);
            if (!grown) free(data);
            data = grown;
        }
    }
    int failed = !data || ferror(f);
    fclose(f);
    if (failed) {
        fprintf(stderr, "replay: %s: cannot read\n", path);
        free(data);
        return -1;
    }
    /* an exact-size copy: ASan catches a read one past the input */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(data);
        return -1;
    }
    memcpy(exact, data, len);
    free(data);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* @returns the number of files replayed, or -1. */
static long replay_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    long rc = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.') continue; /* ., .., .gitkeep */
        if (n == cap) {
            char **grown = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*names));
            if (!grown) goto fail;
            names = grown;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        if (!(names[n] = malloc(len))) goto fail;
        snprintf(names[n++], len, "%s/%s", dir, e->d_name);
    }
    if (n) qsort(names, n, sizeof(*names), by_name);
    for (size_t i = 0; i < n && rc >= 0; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && !S_ISREG(st.st_mode)) continue;
        rc = replay_file(names[i]) == 0 ? rc + 1 : -1;
    }
    goto done;
fail:
    fprintf(stderr, "replay: out of memory\n");
    rc = -1;
done:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

static void on_alarm(int sig) {
    (void)sig; /* only there to interrupt: no SA_RESTART */
}

/* @returns 0, or -1 when the timer cannot be armed. */
static int interrupt_every(long us) {
    struct sigaction sa = {.sa_handler = on_alarm};
    struct itimerval every = {{us / 1000000, us % 1000000}, {us / 1000000, us % 1000000}};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, NULL) == 0 && setitimer(ITIMER_REAL, &every, NULL) == 0) return 0;
    fprintf(stderr, "replay: cannot arm the interrupting timer: %s\n", strerror(errno));
    return -1;
}

int main(int argc, char **argv) {
    int first = 1;
    long us = 0;
    if (argc > 1 && sscanf(argv[1], "-interrupt_us=%ld", &us) == 1) {
        if (us <= 0 || interrupt_every(us) == -1) return 2;
        first = 2;
    }
    if (argc <= first) {
        fprintf(stderr, "usage: %s [-interrupt_us=N] DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    long total = 0;
    for (int i = first; i < argc; i++) {
        struct stat st;
        long n = stat(argv[i], &st) == 0 && S_ISREG(st.st_mode)
                     ? (replay_file(argv[i]) == 0 ? 1 : -1)
                     : replay_dir(argv[i]);
        if (n < 0) return 1;
        total += n;
    }
    printf("replayed %ld inputs\n", total);
    return 0;
}
