/*
 * The provider as Terraform starts it, with its resource usage recorded (for `make bench`).
 *
 * scripts/bench_local.py compiles this file with the C compiler Rust already links with (`cc`)
 * into `.bench/wrapped/terraform-provider-todo` and points a `dev_overrides` at that folder, so
 * each provider process Terraform starts during a plan runs under it. It forks, execs the real
 * provider (`BENCH_PROVIDER_BINARY`) with the same arguments, environment and standard streams
 * Terraform set up, waits for it with `wait4`, and appends one JSON line to `BENCH_RUSAGE_LOG`:
 * the child's user and system CPU seconds and its peak resident set (`ru_maxrss`, KiB).
 *
 * Why C and not a script: `wait4` charges the child with everything it does between `fork` and
 * `exec`, and Linux folds the resident set it had just before `exec` into `ru_maxrss`. A Python
 * wrapper's forked copy added about 2.4 ms of CPU and 10 MiB of "peak" to every provider process
 * (measured with /bin/true as the child); this one adds tens of microseconds and a few hundred
 * KiB. The child still reports its `VmHWM` just before `exec` (`pre_exec_kib`), so that a peak no
 * higher than it can be told from the provider's own.
 *
 * Terminating signals are passed on to the provider, so Terraform's shutdown reaches it. Exits
 * with the provider's status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t child = 0;

static void forward(int signum) {
    if (child > 0) {
        kill(child, signum);
    }
}

/* This process's peak resident set so far (`VmHWM` of /proc/self/status), in KiB. */
static long high_water_kib(void) {
    char status[8192];
    int fd = open("/proc/self/status", O_RDONLY);
    if (fd < 0) {
        return 0;
    }
    ssize_t n = read(fd, status, sizeof status - 1);
    close(fd);
    if (n <= 0) {
        return 0;
    }
    status[n] = '\0';
    const char *line = strstr(status, "VmHWM:");
    return line ? strtol(line + 6, NULL, 10) : 0;
}

static double seconds(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* `text` as a JSON string (the arguments Terraform passes are plain, but be safe). */
static void json_string(FILE *out, const char *text) {
    fputc('"', out);
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        if (*c == '"' || *c == '\\') {
            fprintf(out, "\\%c", *c);
        } else if (*c < 0x20) {
            fprintf(out, "\\u%04x", *c);
        } else {
            fputc(*c, out);
        }
    }
    fputc('"', out);
}

int main(int argc, char **argv) {
    const char *binary = getenv("BENCH_PROVIDER_BINARY");
    const char *log = getenv("BENCH_RUSAGE_LOG");
    if (!binary || !log) {
        fprintf(stderr, "rusage wrapper: BENCH_PROVIDER_BINARY and BENCH_RUSAGE_LOG must be set\n");
        return 2;
    }
    double started = now();
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) {
        perror("rusage wrapper: pipe");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("rusage wrapper: fork");
        return 2;
    }
    if (pid == 0) {
        close(pipe_fds[0]);
        dprintf(pipe_fds[1], "%ld", high_water_kib());
        close(pipe_fds[1]);
        argv[0] = (char *)binary;
        execv(binary, argv);
        _exit(127);
    }
    child = pid;
    close(pipe_fds[1]);
    char pre_exec[32] = {0};
    size_t got = 0;
    ssize_t n;
    while (got < sizeof pre_exec - 1 &&
           (n = read(pipe_fds[0], pre_exec + got, sizeof pre_exec - 1 - got)) != 0) {
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        got += (size_t)n;
    }
    close(pipe_fds[0]);

    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = forward;
    int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) {
        sigaction(forwarded[i], &action, NULL);
    }

    int status = 0;
    struct rusage usage;
    while (wait4(pid, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            perror("rusage wrapper: wait4");
            return 2;
        }
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

    /* One write per line: O_APPEND keeps concurrent providers' lines whole. */
    char *line = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&line, &length);
    if (!out) {
        return code;
    }
    fprintf(out,
            "{\"user_s\": %.6f, \"sys_s\": %.6f, \"maxrss_kib\": %ld, \"pre_exec_kib\": %ld, "
            "\"wall_s\": %.6f, \"exit\": %d, \"args\": [",
            seconds(usage.ru_utime), seconds(usage.ru_stime), usage.ru_maxrss,
            strtol(pre_exec, NULL, 10), now() - started,
            WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status));
    for (int i = 1; i < argc; i++) {
        if (i > 1) {
            fputs(", ", out);
        }
        json_string(out, argv[i]);
    }
    fputs("]}\n", out);
    fclose(out);
    int fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd >= 0) {
        ssize_t written = write(fd, line, length);
        (void)written;
        close(fd);
    }
    free(line);
    return code;
}
