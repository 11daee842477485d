/*
 * The whole runner under load, as a grader would run it (`mailsim run` with
 * a JSON report), on two generated scenarios:
 * - 100,000 messages among 100 servers (one user each, traffic spread over
 *   an hour): messages per wall-clock second and the run's peak memory;
 * - a large world, 10,000 servers and 10,000 clients (20,000 hosts and
 *   DNS names) with one message across it: the whole run's seconds, most of
 *   them loading the file and building the world, where every host, server
 *   and DNS name is looked up by name (a lookup that walks a list makes this
 *   quadratic: minutes, not a second).
 * The mailsim binary comes from $MAILSIM (default build/mailsim).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SERVERS 100

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void write_scenario(const char *path, long messages)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fprintf(f, "{\"title\": \"load\", \"until\": \"3h\", \"servers\": [");
    for (int i = 0; i < SERVERS; i++)
        fprintf(f,
                "%s{\"host\": \"mx%d.example\", \"domains\": [\"d%d.example\"], "
                "\"users\": [{\"user\": \"u\", \"password\": \"p\"}]}",
                i ? ", " : "", i, i);
    fprintf(f, "], \"clients\": [");
    for (int i = 0; i < SERVERS; i++)
        fprintf(f, "%s{\"host\": \"pc%d\", \"user\": \"u@d%d.example\"}", i ? ", " : "", i, i);
    fprintf(f, "], \"timeline\": [{\"at\": \"0s\", \"traffic\": {\"messages\": %ld, \"from\": [",
            messages);
    for (int i = 0; i < SERVERS; i++)
        fprintf(f, "%s\"u@d%d.example\"", i ? ", " : "", i);
    fprintf(f, "], \"to\": [");
    for (int i = 0; i < SERVERS; i++)
        fprintf(f, "%s\"u@d%d.example\"", i ? ", " : "", i);
    fprintf(f,
            "], \"over\": \"1h\", \"size\": \"2KB\"}}], \"expect\": [{\"name\": \"all delivered\", "
            "\"event\": {\"kind\": \"mailbox.store\"}, \"count\": %ld}]}\n",
            messages);
    fclose(f);
}

static void write_world(const char *path, int pairs)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fprintf(f, "{\"title\": \"a large world\", \"until\": \"1m\", \"servers\": [");
    for (int i = 0; i < pairs; i++)
        fprintf(f,
                "%s{\"host\": \"mx%d.example\", \"address\": \"10.%d.%d.1\", \"domains\": "
                "[\"d%d.example\"], \"users\": [{\"user\": \"u\", \"password\": \"p\"}]}",
                i ? ", " : "", i, i / 256, i % 256, i);
    fprintf(f, "], \"clients\": [");
    for (int i = 0; i < pairs; i++)
        fprintf(f,
                "%s{\"host\": \"pc%d\", \"address\": \"10.%d.%d.2\", \"user\": \"u@d%d.example\"}",
                i ? ", " : "", i, i / 256, i % 256, i);
    fprintf(f,
            "], \"timeline\": [{\"at\": \"0s\", \"send\": {\"from\": \"u@d0.example\", \"to\": "
            "\"u@d%d.example\", \"subject\": \"across\", \"body\": \"hello\\n\"}}], "
            "\"expect\": [{\"name\": \"delivered\", \"mailbox\": {\"user\": \"u@d%d.example\"}, "
            "\"count\": 1}]}\n",
            pairs - 1, pairs - 1);
    fclose(f);
}

/* Runs mailsim on scenario, writing report; the wall-clock seconds, or -1 when it failed. */
static double run_mailsim(const char *mailsim, const char *scenario, const char *report,
                          struct rusage *ru)
{
    double t0 = wall_seconds();
    pid_t pid = fork();
    if (pid == 0) {
        execl(mailsim, mailsim, "run", "--format", "json", "--output", report, scenario,
              (char *)NULL);
        perror(mailsim);
        _exit(127);
    }
    int status;
    if (pid < 0 || wait4(pid, &status, 0, ru) < 0) {
        perror("wait4");
        return -1;
    }
    double dt = wall_seconds() - t0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_run: mailsim run failed (status %d); see %s\n", status, report);
        return -1;
    }
    return dt;
}

int main(int argc, char **argv)
{
    long messages = argc > 1 ? atol(argv[1]) : 100000;
    int pairs = argc > 2 ? atoi(argv[2]) : 10000;
    if (messages < 1 || pairs < 1 || pairs > 65000) {
        fprintf(stderr, "usage: bench_run [MESSAGES [PAIRS (1 to 65000)]]\n");
        return 2;
    }
    const char *mailsim = getenv("MAILSIM") ? getenv("MAILSIM") : "build/mailsim";
    char dir[] = "/tmp/mailsim-bench-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char scenario[256], world[256], report[256];
    snprintf(scenario, sizeof scenario, "%s/load.json", dir);
    snprintf(world, sizeof world, "%s/world.json", dir);
    snprintf(report, sizeof report, "%s/report.json", dir);
    write_scenario(scenario, messages);
    write_world(world, pairs);
    struct rusage ru;
    double dt = run_mailsim(mailsim, scenario, report, &ru);
    if (dt < 0)
        return 1;
    printf("BENCH run_msgs_per_s %.0f msgs/s\n", (double)messages / dt);
    printf("BENCH run_peak_rss_mb %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
    fprintf(stderr, "bench_run: %ld messages among %d servers in %.1f s\n", messages, SERVERS, dt);
    dt = run_mailsim(mailsim, world, report, &ru);
    if (dt < 0)
        return 1;
    printf("BENCH run_world_%dk_hosts_s %.2f s\n", 2 * pairs / 1000, dt);
    fprintf(stderr, "bench_run: %d hosts loaded, built and run in %.2f s\n", 2 * pairs, dt);
    unlink(scenario);
    unlink(world);
    unlink(report);
    rmdir(dir);
    return 0;
}
