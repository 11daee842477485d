/*
 * Composing a message: the direct writers (message_build, mime_write_text,
 * header_fold, the address field shortcut, message_id_make, the 7-bit scan)
 * against plain references built from the general pieces (header_t,
 * addr_list_parse and addr_list_format, byte-at-a-time text handling,
 * snprintf), over tables and generated inputs: ASCII, Greek UTF-8, long
 * lines, lines that start with a dot, every mix of CR and LF, empty bodies,
 * html and attachments. Every output must match byte for byte.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/address.h"
#include "mail/codec.h"
#include "mail/eightbit.h"
#include "mail/header.h"
#include "mail/message.h"
#include "mail/mime.h"
#include "strings_fixture.h"
#include "proto/line.h"

/* --- generated inputs ---------------------------------------------------- */

static uint64_t gen_state;

static uint64_t gen_next(void)
{
    gen_state ^= gen_state << 13;
    gen_state ^= gen_state >> 7;
    gen_state ^= gen_state << 17;
    return gen_state;
}

static size_t gen_below(size_t n)
{
    return (size_t)(gen_next() % n);
}

static const char *const text_pieces[] = {
    "a",
    "Hello",
    " ",
    "\t",
    "\r",
    "\n",
    "\r\n",
    "\r\n",
    "\n",
    ".",
    "..",
    "=",
    "=?",
    "Γειά σου κόσμε",
    "\xff",
    "From ",
    "longer words here and there",
    "\"",
    "<",
    "@",
    ",",
    "\x01",
    "\x7f",
};

/* Text made of pieces, runs of one letter (some past 998 octets) and, if asked, NULs. */
static void gen_text(buf_t *b, size_t max_pieces, bool nul)
{
    size_t n = gen_below(max_pieces + 1);
    for (size_t i = 0; i < n; i++) {
        size_t k = gen_below(ARRAY_LEN(text_pieces) + 3);
        if (k < ARRAY_LEN(text_pieces)) {
            buf_puts(b, text_pieces[k]);
        } else if (k == ARRAY_LEN(text_pieces)) {
            for (size_t run = gen_below(1100); run > 0; run--)
                buf_putc(b, 'x');
        } else if (k == ARRAY_LEN(text_pieces) + 1) {
            buf_putc(b, nul ? 0 : 'z');
        } else {
            for (size_t j = 0, run = gen_below(90); j < run; j++)
                buf_putc(b, j % 7 == 6 ? ' ' : 'y');
        }
    }
    buf_append(b, "", 0);
}

static const char *const addresses[] = {
    "alice@alice.example",
    "Alice <alice@alice.example>",
    "\"Doe, J.\" <j@x.example>",
    "a..b@x",
    ".a@x",
    "a.@x",
    "a@",
    "@x",
    "a@b@c",
    "Γιώργος <g@gr.example>",
    "gι@x",
    "a@[192.0.2.1]",
    "team: a@x, b@y;",
    "a@x (Alice)",
    "a@x, b@y",
    "  a@x  ",
    "a b@x",
    "a@x\r\n",
    "",
    "undisclosed-recipients:;",
    "=?UTF-8?B?zpHOu8+Ezrc=?= <a@x>",
    "a",
    "<a@x>",
    "Mr. Smith <s@x>",
    "a+tag@sub.domain.example",
    "a_b-c@x-y.example",
    "a@x.",
    "a@.x",
    "\x7f@x",
    "a\"b@x",
    "a@x;",
    "a@x>",
    "sender@client.example",
    "very.long.local.part.for.folding@a.very.long.domain.name.that.goes.on.example",
};

/* An address from the table, random octets of address syntax, or a long plain one. */
static char *gen_address(void)
{
    buf_t b = BUF_INIT;
    size_t k = gen_below(ARRAY_LEN(addresses) + 2);
    if (k < ARRAY_LEN(addresses)) {
        buf_puts(&b, addresses[k]);
    } else if (k == ARRAY_LEN(addresses)) {
        static const char syntax[] = "ab.@<> ,;:\"\\()[]x\xce\xb1\t";
        for (size_t n = gen_below(12); n > 0; n--)
            buf_putc(&b, syntax[gen_below(sizeof syntax - 1)]);
    } else {
        for (size_t n = gen_below(40) + 1; n > 0; n--)
            buf_putc(&b, 'a' + (int)gen_below(26));
        buf_putc(&b, '@');
        for (size_t i = 0, n = gen_below(80) + 1; i < n; i++)
            buf_putc(&b, i % 9 == 8 ? '.' : 'a' + (int)gen_below(26));
    }
    buf_append(&b, "", 0);
    return buf_steal(&b, NULL);
}

/* --- references: the general pieces, one byte at a time ------------------ */

