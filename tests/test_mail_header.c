/* Header fields: parse, unfold, look up, fold at 78, and the defects of bad headers. */
#include <check.h>
#include <string.h>

#include "mail/header.h"

static size_t parse(const char *text, header_t *h)
{
    header_init(h);
    return header_parse((const uint8_t *)text, strlen(text), h);
}

START_TEST(test_parse_fields)
{
    const char *msg = "From: Alice <alice@alice.example>\r\n"
                      "To: roberto@roberto.example\r\n"
                      "Subject: a subject that\r\n"
                      " goes on\r\n"
                      "\tand on  \r\n"
                      "X-Empty:\r\n"
                      "Received: one\r\n"
                      "received: two\r\n"
                      "\r\n"
                      "Body line\r\n";
    header_t h;
    size_t body = parse(msg, &h);
    ck_assert_str_eq(msg + body, "Body line\r\n");
    ck_assert_uint_eq(h.count, 6);
    ck_assert_uint_eq(h.defects, 0);
    ck_assert_str_eq(header_get(&h, "SUBJECT"), "a subject that goes on\tand on");
    ck_assert_str_eq(header_get(&h, "from"), "Alice <alice@alice.example>");
    ck_assert_str_eq(header_get(&h, "X-Empty"), "");
    ck_assert_ptr_null(header_get(&h, "Cc"));
    size_t first = header_index(&h, "Received", 0);
    size_t second = header_index(&h, "Received", first + 1);
    ck_assert_str_eq(h.fields[first].value, "one");
    ck_assert_str_eq(h.fields[second].value, "two");
    ck_assert_uint_eq(header_index(&h, "Received", second + 1), HEADER_NONE);
    /* offsets point at the field's own bytes, line ends included */
    const header_field_t *s = header_find(&h, "Subject");
    ck_assert_uint_eq(s->length, strlen("Subject: a subject that\r\n goes on\r\n\tand on  \r\n"));
    ck_assert(strncmp(msg + s->offset, "Subject:", 8) == 0);
    header_free(&h);
}
END_TEST

START_TEST(test_build_remove_write)
{
    header_t h;
    header_init(&h);
    header_add(&h, "From", "alice@alice.example");
    header_add(&h, "X-Tag", "1");
    header_add(&h, "x-tag", "2");
    header_add_text(&h, "Subject", "Γεια σου");
    ck_assert_uint_eq(header_remove(&h, "X-TAG"), 2);
    buf_t out = BUF_INIT;
    header_write(&h, &out);
    ck_assert_str_eq(buf_cstr(&out), "From: alice@alice.example\r\n"
                                     "Subject: =?UTF-8?B?zpPOtc65zrEgz4POv8+F?=\r\n");
    buf_reset(&out);
    ck_assert(header_get_decoded(&h, "subject", &out));
    ck_assert_str_eq(buf_cstr(&out), "Γεια σου");
    buf_free(&out);
    header_free(&h);
}
END_TEST

/* Folding keeps lines within 78 where it can, and unfolding gives the value back. */
START_TEST(test_fold_unfold_round_trip)
{
    const char *value = "this is a long value with many words that will certainly need to be "
                        "folded more than once because it goes well past seventy-eight "
                        "characters and then some more words";
    buf_t out = BUF_INIT;
    header_fold("Subject", value, strlen(value), &out);
    const char *s = buf_cstr(&out);
    size_t lines = 0;
    for (const char *p = s; *p;) {
        const char *crlf = strstr(p, "\r\n");
        ck_assert_ptr_nonnull(crlf);
        ck_assert_msg(crlf - p <= HEADER_FOLD_AT, "line %zu is %zu long", lines,
                      (size_t)(crlf - p));
        if (lines > 0)
            ck_assert_msg(*p == ' ', "continuation line without leading space");
        p = crlf + 2;
        lines++;
    }
    ck_assert_uint_ge(lines, 3);
    header_t h;
    parse(s, &h);
    ck_assert_str_eq(header_get(&h, "Subject"), value);
    buf_t unfolded = BUF_INIT;
    header_unfold(s + 8, out.len - 8, &unfolded);
    ck_assert_str_eq(buf_cstr(&unfolded), value);
    buf_free(&unfolded);
    header_free(&h);
    buf_free(&out);
}
END_TEST

