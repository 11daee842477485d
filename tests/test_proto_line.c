/* The shared line layer: framing, limits, exact-count reads, dot-terminated blocks. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/line.h"

/*
 * Feeds chunks to a reader and logs each unit: T[text] for a CRLF line,
 * t[text] for a bare-LF line, L[start](full) for an over-long one,
 * B[bytes] (B![bytes] for the last piece) for raw bytes, all pieces in one
 * with merge. A line ending "{N}" asks for N raw bytes next, as an IMAP
 * literal does.
 */
static void collect_pieces(line_reader_t *lr, const char *const *chunks, buf_t *log, bool merge)
{
    buf_t bytes = BUF_INIT;
    for (size_t i = 0; chunks[i]; i++) {
        const uint8_t *p = (const uint8_t *)chunks[i];
        size_t len = strlen(chunks[i]);
        while (len > 0) {
            line_t ln;
            size_t used = line_reader_take(lr, p, len, &ln);
            ck_assert_uint_gt(used, 0);
            p += used;
            len -= used;
            switch (ln.kind) {
            case LINE_NONE:
                break;
            case LINE_TEXT:
                buf_printf(log, "%c[%.*s]", ln.bare_lf ? 't' : 'T', (int)ln.len, ln.text);
                if (ln.len > 2 && ln.text[ln.len - 1] == '}' && strchr(ln.text, '{'))
                    line_reader_expect_bytes(lr, (uint64_t)atoi(strchr(ln.text, '{') + 1));
                break;
            case LINE_TOO_LONG:
                buf_printf(log, "L[%.*s](%zu)", (int)ln.len, ln.text, ln.full_len);
                break;
            case LINE_BYTES:
                buf_append(&bytes, ln.text, ln.len);
                if (merge && !ln.last)
                    break;
                buf_printf(log, "B%s[%s]", ln.last ? "!" : "", buf_cstr(&bytes));
                buf_reset(&bytes);
                break;
            }
        }
    }
    buf_free(&bytes);
}

static void collect(line_reader_t *lr, const char *const *chunks, buf_t *log)
{
    collect_pieces(lr, chunks, log, false);
}

typedef struct framing_case {
    const char *name;
    size_t max_len;
    const char *chunks[6];
    const char *want;
} framing_case_t;

static const framing_case_t framing[] = {
    {"one line", 512, {"HELO a\r\n"}, "T[HELO a]"},
    {"two lines in one chunk", 512, {"a\r\nb\r\n"}, "T[a]T[b]"},
    {"a line split in three", 512, {"HE", "LO", " a\r\n"}, "T[HELO a]"},
    {"CR and LF in different chunks", 512, {"abc\r", "\ndef\r\n"}, "T[abc]T[def]"},
    {"bare LF", 512, {"abc\ndef\r\n"}, "t[abc]T[def]"},
    {"empty lines", 512, {"\r\n\n"}, "T[]t[]"},
    {"a CR inside a line stays", 512, {"a\rb\r\n"}, "T[a\rb]"},
    {"no line end yet", 512, {"abc"}, ""},
    /* max 8: at most 6 octets of text */
    {"at the limit", 8, {"123456\r\n"}, "T[123456]"},
    {"one past the limit", 8, {"1234567\r\n"}, "L[123456](7)"},
    {"the CR is what overflows", 8, {"1234567", "\r", "\n"}, "L[123456](7)"},
    {"at the limit, bare LF", 8, {"123456\n"}, "t[123456]"},
    {"far past the limit, then a line",
     8,
     {"abcdefghijklmnop", "qrstuvwxyz\r\nok\r\n"},
     "L[abcdef](26)T[ok]"},
    {"exact bytes", 512, {"A1 {5}\r\nhello A2\r\n"}, "T[A1 {5}]B![hello]T[ A2]"},
    {"exact bytes in pieces",
     512,
     {"{10}\r\nab", "cdefg", "hij\r\n"},
     "T[{10}]B[ab]B[cdefg]B![hij]T[]"},
    {"exact bytes hold line ends", 512, {"{4}\r\n\r\n\r\nx\r\n"}, "T[{4}]B![\r\n\r\n]T[x]"},
};