static int ref_address_value(const char *const *values, size_t count, buf_t *out)
{
    int rc = 0;
    addr_list_t list;
    addr_list_init(&list);
    for (size_t i = 0; i < count; i++)
        if (values[i] && addr_list_parse(values[i], strlen(values[i]), &list) != 0)
            rc = -1;
    addr_list_format(&list, out);
    addr_list_free(&list);
    return rc;
}

/* CRLF for every CRLF, CR or LF; CRLF after a last line without one (or for no text). */
static void ref_normalise(const char *text, size_t len, buf_t *out)
{
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\r' || text[i] == '\n') {
            buf_append(out, "\r\n", 2);
            if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
                i++;
        } else {
            buf_putc(out, (unsigned char)text[i]);
        }
    }
    if (out->len < 2 || out->data[out->len - 1] != '\n')
        buf_append(out, "\r\n", 2);
}

static void ref_text_part(buf_t *out, const char *subtype, const char *text, size_t len,
                          bool allow_8bit)
{
    buf_t body = BUF_INIT;
    ref_normalise(text, len, &body);
    bool ascii = true;
    size_t longest = 0, line = 0;
    for (size_t i = 0; i < body.len; i++) {
        if (body.data[i] == 0 || body.data[i] > 127)
            ascii = false;
        if (body.data[i] == '\n')
            line = 0;
        else if (body.data[i] != '\r' && ++line > longest)
            longest = line;
    }
    const char *enc = "7bit";
    if (longest > 998 || (!ascii && !allow_8bit))
        enc = "quoted-printable";
    else if (!ascii)
        enc = "8bit";
    buf_printf(out, "Content-Type: text/%s; charset=utf-8\r\nContent-Transfer-Encoding: %s\r\n\r\n",
               subtype, enc);
    if (enc[0] == 'q')
        codec_qp_encode(body.data, body.len, true, out);
    else
        buf_append(out, body.data, body.len);
    buf_free(&body);
}

static int ref_message_build(const message_spec_t *spec, buf_t *out)
{
    header_t h;
    header_init(&h);
    char date[MESSAGE_DATE_MAX], id[256];
    header_add(&h, "Date", message_date_format(spec->date, spec->tz_minutes, date, sizeof date));
    struct {
        const char *name;
        const char *const *values;
        size_t count;
    } lists[] = {{"From", &spec->from, spec->from ? 1 : 0},
                 {"To", spec->to, spec->to_count},
                 {"Cc", spec->cc, spec->cc_count},
                 {"Reply-To", &spec->reply_to, spec->reply_to ? 1 : 0}};
    int rc = 0;
    for (size_t i = 0; i < ARRAY_LEN(lists); i++) {
        buf_t value = BUF_INIT;
        if (lists[i].count && ref_address_value(lists[i].values, lists[i].count, &value) != 0)
            rc = -1;
        if (value.len)
            header_add(&h, lists[i].name, buf_cstr(&value));
        buf_free(&value);
    }
    if (spec->subject)
        header_add_text(&h, "Subject", spec->subject);
    snprintf(id, sizeof id, "<%llu.%llx@%s>", (unsigned long long)spec->counter,
             (unsigned long long)spec->seed, spec->host && *spec->host ? spec->host : "localhost");
    header_add(&h, "Message-ID", spec->message_id ? spec->message_id : id);
    for (size_t i = 0; i < spec->field_count; i++)
        header_add_text(&h, spec->fields[i].name, spec->fields[i].value);
    header_add(&h, "MIME-Version", "1.0");
    header_write(&h, out);
    header_free(&h);

    const char *text = spec->text ? spec->text : "";
    size_t nparts = spec->attachment_count + 1;
    buf_t *parts = calloc(nparts, sizeof *parts);
    buf_t *entity = spec->attachment_count ? &parts[0] : out;
    if (spec->html) {
        buf_t alt[2] = {BUF_INIT, BUF_INIT};
        ref_text_part(&alt[0], "plain", text, strlen(text), spec->allow_8bit);
        ref_text_part(&alt[1], "html", spec->html, strlen(spec->html), spec->allow_8bit);
        mime_write_multipart(entity, "alternative", alt, 2, spec->seed, spec->counter * 2 + 1);
        buf_free(&alt[0]);
        buf_free(&alt[1]);
    } else {
        ref_text_part(entity, "plain", text, strlen(text), spec->allow_8bit);
    }
    if (spec->attachment_count) {
        for (size_t i = 1; i < nparts; i++)
            mime_write_attachment(&parts[i], &spec->attachments[i - 1]);
        mime_write_multipart(out, "mixed", parts, nparts, spec->seed, spec->counter * 2);
    }
    for (size_t i = 0; i < nparts; i++)
        buf_free(&parts[i]);
    free(parts);
    return rc;
}

