/*
 * The log writers: text and JSON Lines for a few events compared with golden
 * lines, every JSON line parsed back, one event one line, the buffer flushed
 * at 64 KB and at close, and errors (a bad path, a full disk) reported.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/trace.h"
#include "core/util.h"
#include "files_fixture.h"
#include "scenario/log.h"

#define N_EVENTS 3

/* The i-th of three events: a command line, a segment with a payload, a two-line narration. */
static void make_event(int i, trace_event_t *ev)
{
    switch (i) {
    case 0:
        trace_event_init(ev, 1250000, TRACE_SMTP_COMMAND, "mail.alice.example");
        ev->from = "mail.alice.example";
        ev->to = "mail.roberto.example";
        ev->session = 3;
        ev->verb = "MAIL";
        ev->line = "MAIL FROM:<alice@alice.example>";
        break;
    case 1:
        trace_event_init(ev, 2000007, TRACE_TCP_SEGMENT, "mail.alice.example");
        ev->from = "mail.alice.example";
        ev->to = "mail.roberto.example";
        ev->port = 25;
        ev->flags = "PSH,ACK";
        ev->seq = 1001;
        ev->ack = 5001;
        ev->len = 8;
        ev->payload = (const uint8_t *)"EHLO x\r\n";
        ev->payload_len = 8;
        break;
    default:
        trace_event_init(ev, 5400000000, TRACE_WALKTHROUGH_STEP, "mail.alice.example");
        ev->step = 2;
        ev->text = "Alice's server\nputs it in the queue.\r";
        break;
    }
}

static void write_events(log_writer_t *w)
{
    for (int i = 0; i < N_EVENTS; i++) {
        trace_event_t ev;
        make_event(i, &ev);
        log_writer_on_event(w, &ev);
    }
}

static const char golden_text[] =
    "0:00:01.250000 mail.alice.example   smtp.command     from=mail.alice.example "
    "to=mail.roberto.example session=3 verb=MAIL | MAIL FROM:<alice@alice.example>\n"
    "0:00:02.000007 mail.alice.example   tcp.segment      from=mail.alice.example "
    "to=mail.roberto.example port=25 flags=PSH,ACK seq=1001 ack=5001 len=8\n"
    "1:30:00.000000 mail.alice.example   walkthrough.step step=2 | Alice's server\\nputs it in "
    "the queue.\\r\n";

static const char golden_jsonl[] =
    "{\"t\":1250000,\"kind\":\"smtp.command\",\"host\":\"mail.alice.example\","
    "\"from\":\"mail.alice.example\",\"to\":\"mail.roberto.example\",\"session\":3,"
    "\"verb\":\"MAIL\",\"line\":\"MAIL FROM:<alice@alice.example>\"}\n"
    "{\"t\":2000007,\"kind\":\"tcp.segment\",\"host\":\"mail.alice.example\","
    "\"from\":\"mail.alice.example\",\"to\":\"mail.roberto.example\",\"port\":25,"
    "\"flags\":\"PSH,ACK\",\"seq\":1001,\"ack\":5001,\"len\":8}\n"
    "{\"t\":5400000000,\"kind\":\"walkthrough.step\",\"host\":\"mail.alice.example\",\"step\":2,"
    "\"text\":\"Alice's server\\nputs it in the queue.\\r\"}\n";

static char *render(log_format_t fmt)
{
    buf_t out = BUF_INIT;
    log_writer_t *w = log_writer_to_buf(&out, fmt);
    write_events(w);
    ck_assert_uint_eq(log_writer_lines(w), N_EVENTS);
    ck_assert_int_eq(log_writer_close(w), 0);
    char *s = xstrdup(buf_cstr(&out));
    buf_free(&out);
    return s;
}

START_TEST(test_format_parse)
{
    static const struct {
        const char *name;
        int rc;
        log_format_t want;
    } cases[] = {
        {"text", 0, LOG_TEXT},  {"jsonl", 0, LOG_JSONL}, {"json", -1, LOG_TEXT},
        {"TEXT", -1, LOG_TEXT}, {"", -1, LOG_TEXT},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        log_format_t got = LOG_TEXT;
        int rc = log_format_parse(cases[i].name, &got);
        ck_assert_msg(rc == cases[i].rc && got == cases[i].want, "%s: got rc %d fmt %d",
                      cases[i].name, rc, got);
    }
}
END_TEST

START_TEST(test_text_lines)
{
    char *got = render(LOG_TEXT);
    ck_assert_msg(strcmp(got, golden_text) == 0, "got:\n%s\nwant:\n%s", got, golden_text);
    free(got);
}
END_TEST