START_TEST(test_framing)
{
    const framing_case_t *c = &framing[_i];
    line_reader_t lr;
    line_reader_init(&lr, c->max_len);
    buf_t log = BUF_INIT;
    collect(&lr, c->chunks, &log);
    ck_assert_msg(strcmp(buf_cstr(&log), c->want) == 0, "%s:\n got: %s\nwant: %s", c->name,
                  buf_cstr(&log), c->want);
    line_reader_free(&lr);
    buf_free(&log);
}
END_TEST

START_TEST(test_every_split)
{
    static const char in[] = "EHLO x\r\nA {3}\r\nabcline two\nthree\r\n1234567890\r\nend\r\n";
    line_reader_t lr;
    buf_t want = BUF_INIT;
    line_reader_init(&lr, 10);
    const char *whole[] = {in, NULL};
    collect(&lr, whole, &want);
    line_reader_free(&lr);
    ck_assert_str_eq(buf_cstr(&want),
                     "T[EHLO x]T[A {3}]B![abc]t[line two]T[three]L[12345678](10)T[end]");
    for (size_t k = 1; k < sizeof in - 1; k++) {
        char a[sizeof in], b[sizeof in];
        snprintf(a, sizeof a, "%.*s", (int)k, in);
        snprintf(b, sizeof b, "%s", in + k);
        const char *parts[] = {a, b, NULL};
        buf_t got = BUF_INIT;
        line_reader_init(&lr, 10);
        collect_pieces(&lr, parts, &got, true);
        ck_assert_msg(strcmp(buf_cstr(&got), buf_cstr(&want)) == 0, "split at %zu: %s", k,
                      buf_cstr(&got));
        line_reader_free(&lr);
        buf_free(&got);
    }
    buf_free(&want);
}
END_TEST

/* Garbage in: whole lines (the one-copy path) and lines fed an octet at a time read the same. */
START_TEST(test_reader_garbage)
{
    static const char alphabet[] = "\r\n\nab.";
    uint32_t seed = 99;
    for (int round = 0; round < 300; round++) {
        char text[48];
        size_t len = 1 + (size_t)round % (sizeof text - 1);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            text[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        text[len] = '\0';
        size_t max_len = 3 + (size_t)round % 9;
        line_reader_t lr;
        buf_t want = BUF_INIT, got = BUF_INIT;
        const char *whole[] = {text, NULL};
        line_reader_init(&lr, max_len);
        collect(&lr, whole, &want);
        line_reader_free(&lr);
        char bytes[sizeof text][2];
        const char *single[sizeof text + 1];
        for (size_t i = 0; i < len; i++) {
            bytes[i][0] = text[i];
            bytes[i][1] = '\0';
            single[i] = bytes[i];
        }
        single[len] = NULL;
        line_reader_init(&lr, max_len);
        collect(&lr, single, &got);
        line_reader_free(&lr);
        ck_assert_msg(strcmp(buf_cstr(&got), buf_cstr(&want)) == 0, "round %d:\n got %s\nwant %s",
                      round, buf_cstr(&got), buf_cstr(&want));
        buf_free(&want);
        buf_free(&got);
    }
}
END_TEST

START_TEST(test_long_line_memory_is_bounded)
{
    line_reader_t lr;
    line_reader_init(&lr, 512);
    uint8_t chunk[4096];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 256; i++) { /* 1 MiB without a line end */
        line_t ln;
        ck_assert_uint_eq(line_reader_take(&lr, chunk, sizeof chunk, &ln), sizeof chunk);
        ck_assert_int_eq(ln.kind, LINE_NONE);
    }
    ck_assert_msg(lr.partial.cap <= 1024, "the reader kept %zu octets", lr.partial.cap);
    ck_assert(line_reader_pending(&lr));
    line_t ln;
    line_reader_take(&lr, (const uint8_t *)"\r\n", 2, &ln);
    ck_assert_int_eq(ln.kind, LINE_TOO_LONG);
    ck_assert_uint_eq(ln.full_len, 256 * sizeof chunk);
    ck_assert_uint_eq(ln.len, 510);
    ck_assert(!line_reader_pending(&lr));
    line_reader_free(&lr);
}
END_TEST