static void assert_same_bytes(const buf_t *got, const buf_t *want, const char *what, size_t n)
{
    size_t at = 0;
    while (at < got->len && at < want->len && got->data[at] == want->data[at])
        at++;
    ck_assert_msg(got->len == want->len && at == got->len,
                  "%s %zu: %zu and %zu octets, first difference at %zu:\n got \"%.60s\"\nwant "
                  "\"%.60s\"",
                  what, n, got->len, want->len, at,
                  (const char *)got->data + (at > 20 ? at - 20 : 0),
                  (const char *)want->data + (at > 20 ? at - 20 : 0));
}

/* --- message_build -------------------------------------------------------- */

static const char *const plain_to[] = {"roberto@roberto.example"};

/* The shapes named one by one; the generated ones below cover their mixtures. */
static const struct {
    const char *text;
    const char *html;
    bool attach;
    bool allow_8bit;
} shapes[] = {
    {"Hi Roberto,\nlunch?\n", NULL, false, true},
    {"Hi Roberto,\r\nlunch?\r\n", NULL, false, true},
    {"no line end at all", NULL, false, false},
    {"", NULL, false, true},
    {NULL, NULL, false, true},
    {"\n", NULL, false, true},
    {"\r", NULL, false, true},
    {"\r\r\n\n\r", NULL, false, true},
    {".\n..\n.hidden\r\n.", NULL, false, true},
    {"Γεια σου Ρομπέρτο\n", NULL, false, true},
    {"Γεια σου Ρομπέρτο\n", NULL, false, false},
    {"tab\tand trailing space \nnext", NULL, false, true},
    {"See attached.", "<p>See attached.</p>", true, true},
    {"Γεια", "<p>Γεια</p>", false, false},
    {".dot first\n", NULL, true, true},
};

/* What a sender would find scanning the bytes: the truth a shape may claim, octet by octet. */
static mime_shape_t scanned_shape(const uint8_t *p, size_t len)
{
    mime_shape_t t = {true, true};
    bool line_start = true;
    for (size_t i = 0; i < len; i++) {
        if (p[i] & 0x80)
            t.seven_bit = false;
        if (line_start && p[i] == '.')
            t.dot_safe = false;
        line_start = false;
        if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n') {
            line_start = true;
            i++;
        } else if (p[i] == '\r' || p[i] == '\n') {
            t.dot_safe = false;
        }
    }
    if (!line_start)
        t.dot_safe = false; /* a last line without CRLF */
    return t;
}

/*
 * A shape claims nothing untrue of the bytes written after start; and where
 * the writer knows (exact), it claims all that is true.
 */
static void check_shape(const buf_t *b, size_t start, mime_shape_t shape, bool exact,
                        const char *what, size_t n)
{
    mime_shape_t t = scanned_shape(b->data + start, b->len - start);
    ck_assert_msg(!shape.seven_bit || t.seven_bit, "%s %zu: claimed 7-bit", what, n);
    ck_assert_msg(!shape.dot_safe || t.dot_safe, "%s %zu: claimed dot-safe", what, n);
    ck_assert_msg(!shape.dot_safe ||
                      line_dot_clean_prefix(b->data + start, b->len - start) == b->len - start,
                  "%s %zu: dot-safe but not clean for DATA", what, n);
    if (exact) {
        ck_assert_msg(shape.seven_bit == t.seven_bit, "%s %zu: 7-bit %d, scan says %d", what, n,
                      shape.seven_bit, t.seven_bit);
        ck_assert_msg(shape.dot_safe == t.dot_safe, "%s %zu: dot-safe %d, scan says %d", what, n,
                      shape.dot_safe, t.dot_safe);
    }
}

/* A written part that went as quoted-printable: its shape is not known. */
static bool went_qp(const buf_t *b)
{
    return strstr(buf_cstr(b), "Content-Transfer-Encoding: quoted-printable") != NULL;
}