START_TEST(test_jsonl_lines)
{
    char *got = render(LOG_JSONL);
    ck_assert_msg(strcmp(got, golden_jsonl) == 0, "got:\n%s\nwant:\n%s", got, golden_jsonl);
    /* Each line is one JSON object of its event; no payload bytes are logged. */
    int n = 0;
    for (char *line = strtok(got, "\n"); line; line = strtok(NULL, "\n"), n++) {
        cJSON *j = cJSON_Parse(line);
        ck_assert_msg(j != NULL, "line %d is not JSON: %s", n, line);
        trace_event_t ev;
        make_event(n, &ev);
        ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(j, "kind")->valuestring,
                         trace_kind_name(ev.kind));
        ck_assert(cJSON_GetObjectItemCaseSensitive(j, "t")->valuedouble == (double)ev.t);
        ck_assert(cJSON_GetObjectItemCaseSensitive(j, "payload") == NULL);
        cJSON_Delete(j);
    }
    ck_assert_int_eq(n, N_EVENTS);
    free(got);
}
END_TEST

/* A fresh path in the temporary directory; the caller unlinks and frees it. */
static char *temp_path(void)
{
    const char *dir = getenv("TMPDIR");
    char *path = xasprintf("%s/mailsim-log-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    ck_assert_msg(fd >= 0, "mkstemp %s", path);
    close(fd);
    return path;
}

static long file_size(const char *path)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return (long)st.st_size;
}

static char *read_file(const char *path)
{
    char *s = fixture_read_file(path, NULL);
    ck_assert_msg(s != NULL, "cannot read %s", path);
    return s;
}

START_TEST(test_flush_at_close)
{
    char *path = temp_path();
    char err[256] = "";
    log_writer_t *w = log_writer_open(path, LOG_TEXT, err, sizeof err);
    ck_assert_msg(w != NULL, "open: %s", err);
    write_events(w);
    /* A few lines wait in the buffer: nothing reached the file yet. */
    ck_assert_int_eq(file_size(path), 0);
    ck_assert_int_eq(log_writer_close(w), 0);
    char *got = read_file(path);
    ck_assert_msg(strcmp(got, golden_text) == 0, "got:\n%s", got);
    free(got);
    unlink(path);
    free(path);
}
END_TEST

START_TEST(test_flush_every_64k)
{
    char *path = temp_path();
    char err[256] = "";
    log_writer_t *w = log_writer_open(path, LOG_JSONL, err, sizeof err);
    ck_assert_msg(w != NULL, "open: %s", err);
    buf_t want = BUF_INIT;
    log_writer_t *mem = log_writer_to_buf(&want, LOG_JSONL);
    int rounds = 0;
    while (want.len <= LOG_FLUSH_BYTES) {
        write_events(w);
        write_events(mem);
        rounds++;
    }
    /* Past 64 KB the writer has written; what is left waits for close. */
    long before = file_size(path);
    ck_assert_msg(before >= (long)LOG_FLUSH_BYTES && before <= (long)want.len,
                  "%ld bytes on disk after %zu bytes of lines", before, want.len);
    ck_assert_uint_eq(log_writer_lines(w), (uint64_t)rounds * N_EVENTS);
    ck_assert_int_eq(log_writer_close(w), 0);
    ck_assert_int_eq(log_writer_close(mem), 0);
    char *got = read_file(path);
    ck_assert_msg(strcmp(got, buf_cstr(&want)) == 0, "file differs from the buffered log");
    free(got);
    buf_free(&want);
    unlink(path);
    free(path);
}
END_TEST

START_TEST(test_bad_path)
{
    char err[256] = "";
    log_writer_t *w =
        log_writer_open("/nonexistent-mailsim-dir/run.log", LOG_TEXT, err, sizeof err);
    ck_assert(w == NULL);
    ck_assert_str_eq(err, "/nonexistent-mailsim-dir/run.log: cannot create the log file: No such "
                          "file or directory");
}
END_TEST

START_TEST(test_full_disk)
{
    char err[256] = "";
    /* A few lines: the failure shows when close writes them. */
    log_writer_t *w = log_writer_open("/dev/full", LOG_TEXT, err, sizeof err);
    ck_assert_msg(w != NULL, "open /dev/full: %s", err);
    write_events(w);
    ck_assert_int_eq(log_writer_close(w), -1);
    /* Many lines: the failure shows at a 64 KB flush, and close still says so. */
    w = log_writer_open("/dev/full", LOG_JSONL, err, sizeof err);
    ck_assert_msg(w != NULL, "open /dev/full: %s", err);
    for (int i = 0; i < 1000; i++)
        write_events(w);
    ck_assert_int_eq(log_writer_close(w), -1);
}
END_TEST

START_TEST(test_close_null)
{
    ck_assert_int_eq(log_writer_close(NULL), 0);
}
END_TEST

Suite *log_suite(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("writers");
    tcase_add_test(tc, test_format_parse);
    tcase_add_test(tc, test_text_lines);
    tcase_add_test(tc, test_jsonl_lines);
    tcase_add_test(tc, test_flush_at_close);
    tcase_add_test(tc, test_flush_every_64k);
    tcase_add_test(tc, test_bad_path);
    tcase_add_test(tc, test_full_disk);
    tcase_add_test(tc, test_close_null);
    suite_add_tcase(s, tc);
    return s;
}