START_TEST(test_fold_long_word_and_injection)
{
    char word[120];
    memset(word, 'w', sizeof word - 1);
    word[sizeof word - 1] = '\0';
    buf_t out = BUF_INIT;
    header_fold("X-Long", word, strlen(word), &out);
    /* a word longer than a line cannot be folded: it stays whole on the first line */
    ck_assert_uint_eq(out.len, strlen("X-Long: ") + strlen(word) + 2);
    buf_reset(&out);
    const char *evil = "hi\r\nBcc: victim@example";
    header_fold("Subject", evil, strlen(evil), &out);
    ck_assert_str_eq(buf_cstr(&out), "Subject: hi  Bcc: victim@example\r\n");
    buf_free(&out);
}
END_TEST

static const struct {
    const char *text;
    unsigned defects;
    size_t fields;
    const char *body;
} bad_headers[] = {
    /* a line with no colon: the header ends, and that line starts the body */
    {"Subject: hi\r\nHello Roberto\r\n", HEADER_DEFECT_NO_COLON, 1, "Hello Roberto\r\n"},
    {"Subject: hi\r\nNot a field: really\r\n\r\nx", HEADER_DEFECT_NO_COLON, 1,
     "Not a field: really\r\n\r\nx"},
    {"Subject: caf\xc3\xa9\r\n\r\nbody", HEADER_DEFECT_8BIT, 1, "body"},
    {"Subject: no end", HEADER_DEFECT_NO_END, 1, ""},
    {" stray\r\nSubject: x\r\n\r\n", HEADER_DEFECT_STRAY_CONTINUATION, 1, ""},
    {"Subject: lf\nTo: a@b\n\nbody\n", HEADER_DEFECT_BARE_LF, 2, "body\n"},
    {"From alice@example Mon Sep  7 09:00:00 2026\r\nSubject: x\r\n\r\n", HEADER_DEFECT_MBOX_FROM,
     1, ""},
    {"Subject : obsolete space\r\n\r\n", 0, 1, ""},
    {"", HEADER_DEFECT_NO_END, 0, ""},
    {"\r\nbody only", 0, 0, "body only"},
    {": empty name\r\n\r\n", HEADER_DEFECT_NO_COLON, 0, ": empty name\r\n\r\n"},
};

START_TEST(test_bad_headers)
{
    header_t h;
    size_t body = parse(bad_headers[_i].text, &h);
    ck_assert_msg(h.defects == bad_headers[_i].defects, "case %d: defects %#x, want %#x", _i,
                  h.defects, bad_headers[_i].defects);
    ck_assert_msg(h.count == bad_headers[_i].fields, "case %d: %zu fields, want %zu", _i, h.count,
                  bad_headers[_i].fields);
    ck_assert_str_eq(bad_headers[_i].text + body, bad_headers[_i].body);
    header_free(&h);
}
END_TEST

/* A Subject that goes on past HEADER_FIELD_MAX. */
static void put_endless_subject(buf_t *msg)
{
    buf_puts(msg, "Subject: start\r\n");
    for (int i = 0; i < 120000; i++)
        buf_puts(msg, " more more\r\n");
}

/* An endless continuation: the field is cut at HEADER_FIELD_MAX, the rest still read. */
START_TEST(test_endless_continuation)
{
    buf_t msg = BUF_INIT;
    put_endless_subject(&msg);
    header_t h;
    header_init(&h);
    size_t body = header_parse(msg.data, msg.len, &h);
    ck_assert_uint_eq(body, msg.len);
    ck_assert_uint_eq(h.count, 1);
    ck_assert_uint_eq(h.defects, HEADER_DEFECT_FIELD_TOO_LONG | HEADER_DEFECT_NO_END);
    ck_assert_uint_le(h.fields[0].value_len, HEADER_FIELD_MAX);
    ck_assert(strncmp(h.fields[0].value, "start more more", 15) == 0);
    header_free(&h);
    buf_free(&msg);
}
END_TEST

START_TEST(test_too_many_fields)
{
    buf_t msg = BUF_INIT;
    for (int i = 0; i < HEADER_FIELDS_MAX + 10; i++)
        buf_printf(&msg, "X-%d: v\r\n", i);
    buf_puts(&msg, "\r\nbody");
    header_t h;
    header_init(&h);
    size_t body = header_parse(msg.data, msg.len, &h);
    ck_assert_str_eq((const char *)msg.data + body, "body");
    ck_assert_uint_eq(h.count, HEADER_FIELDS_MAX);
    ck_assert(h.defects & HEADER_DEFECT_TOO_MANY_FIELDS);
    buf_t text = BUF_INIT;
    header_defects_describe(h.defects, &text);
    ck_assert_str_eq(buf_cstr(&text), "too many fields");
    buf_free(&text);
    header_free(&h);
    buf_free(&msg);
}
END_TEST