static void check_build(const message_spec_t *spec, size_t n)
{
    buf_t got = BUF_INIT, want = BUF_INIT;
    int got_rc = message_build(spec, &got);
    int want_rc = ref_message_build(spec, &want);
    ck_assert_msg(got_rc == want_rc, "message %zu: rc %d, want %d", n, got_rc, want_rc);
    assert_same_bytes(&got, &want, "message", n);
    /* the same bytes with their shape, after what the buffer held already */
    buf_t shaped = BUF_INIT;
    buf_puts(&shaped, "kept\n.");
    mime_shape_t shape;
    ck_assert_int_eq(message_build_shaped(spec, &shaped, &shape), want_rc);
    ck_assert(shaped.len == 6 + want.len && memcmp(shaped.data + 6, want.data, want.len) == 0);
    bool plain_fields = true;
    for (size_t i = 0; i < spec->field_count; i++)
        plain_fields = plain_fields && spec->fields[i].name[0] != '.' &&
                       !strpbrk(spec->fields[i].name, "\r\n");
    bool known = !spec->html && spec->attachment_count == 0 && !went_qp(&want) && plain_fields;
    check_shape(&shaped, 6, shape, known, "message", n);
    buf_free(&shaped);
    /* with From and Subject memos: the first build fills them, the second takes the fields */
    message_field_memo_t memo = {0}, subject_memo = {0}, to_memo = {0};
    message_spec_t memo_spec = *spec;
    memo_spec.from_memo = &memo;
    memo_spec.subject_memo = &subject_memo;
    memo_spec.to_memo = &to_memo;
    for (int round = 0; round < 2; round++) {
        buf_t again = BUF_INIT;
        ck_assert_int_eq(message_build(&memo_spec, &again), want_rc);
        assert_same_bytes(&again, &want, "message with a memo", n);
        buf_free(&again);
    }
    message_field_memo_free(&memo);
    message_field_memo_free(&subject_memo);
    message_field_memo_free(&to_memo);
    /* with a text memo: the first build fills it, the second appends the kept part */
    message_text_memo_t text_memo = {0};
    memo_spec = *spec;
    memo_spec.text_memo = &text_memo;
    for (int round = 0; round < 2; round++) {
        buf_t again = BUF_INIT;
        buf_puts(&again, "kept\n.");
        mime_shape_t again_shape;
        ck_assert_int_eq(message_build_shaped(&memo_spec, &again, &again_shape), want_rc);
        ck_assert(again.len == 6 + want.len && memcmp(again.data + 6, want.data, want.len) == 0);
        ck_assert(again_shape.seven_bit == shape.seven_bit &&
                  again_shape.dot_safe == shape.dot_safe);
        buf_free(&again);
    }
    /* an html part or an attachment leaves the memo out: nothing kept */
    ck_assert(!text_memo.text == (spec->html || spec->attachment_count > 0));
    message_text_memo_free(&text_memo);
    /* with a date memo, first filled, then used; then one from another second */
    message_date_memo_t date_memo = {0};
    memo_spec = *spec;
    memo_spec.date_memo = &date_memo;
    for (int round = 0; round < 3; round++) {
        if (round == 2) { /* a memo of another second: written again */
            date_memo.text[0] = 'X';
            date_memo.second--;
        }
        buf_t again = BUF_INIT;
        ck_assert_int_eq(message_build(&memo_spec, &again), want_rc);
        assert_same_bytes(&again, &want, "message with a date memo", n);
        buf_free(&again);
    }
    buf_free(&got);
    buf_free(&want);
}

START_TEST(test_build_shapes)
{
    static const uint8_t photo[] = {0, 1, 2, 0xff, '.', '\n'};
    const mime_attachment_t attachments[] = {{"photo.jpg", "image/jpeg", photo, sizeof photo}};
    const message_field_t fields[] = {{"X-Mailer", "mailsim"}, {"X-Greek", "Γεια σου"}};
    message_spec_t spec = {.from = "alice@alice.example",
                           .to = plain_to,
                           .to_count = 1,
                           .subject = "Hello",
                           .text = shapes[_i].text,
                           .html = shapes[_i].html,
                           .attachments = attachments,
                           .attachment_count = shapes[_i].attach ? 1 : 0,
                           .fields = fields,
                           .field_count = (size_t)_i % 3,
                           .date = (sim_time_t)_i * SIM_HOUR,
                           .tz_minutes = 120,
                           .counter = 7,
                           .seed = 0x5eed,
                           .host = "alice.example",
                           .allow_8bit = shapes[_i].allow_8bit};
    check_build(&spec, (size_t)_i);
    /* a long line is written as quoted-printable, and a long subject folded */
    buf_t text = BUF_INIT;
    for (size_t i = 0; i < 1200; i++)
        buf_putc(&text, i % 100 == 99 ? ' ' : 'w');
    spec.text = buf_cstr(&text);
    spec.subject = buf_cstr(&text);
    check_build(&spec, (size_t)_i);
    buf_free(&text);
}
END_TEST

/* A memo written from one From, To or Subject serves no other: the field is written again. */
START_TEST(test_build_from_memo_changes)
{
    static const char *const froms[] = {"alice@alice.example", "Alice <alice@alice.example>",
                                        "alice@alice.example", "not an address <",
                                        "Ρομπέρτο <r@x>"};
    static const char *const subjects[] = {
        "Hello", "Hello ", "Hello", "Γεια σου", "",
        "a subject long enough to be folded, a subject long enough to be folded, once more",
        "Hello"};
    static const char *const tos[] = {"bob@b.example", "Bob <bob@b.example>", "bob@b.example",
                                      "bob@b.example, carol@c.example", "carol@c.example", "<"};
    message_field_memo_t memo = {0}, subject_memo = {0}, to_memo = {0};
    for (size_t i = 0; i < ARRAY_LEN(froms) + ARRAY_LEN(subjects); i++) {
        message_spec_t spec = {.from = froms[i % ARRAY_LEN(froms)],
                               .to = &tos[i % ARRAY_LEN(tos)],
                               .to_count = 1,
                               .subject = subjects[i % ARRAY_LEN(subjects)],
                               .text = "Hi\n",
                               .counter = 1,
                               .seed = 2};
        buf_t want = BUF_INIT, got = BUF_INIT;
        int want_rc = message_build(&spec, &want);
        spec.from_memo = &memo;
        spec.subject_memo = &subject_memo;
        spec.to_memo = &to_memo;
        ck_assert_int_eq(message_build(&spec, &got), want_rc);
        assert_same_bytes(&got, &want, "memo", i);
        buf_free(&want);
        buf_free(&got);
    }
    message_field_memo_free(&memo);
    message_field_memo_free(&subject_memo);
    message_field_memo_free(&to_memo);
}
END_TEST

