/*
 * The pcap writer: segments written by hand, the bytes parsed back here with
 * checksums recomputed independently, and the same file read by tshark.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/trace.h"
#include "scenario/pcap.h"

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))
#define CLIENT IP4(192, 0, 2, 10)
#define SERVER IP4(198, 51, 100, 20)
#define TSHARK "/usr/bin/tshark"

typedef struct segment {
    sim_time_t t;
    uint32_t src, dst;
    uint16_t sport, dport;
    int64_t seq, ack;
    const char *flags;
    uint16_t window;
    const char *payload;
    uint8_t want_flags; /* the TCP header's flag byte */
    uint16_t want_id;   /* the IPv4 identification: a counter per source */
    const char *want_tshark_flags;
} segment_t;

/* A short SMTP exchange; the last payload has an odd length to test checksum padding. */
static const segment_t segments[] = {
    {1250000, CLIENT, SERVER, 40001, 25, 1000, TRACE_NONE, "SYN", 64240, "", 0x02, 1,
     "··········S·"},
    {1255000, SERVER, CLIENT, 25, 40001, 5000, 1001, "SYN,ACK", 65535, "", 0x12, 1, "·······A··S·"},
    {1260000, CLIENT, SERVER, 40001, 25, 1001, 5001, "ACK", 64240, "", 0x10, 2, "·······A····"},
    {2000007, CLIENT, SERVER, 40001, 25, 1001, 5001, "PSH,ACK", 64240, "EHLO x\r\n", 0x18, 3,
     "·······AP···"},
    {3000000, SERVER, CLIENT, 25, 40001, 5001, 1009, "FIN,PSH,ACK", 65535, "221 Bye\r\n", 0x19, 2,
     "·······AP··F"},
    {3999999, CLIENT, SERVER, 40001, 25, 1009, 5011, "RST,ACK", 0, "", 0x14, 4, "·······A·R··"},
};

static void segment_event(const segment_t *s, trace_event_t *ev)
{
    trace_event_init(ev, s->t, TRACE_TCP_SEGMENT, "mail.alice.example");
    ev->src_addr = s->src;
    ev->dst_addr = s->dst;
    ev->src_port = s->sport;
    ev->dst_port = s->dport;
    ev->port = 25;
    ev->seq = s->seq;
    ev->ack = s->ack;
    ev->flags = s->flags;
    ev->window = s->window;
    ev->payload = (const uint8_t *)s->payload;
    ev->payload_len = strlen(s->payload);
    ev->len = (int64_t)ev->payload_len;
}

/* The segments, with events the writer must ignore in between. */
static void write_segments(pcap_writer_t *w)
{
    for (size_t i = 0; i < ARRAY_LEN(segments); i++) {
        trace_event_t ev;
        segment_event(&segments[i], &ev);
        pcap_writer_on_event(w, &ev);
        ev.kind = TRACE_TCP_RETRANSMIT;
        pcap_writer_on_event(w, &ev);
        ev.kind = TRACE_TCP_DROP;
        pcap_writer_on_event(w, &ev);
        trace_event_init(&ev, segments[i].t, TRACE_DNS_QUERY, "mail.alice.example");
        pcap_writer_on_event(w, &ev);
    }
}

/* --- reading the bytes back ---------------------------------------------------- */