/*
 * header_scan_value gives what header_parse and header_find give: the same
 * field found, the same value to the byte. It appends after what out held.
 */
static void check_scan(const uint8_t *data, size_t len, const char *name, const char *what)
{
    header_t h;
    header_init(&h);
    header_parse(data, len, &h);
    const header_field_t *f = header_find(&h, name);
    buf_t out = BUF_INIT;
    buf_puts(&out, "pre");
    bool found = header_scan_value(data, len, name, &out);
    ck_assert_msg(found == (f != NULL), "%.40s, %s, %zu octets: found %d, want %d", what, name, len,
                  found, f != NULL);
    if (f) {
        ck_assert_msg(out.len == 3 + f->value_len && memcmp(out.data + 3, f->value, f->value_len) == 0,
                      "%.40s, %s, %zu octets: value [%.60s], want [%.60s]", what, name, len,
                      buf_cstr(&out) + 3, f->value);
        ck_assert(out.data[out.len] == '\0');
    } else {
        ck_assert_str_eq(buf_cstr(&out), "pre");
    }
    buf_free(&out);
    header_free(&h);
}

/* The field name rule of RFC 5322 2.2, octet by octet: what a line's name is, or 0. */
static size_t ref_name_length(const uint8_t *line, size_t n)
{
    size_t i = 0;
    while (i < n && line[i] >= 0x21 && line[i] <= 0x7e && line[i] != ':')
        i++;
    size_t name_len = i;
    while (i < n && (line[i] == ' ' || line[i] == '\t'))
        i++;
    return name_len > 0 && i < n && line[i] == ':' ? name_len : 0;
}

/*
 * Every octet at every place of names of 1 to 19 octets (the name is read
 * eight octets at a time): the field, its name and what follows it are
 * what the rule says.
 */
START_TEST(test_name_octets)
{
    uint8_t line[64];
    for (size_t len = 1; len < 20; len++)
        for (size_t at = 0; at < len; at++)
            for (int c = 0; c < 256; c++) {
                for (size_t i = 0; i < len; i++)
                    line[i] = (uint8_t)('A' + i % 26);
                line[at] = (uint8_t)c;
                static const char tail[] = ": v\r\nMessage-ID: <m>\r\n\r\n";
                memcpy(line + len, tail, sizeof tail - 1);
                size_t n = len + sizeof tail - 1;
                size_t want = ref_name_length(line, n);
                header_t h;
                header_init(&h);
                header_parse(line, n, &h);
                bool continued = at == 0 && (c == ' ' || c == '\t'); /* a folded line */
                if (continued) {
                    ck_assert_uint_eq(h.count, 1);
                } else if (want) {
                    ck_assert_msg(h.count == 2 && strlen(h.fields[0].name) == want,
                                  "octet %d at %zu of %zu", c, at, len);
                } else {
                    ck_assert_msg(h.count == 0, "octet %d at %zu of %zu", c, at, len);
                }
                header_free(&h);
                check_scan(line, n, "Message-ID", "name octets");
                /* A name cut short by the line's end is no field. */
                check_scan(line, len, "Message-ID", "name alone");
            }
}
END_TEST

static const char *const scan_headers[] = {
    "Date: Mon, 07 Sep 2026 09:00:00 +0000\r\nMessage-ID: <1.2@a.example>\r\n\r\nbody\r\n",
    "message-id:<x@y>\r\nMessage-ID: <second@y>\r\n\r\n",
    "Subject: a\r\n  Message-ID: folded in\r\nMessage-Id :  \t<spaced>\t \r\n\r\n",
    "Message-ID:\r\n \t\r\n\t<on the next line>  \r\n\t tail \r\nX: y\r\n\r\n",
    "Message-ID:   \r\n\r\n",
    "From alice Mon Sep  7 09:00:00 2026\nMessage-ID: <after mbox>\n\n",
    "no colon here\r\nMessage-ID: <never>\r\n\r\n",
    " stray\r\nMessage-ID: <after stray>\r\n",
    "To: x\nMessage-ID: <bare lf>\nSubject: s\n\nMessage-ID: <in body>\n",
    "Message-ID-Not: <longer name>\r\nMessage-I: <shorter>\r\n\r\n",
    "Message-ID: <a\r\r\n\r\n",
    "Message-ID: <no end of header>",
    "X-Empty:\r\nMessage-ID: <m>\r\nSubject: \xc3\xa9t\xc3\xa9\r\n\r\n",
};

