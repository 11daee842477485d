/*
 * The bridge's throughput: messages per wall-clock second accepted by a
 * simulated server through `mailsim serve` from real loopback clients.
 * Starts $MAILSIM serve on a scenario with one server (paths with no
 * latency, so the bridge and the engines set the pace, not the simulated
 * distance, which at speed 1 would cost real milliseconds per reply), maps
 * a free loopback port to its port 25, and runs CLIENTS threads with plain
 * blocking sockets. Each opens one connection, says EHLO, then sends
 * MESSAGES messages (MAIL, RCPT and DATA pipelined, then the 1 KB body),
 * and QUITs. Only the sending is timed. SIGTERM stops the server; its JSON
 * report must count every message as accepted, or the bench says what went
 * wrong and exits 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CLIENTS 8
#define MESSAGES 250
#define BODY_BYTES 1024

static const char scenario[] =
    "{\"title\": \"bench serve\", \"network\": {\"latency\": \"0s\"},\n"
    " \"servers\": [{\"host\": \"mx.bench.example\", \"domains\": [\"bench.example\"],\n"
    "   \"users\": [{\"user\": \"sink\", \"password\": \"x\"}],\n"
    "   \"smtp\": {\"max_size\": \"1MB\"}}]}\n";

static uint16_t port;
static char body[BODY_BYTES + 64];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reads until n complete replies (final lines "DDD ") have come; false on an error. */
static int read_replies(int fd, int n, char *last, size_t lastlen)
{
    static __thread char buf[8192];
    static __thread size_t len;
    int got = 0;
    while (got < n) {
        char *nl;
        while (got < n && (nl = memchr(buf, '\n', len))) {
            size_t line = (size_t)(nl - buf) + 1;
            if (line >= 4 && buf[3] == ' ') {
                got++;
                snprintf(last, lastlen, "%.*s", (int)(line > 80 ? 80 : line), buf);
            }
            memmove(buf, buf + line, len - line);
            len -= line;
        }
        if (got == n)
            break;
        ssize_t r = recv(fd, buf + len, sizeof buf - len, 0);
        if (r <= 0)
            return 0;
        len += (size_t)r;
    }
    return 1;
}

static int send_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w <= 0)
            return 0;
        s += w;
        n -= (size_t)w;
    }
    return 1;
}

static int expect(int fd, int n, char code)
{
    char last[96] = "";
    if (!read_replies(fd, n, last, sizeof last) || last[0] != code) {
        fprintf(stderr, "bench_serve: unexpected reply \"%s\"\n", last);
        return 0;
    }
    return 1;
}

static void *client(void *arg)
{
    long id = (long)arg;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {20, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    long ok = 0;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && expect(fd, 1, '2') &&
        send_all(fd, "EHLO bench\r\n", 12) && expect(fd, 1, '2')) {
        char env[256];
        int n = snprintf(
            env, sizeof env,
            "MAIL FROM:<c%ld@load.example>\r\nRCPT TO:<sink@bench.example>\r\nDATA\r\n", id);
        for (; ok < MESSAGES; ok++) {
            if (!send_all(fd, env, (size_t)n) || !expect(fd, 3, '3') ||
                !send_all(fd, body, strlen(body)) || !expect(fd, 1, '2'))
                break;
        }
        send_all(fd, "QUIT\r\n", 6);
    }
    close(fd);
    return (void *)ok;
}

/* Starts mailsim serve; its standard error comes back on *err_fd. */
static pid_t start_serve(const char *mailsim, const char *file, const char *report, int *err_fd)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], STDERR_FILENO);
        close(p[0]);
        close(p[1]);
        execl(mailsim, mailsim, "serve", file, "--map", "127.0.0.1:0=mx.bench.example:smtp",
              "--format", "json", "--output", report, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    *err_fd = p[0];
    return pid;
}

/* The port serve printed ("127.0.0.1:PORT -> ..."), within 10 s; 0 if none. */
static uint16_t read_port(int fd)
{
    char text[4096];
    size_t len = 0;
    double end = now_s() + 10;
    while (now_s() < end && len < sizeof text - 1) {
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 100) <= 0)
            continue;
        ssize_t r = read(fd, text + len, sizeof text - 1 - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        text[len] = '\0';
        const char *m = strstr(text, "127.0.0.1:");
        if (m && strstr(m, " -> "))
            return (uint16_t)atoi(m + 10);
    }
    text[len] = '\0';
    fprintf(stderr, "bench_serve: mailsim serve did not start: %s\n", text);
    return 0;
}

/* The "accepted" count of serve's JSON report, or -1. */
static long accepted_in(const char *report)
{
    FILE *f = fopen(report, "r");
    if (!f)
        return -1;
    char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *a = strstr(text, "\"accepted\":");
    return a ? atol(a + 11) : -1;
}

int main(void)
{
    const char *mailsim = getenv("MAILSIM") ? getenv("MAILSIM") : "build/mailsim";
    char file[] = "/tmp/bench-serve-XXXXXX.json";
    char report[] = "/tmp/bench-serve-report-XXXXXX";
    int sfd = mkstemps(file, 5), rfd = mkstemp(report);
    if (sfd < 0 || rfd < 0 || write(sfd, scenario, sizeof scenario - 1) < 0)
        return 1;
    close(sfd);
    close(rfd);
    /* A header, lines of 62 letters, and the end-of-data line. */
    size_t len = (size_t)snprintf(body, sizeof body, "Subject: bench\r\n\r\n");
    while (len + 64 <= BODY_BYTES) {
        memset(body + len, 'x', 62);
        memcpy(body + len + 62, "\r\n", 2);
        len += 64;
    }
    strcpy(body + len, ".\r\n");
    int err_fd;
    pid_t pid = start_serve(mailsim, file, report, &err_fd);
    port = pid > 0 ? read_port(err_fd) : 0;
    int rc = 1;
    if (port) {
        pthread_t th[CLIENTS];
        double t0 = now_s();
        for (long i = 0; i < CLIENTS; i++)
            pthread_create(&th[i], NULL, client, (void *)i);
        long sent = 0;
        for (int i = 0; i < CLIENTS; i++) {
            void *r;
            pthread_join(th[i], &r);
            sent += (long)r;
        }
        double dt = now_s() - t0;
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        pid = -1;
        long accepted = accepted_in(report);
        if (sent == CLIENTS * MESSAGES && accepted == sent) {
            printf("BENCH serve_smtp_msgs_per_s %.0f msgs/s\n", sent / dt);
            rc = 0;
        } else {
            fprintf(stderr, "bench_serve: sent %ld of %d, the report counts %ld accepted\n", sent,
                    CLIENTS * MESSAGES, accepted);
        }
    }
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    unlink(file);
    unlink(report);
    return rc;
}