static uint32_t get16be(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t get32be(const uint8_t *p)
{
    return get16be(p) << 16 | get16be(p + 2);
}

static uint32_t get32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* RFC 1071 verification: the folded sum over the data, checksum included, is 0xffff. */
static uint32_t ones_sum(const uint8_t *p, size_t n, uint32_t sum)
{
    for (size_t i = 0; i < n; i++)
        sum += i % 2 ? p[i] : (uint32_t)p[i] << 8;
    while (sum > 0xffff)
        sum = (sum >> 16) + (sum & 0xffff);
    return sum;
}

static void assert_mac(const uint8_t *p, uint32_t addr, const char *which, size_t rec)
{
    uint8_t want[6] = {
        0x02,         0x00, (uint8_t)(addr >> 24), (uint8_t)(addr >> 16), (uint8_t)(addr >> 8),
        (uint8_t)addr};
    ck_assert_msg(memcmp(p, want, 6) == 0, "record %zu: %s MAC %02x:%02x:%02x:%02x:%02x:%02x", rec,
                  which, p[0], p[1], p[2], p[3], p[4], p[5]);
}

static void assert_ipv4(const uint8_t *ip, const segment_t *s, size_t n, size_t rec)
{
    ck_assert_uint_eq(ip[0], 0x45);
    ck_assert_uint_eq(get16be(ip + 2), 40 + n);
    ck_assert_msg(get16be(ip + 4) == s->want_id, "record %zu: IP id %u, want %u", rec,
                  get16be(ip + 4), s->want_id);
    ck_assert_uint_eq(get16be(ip + 6), 0x4000); /* DF */
    ck_assert_uint_eq(ip[8], 64);
    ck_assert_uint_eq(ip[9], 6);
    ck_assert_uint_eq(get32be(ip + 12), s->src);
    ck_assert_uint_eq(get32be(ip + 16), s->dst);
    ck_assert_msg(ones_sum(ip, 20, 0) == 0xffff, "record %zu: IPv4 header checksum %04x is wrong",
                  rec, get16be(ip + 10));
}

static void assert_tcp(const uint8_t *tcp, const segment_t *s, size_t n, size_t rec)
{
    ck_assert_uint_eq(get16be(tcp), s->sport);
    ck_assert_uint_eq(get16be(tcp + 2), s->dport);
    ck_assert_uint_eq(get32be(tcp + 4), (uint32_t)s->seq);
    ck_assert_uint_eq(get32be(tcp + 8), s->ack == TRACE_NONE ? 0 : (uint32_t)s->ack);
    ck_assert_uint_eq(tcp[12], 5 << 4);
    ck_assert_msg(tcp[13] == s->want_flags, "record %zu (%s): flags %02x, want %02x", rec, s->flags,
                  tcp[13], s->want_flags);
    ck_assert_uint_eq(get16be(tcp + 14), s->window);
    ck_assert_uint_eq(get16be(tcp + 18), 0); /* urgent pointer */
    uint8_t pseudo[12];
    memcpy(pseudo, (const uint8_t *)tcp - 8, 8); /* the IPv4 source and destination */
    pseudo[8] = 0;
    pseudo[9] = 6;
    pseudo[10] = (uint8_t)((20 + n) >> 8);
    pseudo[11] = (uint8_t)(20 + n);
    uint32_t sum = ones_sum(pseudo, sizeof(pseudo), 0);
    ck_assert_msg(ones_sum(tcp, 20 + n, sum) == 0xffff, "record %zu: TCP checksum %04x is wrong",
                  rec, get16be(tcp + 16));
    ck_assert_msg(memcmp(tcp + 20, s->payload, n) == 0, "record %zu: payload differs", rec);
}

/* Parses a whole capture and checks it holds exactly the segments, in order. */
static void assert_capture(const uint8_t *p, size_t len)
{
    ck_assert_uint_ge(len, 24);
    ck_assert_uint_eq(get32le(p), 0xa1b2c3d4u);
    ck_assert_uint_eq(p[4] | p[5] << 8, 2);
    ck_assert_uint_eq(p[6] | p[7] << 8, 4);
    ck_assert_uint_eq(get32le(p + 8), 0);
    ck_assert_uint_eq(get32le(p + 12), 0);
    ck_assert_uint_ge(get32le(p + 16), 65535);
    ck_assert_uint_eq(get32le(p + 20), 1); /* Ethernet */
    size_t off = 24;
    for (size_t i = 0; i < ARRAY_LEN(segments); i++) {
        const segment_t *s = &segments[i];
        size_t n = strlen(s->payload);
        ck_assert_msg(off + 16 <= len, "record %zu missing", i);
        ck_assert_uint_eq(get32le(p + off), (uint32_t)(s->t / 1000000));
        ck_assert_uint_eq(get32le(p + off + 4), (uint32_t)(s->t % 1000000));
        ck_assert_msg(get32le(p + off + 8) == 54 + n, "record %zu: incl_len %u, want %zu", i,
                      get32le(p + off + 8), 54 + n);
        ck_assert_uint_eq(get32le(p + off + 12), 54 + n);
        off += 16;
        ck_assert_uint_le(off + 54 + n, len);
        const uint8_t *eth = p + off;
        assert_mac(eth, s->dst, "destination", i);
        assert_mac(eth + 6, s->src, "source", i);
        ck_assert_uint_eq(get16be(eth + 12), 0x0800);
        assert_ipv4(eth + 14, s, n, i);
        assert_tcp(eth + 34, s, n, i);
        off += 54 + n;
    }
    ck_assert_msg(off == len, "%zu bytes after the last record", len - off);
}

START_TEST(test_buffer_capture_parses_back)
{
    buf_t out = BUF_INIT;
    pcap_writer_t *w = pcap_writer_to_buf(&out);
    ck_assert_uint_eq(out.len, 24); /* the global header comes first */
    write_segments(w);
    ck_assert_uint_eq(pcap_writer_records(w), ARRAY_LEN(segments));
    ck_assert_int_eq(pcap_writer_close(w), 0);
    assert_capture(out.data, out.len);
    buf_free(&out);
}
END_TEST

/* A length without bytes still fills the sequence space, with zeros. */
START_TEST(test_length_without_payload_is_zero_filled)
{
    buf_t out = BUF_INIT;
    pcap_writer_t *w = pcap_writer_to_buf(&out);
    trace_event_t ev;
    segment_event(&segments[3], &ev);
    ev.payload = NULL;
    ev.payload_len = 0;
    ev.len = 5;
    pcap_writer_on_event(w, &ev);
    ck_assert_int_eq(pcap_writer_close(w), 0);
    ck_assert_uint_eq(out.len, 24 + 16 + 54 + 5);
    const uint8_t *frame = out.data + 40;
    ck_assert_uint_eq(get16be(frame + 14 + 2), 45);
    static const uint8_t zeros[5];
    ck_assert(memcmp(frame + 54, zeros, 5) == 0);
    buf_free(&out);
}
END_TEST

static char *temp_dir(void)
{
    const char *base = getenv("TMPDIR");
    char *dir = xasprintf("%s/mailsim-pcap-XXXXXX", base && *base ? base : "/tmp");
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp %s failed", dir);
    return dir;
}

static uint8_t *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    buf_t b = BUF_INIT;
    uint8_t chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    return (uint8_t *)buf_steal(&b, len);
}