START_TEST(test_nul_and_limits_change)
{
    line_reader_t lr;
    line_reader_init(&lr, 512);
    line_t ln;
    static const uint8_t with_nul[] = {'a', 0, 'b', '\r', '\n'};
    line_reader_take(&lr, with_nul, sizeof with_nul, &ln);
    ck_assert_int_eq(ln.kind, LINE_TEXT);
    ck_assert_uint_eq(ln.len, 3);
    ck_assert_uint_eq(strlen(ln.text), 1);
    line_reader_set_max(&lr, 5);
    line_reader_take(&lr, (const uint8_t *)"abcd\r\n", 6, &ln);
    ck_assert_int_eq(ln.kind, LINE_TOO_LONG);
    line_reader_take(&lr, (const uint8_t *)"abc\r\n", 5, &ln);
    ck_assert_int_eq(ln.kind, LINE_TEXT);
    /* The limit grows in the middle of an over-long line: only what was kept is shown. */
    line_reader_take(&lr, (const uint8_t *)"123456789", 9, &ln);
    line_reader_set_max(&lr, 100);
    line_reader_take(&lr, (const uint8_t *)"\r\n", 2, &ln);
    ck_assert_int_eq(ln.kind, LINE_TOO_LONG);
    ck_assert_uint_eq(ln.len, 4);
    ck_assert_uint_eq(ln.full_len, 9);
    line_reader_take(&lr, (const uint8_t *)"par", 3, &ln);
    ck_assert(line_reader_pending(&lr));
    line_reader_reset(&lr);
    ck_assert(!line_reader_pending(&lr));
    line_reader_free(&lr);
}
END_TEST

/* --- dot-terminated blocks -------------------------------------------------- */

/* Feeds text through a reader into a block; returns whether the end was seen. */
static bool feed_block(line_dotblock_t *b, size_t max_line, const char *text)
{
    line_reader_t lr;
    line_reader_init(&lr, max_line);
    const uint8_t *p = (const uint8_t *)text;
    size_t len = strlen(text);
    bool done = false;
    while (len > 0 && !done) {
        line_t ln;
        size_t used = line_reader_take(&lr, p, len, &ln);
        p += used;
        len -= used;
        if (ln.kind == LINE_TEXT || ln.kind == LINE_TOO_LONG)
            done = line_dotblock_add(b, &ln);
    }
    line_reader_free(&lr);
    return done;
}

START_TEST(test_dotblock)
{
    line_dotblock_t b;
    line_dotblock_init(&b, 0);
    ck_assert(feed_block(&b, 1000, "a\r\n..b\r\n...\r\n.\r\nafter\r\n"));
    ck_assert_str_eq(buf_cstr(&b.data), "a\r\n.b\r\n..\r\n");
    ck_assert_uint_eq(b.size, 11);
    ck_assert(!b.too_big && !b.long_line);
    line_dotblock_free(&b);

    line_dotblock_init(&b, 0);
    ck_assert(!feed_block(&b, 1000, "no end\r\n. \r\n"));
    ck_assert_str_eq(buf_cstr(&b.data), "no end\r\n \r\n");
    line_dotblock_free(&b);

    line_dotblock_init(&b, 10);
    ck_assert(feed_block(&b, 1000, "12345678\r\nmore\r\ncaf\xc3\xa9\r\n.\r\n"));
    ck_assert(b.too_big);
    ck_assert_uint_eq(b.size, 10 + 6 + 7);
    ck_assert_uint_le(b.data.len, 10);
    line_dotblock_free(&b);

    line_dotblock_init(&b, 0);
    ck_assert(feed_block(&b, 8, "1234567\r\nok\r\n.\r\n"));
    ck_assert(b.long_line);
    ck_assert_uint_eq(b.size, 9 + 4);
    line_dotblock_free(&b);
}
END_TEST