/* Builds spec with and without memo: the same bytes, rc and shape. */
static void check_text_memo(const message_spec_t *spec, message_text_memo_t *memo, size_t n)
{
    buf_t want = BUF_INIT, got = BUF_INIT;
    mime_shape_t want_shape, got_shape;
    int want_rc = message_build_shaped(spec, &want, &want_shape);
    message_spec_t with = *spec;
    with.text_memo = memo;
    ck_assert_int_eq(message_build_shaped(&with, &got, &got_shape), want_rc);
    assert_same_bytes(&got, &want, "text memo", n);
    ck_assert_msg(got_shape.seven_bit == want_shape.seven_bit &&
                      got_shape.dot_safe == want_shape.dot_safe,
                  "text memo %zu: shape", n);
    buf_free(&want);
    buf_free(&got);
}

/*
 * A kept text part serves only the same octets: another text, the same text
 * at another address, a text changed in place in the caller's buffer, a
 * prefix or an extension of it, or another allow_8bit are written anew.
 */
START_TEST(test_build_text_memo_changes)
{
    static const char *const texts[] = {
        "Hello\n",    "Hello\n",    "Hello",        "Hello\n\n", "",   ".dot first\n",
        "Γεια σου\n", "Γεια σου\n", "bare\rcr\r\n", "Hello\n",   NULL, "Hello\n",
    };
    message_text_memo_t memo = {0};
    message_spec_t spec = {.from = "alice@alice.example",
                           .to = plain_to,
                           .to_count = 1,
                           .subject = "Hi",
                           .counter = 1,
                           .seed = 2};
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
        /* each text from its own buffer: equal texts at different addresses */
        char *copy = texts[i] ? xstrdup(texts[i]) : NULL;
        spec.text = copy;
        spec.allow_8bit = i % 3 == 0;
        check_text_memo(&spec, &memo, n++);
        check_text_memo(&spec, &memo, n++);
        free(copy);
    }
    /* changed in place, same address, same length: kept bytes must not be reused */
    char buffer[] = "line one\nline two\n";
    spec.text = buffer;
    spec.allow_8bit = true;
    check_text_memo(&spec, &memo, n++);
    buffer[5] = 'X';
    check_text_memo(&spec, &memo, n++);
    buffer[0] = '.';
    check_text_memo(&spec, &memo, n++);
    buffer[9] = (char)0xce; /* 8-bit: the encoding changes with it */
    buffer[10] = (char)0x93;
    check_text_memo(&spec, &memo, n++);
    buffer[9] = '\0'; /* shorter, same address */
    check_text_memo(&spec, &memo, n++);
    buffer[9] = 'l';
    buffer[10] = 'i';
    check_text_memo(&spec, &memo, n++);
    /* the memo left out by html: the next plain build still checks its text */
    spec.html = "<p>x</p>";
    check_text_memo(&spec, &memo, n++);
    spec.html = NULL;
    buffer[1] = 'Y';
    check_text_memo(&spec, &memo, n++);
    /* a text too long to keep is written every time, and leaves nothing kept */
    size_t big = MESSAGE_TEXT_MEMO_MAX + 1;
    char *long_text = xmalloc(big + 1);
    for (size_t i = 0; i < big; i++)
        long_text[i] = i % 70 == 69 ? '\n' : 'a';
    long_text[big] = '\0';
    spec.text = long_text;
    check_text_memo(&spec, &memo, n++);
    ck_assert(memo.text == NULL);
    long_text[big - 1] = '\0'; /* the largest kept */
    check_text_memo(&spec, &memo, n++);
    ck_assert(memo.text != NULL && memo.text_len == MESSAGE_TEXT_MEMO_MAX);
    check_text_memo(&spec, &memo, n++);
    free(long_text);
    message_text_memo_free(&memo);
    message_text_memo_free(&memo); /* freed is empty */
}
END_TEST