static char *write_capture_file(const char *dir)
{
    char *path = xasprintf("%s/run.pcap", dir);
    char err[256] = "";
    pcap_writer_t *w = pcap_writer_open(path, err, sizeof(err));
    ck_assert_msg(w != NULL, "pcap_writer_open: %s", err);
    write_segments(w);
    ck_assert_int_eq(pcap_writer_close(w), 0);
    return path;
}

START_TEST(test_file_matches_buffer)
{
    char *dir = temp_dir();
    char *path = write_capture_file(dir);
    size_t len;
    uint8_t *bytes = read_whole(path, &len);
    assert_capture(bytes, len);
    buf_t out = BUF_INIT;
    pcap_writer_t *w = pcap_writer_to_buf(&out);
    write_segments(w);
    pcap_writer_close(w);
    ck_assert_uint_eq(len, out.len);
    ck_assert(memcmp(bytes, out.data, len) == 0);
    buf_free(&out);
    free(bytes);
    unlink(path);
    rmdir(dir);
    free(path);
    free(dir);
}
END_TEST

START_TEST(test_open_and_write_errors)
{
    char err[256] = "";
    pcap_writer_t *w = pcap_writer_open("/nonexistent-dir/run.pcap", err, sizeof(err));
    ck_assert_ptr_null(w);
    ck_assert_msg(strstr(err, "/nonexistent-dir/run.pcap") != NULL, "message: %s", err);
    ck_assert_msg(strstr(err, "No such file") != NULL, "message: %s", err);

    /* /dev/full accepts the open and fails every write: close must say so. */
    w = pcap_writer_open("/dev/full", err, sizeof(err));
    ck_assert_msg(w != NULL, "open /dev/full: %s", err);
    write_segments(w);
    ck_assert_int_eq(pcap_writer_close(w), -1);
    ck_assert_int_eq(pcap_writer_close(NULL), 0);
}
END_TEST

/* --- tshark reads it ------------------------------------------------------------- */

static void hex(const char *s, char *out)
{
    for (; *s; s++, out += 2)
        sprintf(out, "%02x", (unsigned char)*s);
    *out = '\0';
}

START_TEST(test_tshark_reads_capture)
{
    ck_assert_msg(access(TSHARK, X_OK) == 0,
                  TSHARK " is not installed: run `make deps` (it installs tshark) to run this "
                         "check");
    char *dir = temp_dir();
    char *path = write_capture_file(dir);
    char *cmd = xasprintf(TSHARK " -r '%s' -T fields -e tcp.flags.str -e tcp.payload -e ip.src "
                                 "-e tcp.srcport -e tcp.len 2>/dev/null",
                          path);
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "cannot run %s", cmd);
    char line[512];
    size_t i = 0;
    while (fgets(line, sizeof(line), p)) {
        line[strcspn(line, "\r\n")] = '\0';
        ck_assert_msg(i < ARRAY_LEN(segments), "tshark printed an extra line: %s", line);
        const segment_t *s = &segments[i];
        char payload[64];
        hex(s->payload, payload);
        char *want = xasprintf("%s\t%s\t%u.%u.%u.%u\t%u\t%zu", s->want_tshark_flags, payload,
                               s->src >> 24, (s->src >> 16) & 255, (s->src >> 8) & 255,
                               s->src & 255, s->sport, strlen(s->payload));
        ck_assert_msg(strcmp(line, want) == 0, "tshark line %zu:\n got  %s\n want %s", i, line,
                      want);
        free(want);
        i++;
    }
    int status = pclose(p);
    ck_assert_msg(status == 0, "tshark exited with status %d", status);
    ck_assert_msg(i == ARRAY_LEN(segments), "tshark read %zu frames, want %zu", i,
                  ARRAY_LEN(segments));
    unlink(path);
    rmdir(dir);
    free(cmd);
    free(path);
    free(dir);
}
END_TEST

Suite *pcap_suite(void)
{
    Suite *s = suite_create("pcap");
    TCase *tc = tcase_create("bytes");
    tcase_add_test(tc, test_buffer_capture_parses_back);
    tcase_add_test(tc, test_length_without_payload_is_zero_filled);
    tcase_add_test(tc, test_file_matches_buffer);
    tcase_add_test(tc, test_open_and_write_errors);
    suite_add_tcase(s, tc);
    TCase *ts = tcase_create("tshark");
    /* tshark takes a second or two to start, more on a loaded machine. */
    tcase_set_timeout(ts, 60);
    tcase_add_test(ts, test_tshark_reads_capture);
    suite_add_tcase(s, ts);
    return s;
}