/* What a block ends up as, to compare two ways of filling one. */
static void block_describe(const line_dotblock_t *b, size_t used, buf_t *out)
{
    buf_printf(out, "used=%zu size=%llu big=%d long=%d data=[", used, (unsigned long long)b->size,
               b->too_big, b->long_line);
    size_t len;
    const uint8_t *text = line_dotblock_text(b, &len);
    buf_append(out, text, len);
    buf_puts(out, "]");
}

/* One line at a time through the reader; returns the bytes used through the end line. */
static size_t feed_lines(line_dotblock_t *b, size_t max_line, const uint8_t *p, size_t len)
{
    line_reader_t lr;
    line_reader_init(&lr, max_line);
    size_t pos = 0;
    bool done = false;
    while (pos < len && !done) {
        line_t ln;
        pos += line_reader_take(&lr, p + pos, len - pos, &ln);
        if (ln.kind == LINE_TEXT || ln.kind == LINE_TOO_LONG)
            done = line_dotblock_add(b, &ln);
    }
    line_reader_free(&lr);
    return pos;
}

/*
 * As the SMTP server reads a body: in bulk, and through the reader what the
 * bulk path leaves, the input arriving in pieces of at most step bytes, the
 * first one cut at first.
 */
static size_t feed_bulk(line_dotblock_t *b, size_t max_line, const uint8_t *p, size_t len,
                        size_t first, size_t step)
{
    line_reader_t lr;
    line_reader_init(&lr, max_line);
    size_t pos = 0;
    bool done = false;
    while (pos < len && !done) {
        size_t piece_end = pos < first ? first : pos + step;
        if (piece_end > len)
            piece_end = len;
        while (pos < piece_end && !done) {
            pos += line_dotblock_take(b, &lr, p + pos, piece_end - pos, &done);
            if (done || pos == piece_end)
                break;
            line_t ln;
            pos += line_reader_take(&lr, p + pos, piece_end - pos, &ln);
            if (ln.kind == LINE_TEXT || ln.kind == LINE_TOO_LONG)
                done = line_dotblock_add(b, &ln);
        }
    }
    line_reader_free(&lr);
    return pos;
}

typedef struct bulk_case {
    size_t max_line;
    const char *text;
} bulk_case_t;