/* Field names the composer cannot vouch for: a dot first, line ends inside. */
START_TEST(test_build_odd_field_names)
{
    static const message_field_t odd[][1] = {
        {{".X-Dot", "v"}},
        {{"X-Bad\r\n.Name", "v"}},
        {{"X-Ok\r\nName", "v"}},
        {{"X-Lf\nx", "v"}},
        {{"X-Plain", ".value with a dot first"}},
        {{"X-Value", "a\r\n.b"}},
    };
    for (size_t i = 0; i < ARRAY_LEN(odd); i++) {
        message_spec_t spec = {.from = "alice@alice.example",
                               .to = plain_to,
                               .to_count = 1,
                               .subject = "Hello",
                               .text = "Hi\n",
                               .fields = odd[i],
                               .field_count = 1,
                               .counter = 1,
                               .seed = 2,
                               .allow_8bit = true};
        check_build(&spec, i);
    }
}
END_TEST

START_TEST(test_build_generated)
{
    gen_state = 0x9e3779b97f4a7c15u;
    for (size_t n = 0; n < 3000; n++) {
        char *from = gen_below(8) ? gen_address() : NULL;
        char *to[3], *cc[2];
        size_t nto = gen_below(4), ncc = gen_below(3);
        for (size_t i = 0; i < nto; i++)
            to[i] = gen_address();
        for (size_t i = 0; i < ncc; i++)
            cc[i] = gen_address();
        char *reply_to = gen_below(5) == 0 ? gen_address() : NULL;
        buf_t subject = BUF_INIT, text = BUF_INIT, html = BUF_INIT, data = BUF_INIT;
        gen_text(&subject, 6, false);
        gen_text(&text, gen_below(3) ? 30 : 200, false);
        gen_text(&html, 20, false);
        gen_text(&data, 10, true);
        const mime_attachment_t attachment = {gen_below(3) ? "f.txt" : "α.txt", "text/plain",
                                              data.data, data.len};
        const message_field_t fields[] = {{"X-Mailer", "mailsim"}, {"X-Greek", "Γεια σου"}};
        message_spec_t spec = {.from = from,
                               .to = (const char *const *)to,
                               .to_count = nto,
                               .cc = (const char *const *)cc,
                               .cc_count = ncc,
                               .reply_to = reply_to,
                               .subject = gen_below(6) ? buf_cstr(&subject) : NULL,
                               .text = gen_below(10) ? buf_cstr(&text) : NULL,
                               .html = gen_below(6) == 0 ? buf_cstr(&html) : NULL,
                               .attachments = &attachment,
                               .attachment_count = gen_below(8) == 0,
                               .fields = fields,
                               .field_count = gen_below(3),
                               .date = (sim_time_t)gen_below(100000) * SIM_SEC,
                               .tz_minutes = (int)gen_below(1500) - 700,
                               .message_id = gen_below(3) == 0 ? "<given@id>" : NULL,
                               .counter = gen_below(100000),
                               .seed = gen_next(),
                               .host = gen_below(4) ? "client.example" : NULL,
                               .allow_8bit = gen_below(2)};
        check_build(&spec, n);
        free(from);
        free(reply_to);
        for (size_t i = 0; i < nto; i++)
            free(to[i]);
        for (size_t i = 0; i < ncc; i++)
            free(cc[i]);
        buf_free(&subject);
        buf_free(&text);
        buf_free(&html);
        buf_free(&data);
    }
}
END_TEST

/* --- the pieces ------------------------------------------------------------ */

START_TEST(test_text_part_generated)
{
    gen_state = 0x2545f4914f6cdd1du;
    for (size_t n = 0; n < 4000; n++) {
        buf_t text = BUF_INIT, got = BUF_INIT, want = BUF_INIT;
        gen_text(&text, 40, true);
        bool allow_8bit = n & 1;
        const char *subtype = n & 2 ? "html" : "plain";
        buf_puts(&got, "kept");
        buf_puts(&want, "kept");
        mime_write_text(&got, subtype, (const char *)text.data, text.len, allow_8bit);
        ref_text_part(&want, subtype, (const char *)text.data, text.len, allow_8bit);
        assert_same_bytes(&got, &want, "text part", n);
        buf_t shaped = BUF_INIT;
        buf_puts(&shaped, "kept");
        mime_shape_t shape;
        mime_write_text_shaped(&shaped, subtype, (const char *)text.data, text.len, allow_8bit,
                               &shape);
        assert_same_bytes(&shaped, &want, "shaped text part", n);
        /* a NUL makes the text not ASCII, so 8bit, which it is not: only the claims are checked */
        bool nul = memchr(text.data, 0, text.len) != NULL;
        check_shape(&shaped, 4, shape, !went_qp(&want) && !nul, "text part", n);
        buf_free(&shaped);
        ck_assert_uint_eq(got.data[got.len], 0); /* still a C string */
        buf_free(&text);
        buf_free(&got);
        buf_free(&want);
    }
}
END_TEST