/* Every header above, cut at every length, for a few names. */
/*
 * RFC 5322 2.2: a field name is printable ASCII but ':'. Each octet in turn
 * after "A": in a name it makes "A<c>"; whitespace before the colon is
 * obsolete syntax for "A"; ':' ends "A"; any other octet makes no field.
 */
START_TEST(test_field_name_octets)
{
    for (int c = 0; c < 256; c++) {
        uint8_t text[] = {'A', (uint8_t)c, ':', ' ', 'v', '\r', '\n', '\r', '\n'};
        header_t h;
        header_init(&h);
        header_parse(text, sizeof text, &h);
        bool name = c > 32 && c < 127 && c != ':';
        if (name) {
            ck_assert_msg(h.count == 1 && h.fields[0].name[1] == (char)c, "octet %d", c);
        } else if (c == ' ' || c == '\t' || c == ':') {
            ck_assert_msg(h.count == 1 && strcmp(h.fields[0].name, "A") == 0, "octet %d", c);
        } else {
            ck_assert_msg(h.count == 0 && (h.defects & HEADER_DEFECT_NO_COLON), "octet %d", c);
        }
        check_scan(text, sizeof text, "A", "octet");
        header_free(&h);
    }
}
END_TEST

START_TEST(test_scan_value)
{
    static const char *const names[] = {"Message-ID", "Subject", "X-Empty", "To", "Missing"};
    const char *text = scan_headers[_i];
    size_t len = strlen(text);
    for (size_t n = 0; n < ARRAY_LEN(names); n++)
        for (size_t cut = 0; cut <= len; cut++)
            check_scan((const uint8_t *)text, cut, names[n], text);
}
END_TEST

START_TEST(test_scan_value_garbage)
{
    static const uint8_t alphabet[] = {'M', 'i', 'D', '-', ':', ':', ' ', '\t', '\r',
                                       '\n', '\n', 'x', 0x80, 0, 'F'};
    static const char *const names[] = {"M", "Mi", "MiD", "x"};
    uint32_t seed = 7;
    for (int round = 0; round < 2000; round++) {
        uint8_t data[40];
        size_t len = (size_t)round % sizeof data;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            data[i] = alphabet[(seed >> 16) % sizeof alphabet];
        }
        for (size_t n = 0; n < ARRAY_LEN(names); n++)
            check_scan(data, len, names[n], "garbage");
    }
}
END_TEST

/* The limits hold for the scan as for the parse: a field cut at HEADER_FIELD_MAX, fields dropped. */
START_TEST(test_scan_value_limits)
{
    buf_t msg = BUF_INIT;
    put_endless_subject(&msg);
    buf_puts(&msg, "Message-ID: <m>\r\n");
    check_scan(msg.data, msg.len, "Subject", "endless");
    check_scan(msg.data, msg.len, "Message-ID", "endless");
    buf_reset(&msg);
    for (int i = 0; i < HEADER_FIELDS_MAX + 2; i++)
        buf_printf(&msg, "X-%d: v%d\r\n", i, i);
    buf_printf(&msg, "X-%d: v\r\n", HEADER_FIELDS_MAX - 1);
    check_scan(msg.data, msg.len, "X-4095", "many");
    check_scan(msg.data, msg.len, "X-4096", "many");
    check_scan(msg.data, msg.len, "X-4097", "many");
    buf_free(&msg);
}
END_TEST

Suite *mail_header_suite(void)
{
    Suite *s = suite_create("mail_header");
    TCase *tc = tcase_create("fields");
    tcase_add_test(tc, test_parse_fields);
    tcase_add_test(tc, test_build_remove_write);
    tcase_add_test(tc, test_fold_unfold_round_trip);
    tcase_add_test(tc, test_fold_long_word_and_injection);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad_input");
    tcase_add_loop_test(tc, test_bad_headers, 0, (int)(sizeof bad_headers / sizeof bad_headers[0]));
    tcase_add_test(tc, test_endless_continuation);
    tcase_add_test(tc, test_too_many_fields);
    suite_add_tcase(s, tc);
    tc = tcase_create("scan");
    tcase_add_loop_test(tc, test_scan_value, 0, (int)ARRAY_LEN(scan_headers));
    tcase_add_test(tc, test_scan_value_garbage);
    tcase_add_test(tc, test_field_name_octets);
    tcase_add_test(tc, test_name_octets);
    tcase_add_test(tc, test_scan_value_limits);
    suite_add_tcase(s, tc);
    return s;
}