static const bulk_case_t bulk_cases[] = {
    {1000, "a\r\n..b\r\n...\r\n.\r\nafter\r\n"},
    {1000, "a\nb\r\n.b\n..\n\n.\nQUIT\r\n"},
    {1000, "a\rb\r\n\r\r\n.\r\r\n..\r\r\n\r\n.\r\n"},
    {1000, "caf\xc3\xa9\r\nx\r\n.\r\n"},
    {1000, "plain\r\nthen 8bit \xff\n.\n"},
    {1000, "no end\r\n. \r\n.."},
    {1000, "\r\n\n\r\n\n.\r\n"},
    {1000, ".\r\n"},
    {8, "1234567\r\nok\r\n..234567\r\n.1234567\n123456\r\n.\r\n"},
    {8, "123456\r\n123456\n1234567\n.12345678901234\r\n.\n"},
    {8, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\r\n.\r\n"},
    {5, "...\r\n..\r\n.\r\r\n.\r\n"},
};

/* The bulk path gives the same block as one line at a time, however the input is cut. */
START_TEST(test_dotblock_take)
{
    const bulk_case_t *c = &bulk_cases[_i];
    const uint8_t *p = (const uint8_t *)c->text;
    size_t len = strlen(c->text);
    for (uint64_t max_size = 0; max_size <= len + 2; max_size++) {
        line_dotblock_t b;
        line_dotblock_init(&b, max_size);
        buf_t want = BUF_INIT;
        block_describe(&b, feed_lines(&b, c->max_line, p, len), &want);
        for (size_t first = 0; first <= len; first++) {
            for (size_t step = 1; step <= len; step += step < 3 ? 1 : len) {
                line_dotblock_reset(&b, max_size);
                buf_t got = BUF_INIT;
                block_describe(&b, feed_bulk(&b, c->max_line, p, len, first, step), &got);
                ck_assert_msg(strcmp(buf_cstr(&got), buf_cstr(&want)) == 0,
                              "case %d, max size %llu, cut at %zu then every %zu:\n got %s\nwant %s",
                              _i, (unsigned long long)max_size, first, step, buf_cstr(&got),
                              buf_cstr(&want));
                buf_free(&got);
            }
        }
        buf_free(&want);
        line_dotblock_free(&b);
    }
}
END_TEST

/*
 * With a room lent, the block is what it is without, whatever the room's
 * size and however the input is cut; the text stays in the room exactly
 * when it fits.
 */
START_TEST(test_dotblock_lend)
{
    const bulk_case_t *c = &bulk_cases[_i];
    const uint8_t *p = (const uint8_t *)c->text;
    size_t len = strlen(c->text);
    for (uint64_t max_size = 0; max_size <= len; max_size += len / 2 + 1) {
        line_dotblock_t b;
        line_dotblock_init(&b, max_size);
        buf_t want = BUF_INIT;
        block_describe(&b, feed_lines(&b, c->max_line, p, len), &want);
        size_t kept;
        line_dotblock_text(&b, &kept);
        for (size_t cap = 0; cap <= len + 1; cap++) {
            for (size_t first = 0; first <= len; first++) {
                /* Exactly cap octets, so that the sanitizer sees a write past them. */
                uint8_t *room = malloc(cap ? cap : 1);
                line_dotblock_reset(&b, max_size);
                line_dotblock_lend(&b, room, cap);
                buf_t got = BUF_INIT;
                block_describe(&b, feed_bulk(&b, c->max_line, p, len, first, len), &got);
                ck_assert_msg(strcmp(buf_cstr(&got), buf_cstr(&want)) == 0,
                              "case %d, room %zu, cut at %zu:\n got %s\nwant %s", _i, cap, first,
                              buf_cstr(&got), buf_cstr(&want));
                size_t n;
                const uint8_t *text = line_dotblock_text(&b, &n);
                ck_assert_uint_eq(n, kept);
                ck_assert_int_eq(text == room, kept <= cap);
                buf_free(&got);
                line_dotblock_reset(&b, max_size);
                free(room);
            }
        }
        buf_free(&want);
        line_dotblock_free(&b);
    }
}
END_TEST

/*
 * The bulk path gives the block one line at a time gives, the input cut
 * once at every byte boundary (what is before and after each cut arriving
 * whole); what says which input failed.
 */
static void bulk_agrees(const uint8_t *text, size_t len, size_t max_line, uint64_t max_size,
                        const char *what, int n)
{
    line_dotblock_t b;
    line_dotblock_init(&b, max_size);
    buf_t want = BUF_INIT;
    block_describe(&b, feed_lines(&b, max_line, text, len), &want);
    /*
     * Both scans for line ends: the widest the CPU has at every cut, then the
     * 16-octet one, at every cut of a short text and every seventh of a long
     * one (the long texts are cut thousands of times).
     */
    for (int scan = 0; scan < 2; scan++) {
        bool wide = line_wide_scan(scan ? 0 : -1);
        size_t step = scan && len > 400 ? 7 : 1;
        for (size_t first = 0; first <= len; first += step) {
            line_dotblock_reset(&b, max_size);
            buf_t got = BUF_INIT;
            block_describe(&b, feed_bulk(&b, max_line, text, len, first, len), &got);
            ck_assert_msg(strcmp(buf_cstr(&got), buf_cstr(&want)) == 0,
                          "%s %d, max size %llu, cut at %zu, wide scan %d:\n got %s\nwant %s",
                          what, n, (unsigned long long)max_size, first, wide, buf_cstr(&got),
                          buf_cstr(&want));
            buf_free(&got);
        }
    }
    line_wide_scan(-1);
    buf_free(&want);
    line_dotblock_free(&b);
}

/* Random bytes of the alphabet, len of them, into text. */
static void garbage(uint8_t *text, size_t len, const uint8_t *alphabet, size_t n, uint32_t *seed)
{
    for (size_t i = 0; i < len; i++) {
        *seed = *seed * 1103515245u + 12345u;
        text[i] = alphabet[(*seed >> 16) % n];
    }
}

/* Garbage in: the bulk path agrees with the line path on random bytes rich in line ends and dots. */
START_TEST(test_dotblock_take_garbage)
{
    static const uint8_t alphabet[] = {'.', '.', '\r', '\n', '\n', 'a', 0x80, ' '};
    uint32_t seed = 12345;
    for (int round = 0; round < 400; round++) {
        uint8_t text[64];
        size_t len = 1 + (size_t)round % sizeof text;
        garbage(text, len, alphabet, sizeof alphabet, &seed);
        uint64_t max_size = (uint64_t)round % 5 == 0 ? 0 : (uint64_t)round % 40;
        bulk_agrees(text, len, 3 + (size_t)round % 7, max_size, "round", round);
    }
}
END_TEST

/* Appends a line of n octets before its end (CRLF, or LF alone when bare), starting with first. */
static void long_line(buf_t *b, size_t n, char first, bool bare)
{
    for (size_t i = 0; i < n; i++)
        buf_putc(b, i == 0 ? first : (char)('a' + i % 26));
    buf_puts(b, bare ? "\n" : "\r\n");
}

/*
 * Texts longer than the 64 octets the bulk path looks at in one step, at
 * the 1000-octet limit of RFC 5321 4.5.3.1.6: lines of 998 octets (1000 with
 * CRLF, fine), 999 (1001, too long), dot-stuffed ones, bare LFs, all cut at
 * every byte boundary, the end marker included.
 */
START_TEST(test_dotblock_take_long)
{
    buf_t text = BUF_INIT;
    for (int variant = 0; variant < 6; variant++) {
        buf_reset(&text);
        /* a line end at every offset of the 64-octet blocks, give or take */
        for (size_t n = 0; n < 70; n += 1 + (size_t)variant)
            long_line(&text, n, 'x', false);
        long_line(&text, 998, variant & 1 ? '.' : 'y', false);
        long_line(&text, 998 + (size_t)(variant & 1), 'z', false);
        long_line(&text, 999, variant & 2 ? '.' : 'w', variant & 4);
        long_line(&text, 63, '.', false);
        long_line(&text, 1, '.', false); /* ".." unstuffed to "." */
        long_line(&text, 130, 'v', variant == 3);
        buf_puts(&text, ".\r\nQUIT\r\n");
        for (uint64_t max_size = 0; max_size < 4000; max_size += 700 + 300 * (max_size > 0))
            bulk_agrees(text.data, text.len, 1000, max_size, "variant", variant);
    }
    buf_free(&text);
}
END_TEST

/* The same on longer garbage, with lines both side of a small limit. */
START_TEST(test_dotblock_take_long_garbage)
{
    static const uint8_t alphabet[] = {'.', '\r', '\n', 'a', 'b', 'c', 'd', 'e', 0x80, ' '};
    uint32_t seed = 777;
    for (int round = 0; round < 200; round++) {
        uint8_t text[400];
        size_t len = 64 + (size_t)round * 7 % (sizeof text - 63);
        garbage(text, len, alphabet, sizeof alphabet, &seed);
        uint64_t max_size = (uint64_t)round % 3 == 0 ? 0 : (uint64_t)round * 3 % 300;
        bulk_agrees(text, len, 3 + (size_t)round % 40, max_size, "round", round);
    }
}
END_TEST

/*
 * Mostly usual lines (CRLF, no leading dot) of every length around the
 * 64-octet blocks, with now and then a dot, a bare LF or an empty line:
 * what a server takes, where both scans walk whole blocks.
 */
START_TEST(test_dotblock_take_usual)
{
    buf_t text = BUF_INIT;
    uint32_t seed = 4242;
    for (int round = 0; round < 40; round++) {
        buf_reset(&text);
        for (int l = 0; l < 12; l++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = seed >> 16;
            char first = r % 11 == 0 ? '.' : 'm';
            long_line(&text, r % 9 == 0 ? 0 : 30 + r % 100, first, r % 13 == 0);
        }
        buf_puts(&text, ".\r\n");
        ck_assert(!line_wide_scan(0));
        bulk_agrees(text.data, text.len, 1000, (uint64_t)round % 4 == 0 ? 700 : 0, "round",
                    round);
        bulk_agrees(text.data, text.len, 40 + (size_t)round, 0, "short-limit round", round);
    }
    buf_free(&text);
}
END_TEST

/*
 * A body of usual 64-octet lines (as the bench sends) with one odd piece put
 * in at every offset: a bare LF, a bare CR, a dot-stuffed line, an empty
 * line, the end line, a CR doubled before the LF. Past the first 64 octets
 * the bulk path judges whole blocks by the octets around each LF; it must
 * stop exactly where one line at a time does, on both scans, at limits both
 * sides of the one where it checks only a block's first line, uncut and cut
 * around the odd piece.
 */
START_TEST(test_dotblock_take_odd_piece)
{
    static const char *const odd[] = {"\n", "\r", "\r\n.x", "\r\n\r\n", "\r\n.\r\n", "\r\r\n"};
    static const size_t limits[] = {1000, 62, 63, 64, 65, 66};
    buf_t usual = BUF_INIT, text = BUF_INIT;
    for (int l = 0; l < 12; l++)
        long_line(&usual, 62, 'u', false);
    for (size_t at = 0; at <= usual.len; at++) {
        buf_reset(&text);
        buf_append(&text, usual.data, at);
        buf_puts(&text, odd[_i]);
        buf_append(&text, usual.data + at, usual.len - at);
        buf_puts(&text, ".\r\n");
        for (size_t k = 0; k < ARRAY_LEN(limits); k++) {
            line_dotblock_t b;
            line_dotblock_init(&b, 0);
            buf_t want = BUF_INIT;
            block_describe(&b, feed_lines(&b, limits[k], text.data, text.len), &want);
            size_t cuts[] = {text.len, at, at + 1, at + 2, at + 65};
            for (int scan = 0; scan < 2; scan++) {
                line_wide_scan(scan ? 0 : -1);
                for (size_t c = 0; c < ARRAY_LEN(cuts); c++) {
                    size_t first = cuts[c] < text.len ? cuts[c] : text.len;
                    line_dotblock_reset(&b, 0);
                    buf_t got = BUF_INIT;
                    block_describe(&b, feed_bulk(&b, limits[k], text.data, text.len, first,
                                                 text.len),
                                   &got);
                    ck_assert_msg(strcmp(buf_cstr(&got), buf_cstr(&want)) == 0,
                                  "odd piece %d at %zu, limit %zu, cut at %zu, scan %d", _i, at,
                                  limits[k], first, scan);
                    buf_free(&got);
                }
            }
            line_wide_scan(-1);
            buf_free(&want);
            line_dotblock_free(&b);
        }
    }
    buf_free(&usual);
    buf_free(&text);
}
END_TEST

/* A block reset for the next message keeps ordinary memory, not a huge one. */
START_TEST(test_dotblock_reset_keeps_memory)
{
    line_dotblock_t b;
    line_dotblock_init(&b, 0);
    ck_assert(feed_block(&b, 1000, "hello\r\n.\r\n"));
    uint8_t *mem = b.data.data;
    line_dotblock_reset(&b, 100);
    ck_assert_ptr_eq(b.data.data, mem);
    ck_assert_uint_eq(b.data.len, 0);
    ck_assert_uint_eq(b.size, 0);
    ck_assert_uint_eq(b.max_size, 100);
    ck_assert(!b.too_big && !b.long_line);
    buf_reserve(&b.data, 2 * LINE_DOTBLOCK_KEEP);
    line_dotblock_reset(&b, 0);
    ck_assert_uint_le(b.data.cap, LINE_DOTBLOCK_KEEP);
    line_dotblock_free(&b);
}
END_TEST

typedef struct encode_case {
    const char *in;
    const char *want;
    uint64_t size;
} encode_case_t;

static const encode_case_t encodes[] = {
    {"", ".\r\n", 0},
    {"a", "a\r\n.\r\n", 3},
    {"a\r\n", "a\r\n.\r\n", 3},
    {"a\nb\n", "a\r\nb\r\n.\r\n", 6},
    {"a\rb", "a\r\nb\r\n.\r\n", 6},
    {".x\r\n", "..x\r\n.\r\n", 4},
    {"\n.\n", "\r\n..\r\n.\r\n", 5},
    {"..\r\n", "...\r\n.\r\n", 4},
    {"a.b\r\n.\r\n", "a.b\r\n..\r\n.\r\n", 8},
};

START_TEST(test_dot_encode)
{
    const encode_case_t *c = &encodes[_i];
    buf_t out = BUF_INIT;
    uint64_t size = line_dot_encode((const uint8_t *)c->in, strlen(c->in), &out);
    ck_assert_msg(strcmp(buf_cstr(&out), c->want) == 0, "encode \"%s\": got \"%s\"", c->in,
                  buf_cstr(&out));
    ck_assert_uint_eq(size, c->size);
    /* And back: the block read from the wire is the text with CRLF line ends. */
    line_dotblock_t b;
    line_dotblock_init(&b, 0);
    ck_assert(feed_block(&b, 1000, buf_cstr(&out)));
    ck_assert_uint_eq(b.size, size);
    ck_assert_uint_eq(b.data.len, size);
    line_dotblock_free(&b);
    buf_free(&out);
}
END_TEST

Suite *proto_line_suite(void)
{
    Suite *s = suite_create("proto_line");
    TCase *tc = tcase_create("reader");
    tcase_add_loop_test(tc, test_framing, 0, (int)ARRAY_LEN(framing));
    tcase_add_test(tc, test_every_split);
    tcase_add_test(tc, test_reader_garbage);
    tcase_add_test(tc, test_long_line_memory_is_bounded);
    tcase_add_test(tc, test_nul_and_limits_change);
    suite_add_tcase(s, tc);
    TCase *blocks = tcase_create("dotblock");
    /* Several texts of 4 KB, each cut at every byte: seconds under ASan. */
    tcase_set_timeout(blocks, 60);
    tcase_add_test(blocks, test_dotblock);
    tcase_add_loop_test(blocks, test_dot_encode, 0, (int)ARRAY_LEN(encodes));
    tcase_add_loop_test(blocks, test_dotblock_take, 0, (int)ARRAY_LEN(bulk_cases));
    tcase_add_loop_test(blocks, test_dotblock_lend, 0, (int)ARRAY_LEN(bulk_cases));
    tcase_add_test(blocks, test_dotblock_take_garbage);
    tcase_add_test(blocks, test_dotblock_take_long);
    tcase_add_test(blocks, test_dotblock_take_long_garbage);
    tcase_add_test(blocks, test_dotblock_take_usual);
    tcase_add_loop_test(blocks, test_dotblock_take_odd_piece, 0, 6);
    tcase_add_test(blocks, test_dotblock_reset_keeps_memory);
    suite_add_tcase(s, blocks);
    return s;
}