/* A leading space sends any value through the folder's general loop, which drops it. */
START_TEST(test_fold_direct_and_general)
{
    gen_state = 0xda942042e4dd58b5u;
    static const char *const names[] = {"Subject", "To", "X-A-Rather-Long-Field-Name-For-Folding"};
    for (size_t n = 0; n < 4000; n++) {
        buf_t value = BUF_INIT, spaced = BUF_INIT, got = BUF_INIT, want = BUF_INIT;
        gen_text(&value, n % 2 ? 4 : 12, false);
        buf_putc(&spaced, ' ');
        buf_append(&spaced, value.data, value.len);
        const char *name = names[n % ARRAY_LEN(names)];
        header_fold(name, (const char *)value.data, value.len, &got);
        header_fold(name, (const char *)spaced.data, spaced.len, &want);
        assert_same_bytes(&got, &want, "field", n);
        /* the free-text writer is header_add_text and header_write in one */
        buf_reset(&got);
        buf_reset(&want);
        header_t h;
        header_init(&h);
        header_add_text(&h, name, buf_cstr(&value));
        header_write(&h, &want);
        header_free(&h);
        header_fold_text(name, buf_cstr(&value), &got);
        assert_same_bytes(&got, &want, "text field", n);
        buf_free(&value);
        buf_free(&spaced);
        buf_free(&got);
        buf_free(&want);
    }
    buf_t out = BUF_INIT;
    header_fold("Date", "Mon, 07 Sep 2026 09:00:00 +0000", 31, &out);
    header_fold("Empty", "", 0, &out);
    ck_assert_str_eq(buf_cstr(&out), "Date: Mon, 07 Sep 2026 09:00:00 +0000\r\nEmpty: \r\n");
    buf_free(&out);
}
END_TEST

static const struct {
    const char *spec;
    bool plain;
} plain_specs[] = {
    {"alice@alice.example", true},
    {"a.b.c@x", true},
    {"a+tag_x-y!#$%&'*/=?^`{|}~@x", true},
    {"gι@x", true},
    {"a@x..y", true}, /* the domain is one word, written back as it stands */
    {"a..b@x", false},
    {".a@x", false},
    {"a.@x", false},
    {"@x", false},
    {"a@", false},
    {"a", false},
    {"", false},
    {"a@b@c", false},
    {"a b@x", false},
    {" a@x", false},
    {"a@x ", false},
    {"a@[192.0.2.1]", false},
    {"<a@x>", false},
    {"a@x,", false},
    {"a(b)@x", false},
    {"a\"b@x", false},
    {"\x7f@x", false},
    {"\x1f@x", false},
    {"a\\b@x", false},
};

START_TEST(test_plain_address)
{
    const char *s = plain_specs[_i].spec;
    ck_assert_msg(addr_spec_is_plain(s, strlen(s)) == plain_specs[_i].plain, "\"%s\"", s);
    if (!plain_specs[_i].plain)
        return;
    /* plain means: parsing and writing back gives it unchanged, cleanly */
    buf_t out = BUF_INIT;
    ck_assert_int_eq(ref_address_value(&s, 1, &out), 0);
    ck_assert_str_eq(buf_cstr(&out), s);
    buf_free(&out);
}
END_TEST

/* Every single octet around an "@", and generated lists, against parse and format. */
START_TEST(test_address_value_generated)
{
    for (int c = 1; c < 256; c++) {
        char s[] = {'a', (char)c, 'b', '@', 'x', (char)c, 'y', '\0'};
        buf_t got = BUF_INIT, want = BUF_INIT;
        const char *v = s;
        int want_rc = ref_address_value(&v, 1, &want);
        ck_assert_int_eq(addr_field_value(&v, 1, &got), want_rc);
        assert_same_bytes(&got, &want, "octet", (size_t)c);
        if (addr_spec_is_plain(s, strlen(s)))
            ck_assert(want_rc == 0 && strcmp(buf_cstr(&want), s) == 0);
        buf_free(&got);
        buf_free(&want);
    }
    gen_state = 0x853c49e6748fea9bu;
    for (size_t n = 0; n < 4000; n++) {
        char *values[4];
        size_t count = gen_below(5);
        for (size_t i = 0; i < count; i++)
            values[i] = gen_below(7) ? gen_address() : NULL;
        buf_t got = BUF_INIT, want = BUF_INIT;
        int want_rc = ref_address_value((const char *const *)values, count, &want);
        ck_assert_int_eq(addr_field_value((const char *const *)values, count, &got), want_rc);
        assert_same_bytes(&got, &want, "address list", n);
        for (size_t i = 0; i < count; i++)
            free(values[i]);
        buf_free(&got);
        buf_free(&want);
    }
}
END_TEST

START_TEST(test_message_id_cut)
{
    static const struct {
        uint64_t counter, seed;
        const char *host;
    } ids[] = {{0, 0, NULL},
               {42, 0xbeef, "alice.example"},
               {UINT64_MAX, UINT64_MAX, ""},
               {1234567890123u, 0x0123456789abcdefu, "a.very.long.host.name.example"}};
    for (size_t i = 0; i < ARRAY_LEN(ids); i++) {
        for (size_t size = 0; size <= 80; size++) {
            char got[96], want[96];
            memset(got, '#', sizeof got);
            memset(want, '#', sizeof want);
            message_id_make(ids[i].counter, ids[i].seed, ids[i].host, got, size);
            snprintf(want, size, "<%llu.%llx@%s>", (unsigned long long)ids[i].counter,
                     (unsigned long long)ids[i].seed,
                     ids[i].host && *ids[i].host ? ids[i].host : "localhost");
            ck_assert_msg(memcmp(got, want, sizeof got) == 0, "id %zu, size %zu: \"%.*s\"", i, size,
                          (int)size, got);
        }
    }
}
END_TEST

START_TEST(test_first_8bit_every_place)
{
    uint8_t data[100];
    for (size_t len = 0; len <= sizeof data; len++) {
        for (size_t at = 0; at <= len; at++) {
            memset(data, 'a', sizeof data);
            if (at < len)
                data[at] = (uint8_t)(0x80 + at);
            if (at + 1 < len)
                data[len - 1] = 0xff; /* a later one must not be the answer */
            ck_assert_msg(eightbit_first_8bit(data, len) == at, "len %zu, 8-bit at %zu: got %zu",
                          len, at, eightbit_first_8bit(data, len));
            ck_assert(eightbit_is_7bit(data, len) == (at == len));
        }
    }
}
END_TEST

/* The one-pass check as it was written first, octet by octet: the reference. */
static bool plain_reference(const char *s, size_t len)
{
    static const uint64_t ascii_atom[2] = {UINT64_C(0xa3ffecfa00000000),
                                           UINT64_C(0x7fffffffc7fffffe)};
#define ATOM(c) ((unsigned char)(c) >= 128 || (ascii_atom[(unsigned char)(c) >> 6] >> ((c) & 63) & 1))
    size_t i = 0;
    char prev = '.';
    for (; i < len && s[i] != '@'; i++) {
        if (!ATOM(s[i]) || (s[i] == '.' && prev == '.'))
            return false;
        prev = s[i];
    }
    if (i + 1 >= len || prev == '.')
        return false;
    for (i++; i < len; i++)
        if (!ATOM(s[i]))
            return false;
#undef ATOM
    return true;
}

/* Every string of up to 7 octets from a small alphabet, against the reference. */
START_TEST(test_plain_address_generated)
{
    static const char alphabet[] = "a.@(-\xc3\0";
    size_t na = sizeof alphabet - 1;
    char s[9];
    for (size_t len = 0; len <= 7; len++) {
        for (size_t k = 0; k < strings_count(na, len); k++) {
            strings_nth(s, alphabet, na, len, k);
            ck_assert_msg(addr_spec_is_plain(s, len) == plain_reference(s, len), "\"%.*s\"",
                          (int)len, s);
        }
    }
}
END_TEST

/* Every length up to 200 with NUL, 0x80 or 0xff at every place, against the two-pass test. */
START_TEST(test_ascii_text_every_place)
{
    static const uint8_t bad[] = {0x00, 0x80, 0xff, 0x7f, 0x01};
    uint8_t data[200];
    for (size_t len = 0; len <= sizeof data; len++) {
        for (size_t at = 0; at <= len; at++) {
            for (size_t b = 0; b < ARRAY_LEN(bad); b++) {
                for (size_t i = 0; i < sizeof data; i++)
                    data[i] = (uint8_t)(' ' + i % 90);
                if (at < len)
                    data[at] = bad[b];
                bool want = eightbit_is_7bit(data, len) && !memchr(data, 0, len);
                ck_assert_msg(eightbit_is_ascii_text(data, len) == want,
                              "len %zu, 0x%02x at %zu", len, bad[b], at);
                ck_assert(want == (at == len || bad[b] == 0x7f || bad[b] == 0x01));
            }
        }
    }
}
END_TEST

Suite *mail_compose_suite(void)
{
    Suite *s = suite_create("mail_compose");
    TCase *tc = tcase_create("message");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_build_shapes, 0, (int)ARRAY_LEN(shapes));
    tcase_add_test(tc, test_build_generated);
    tcase_add_test(tc, test_build_odd_field_names);
    tcase_add_test(tc, test_build_from_memo_changes);
    tcase_add_test(tc, test_build_text_memo_changes);
    suite_add_tcase(s, tc);
    tc = tcase_create("pieces");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_text_part_generated);
    tcase_add_test(tc, test_fold_direct_and_general);
    tcase_add_loop_test(tc, test_plain_address, 0, (int)ARRAY_LEN(plain_specs));
    tcase_add_test(tc, test_address_value_generated);
    tcase_add_test(tc, test_message_id_cut);
    tcase_add_test(tc, test_first_8bit_every_place);
    tcase_add_test(tc, test_ascii_text_every_place);
    tcase_add_test(tc, test_plain_address_generated);
    suite_add_tcase(s, tc);
    return s;
}
