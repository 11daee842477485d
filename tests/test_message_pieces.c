/*
 * A message built in pieces (message_build_pieces): its header and the text
 * memo's shared entity, which together are what message_build_shaped writes;
 * and the shared block, which stays as it was for whoever holds it while the
 * memo moves on to other texts.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mail/message.h"

static const char *const to_one[] = {"roberto@roberto.example"};
static const char *const to_two[] = {"roberto@roberto.example", "Carol <carol@c.example>"};

static const mime_attachment_t attachment = {"a.txt", "text/plain", (const uint8_t *)"abc", 3};
static const message_field_t plain_field = {"X-Lab", "one"};
static const message_field_t dot_field = {".X-Dot", "two"};

/* A text over what the memo keeps: made once. */
static char *long_text(void)
{
    static char *text;
    if (!text) {
        size_t n = MESSAGE_TEXT_MEMO_MAX + 100;
        text = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            text[i] = i % 70 == 69 ? '\n' : (char)('a' + i % 26);
        text[n] = '\0';
    }
    return text;
}

typedef struct piece_case {
    const char *text; /* "LONG": long_text() */
    const char *html;
    bool attach;
    bool allow_8bit;
    const message_field_t *field;
    const char *subject;
    bool two_to;
    bool pieces; /* whether the memo serves it: the entity goes as a block */
} piece_case_t;

static const piece_case_t cases[] = {
    {"Hi Roberto,\nlunch?\n", NULL, false, true, NULL, "Lunch", false, true},
    {"Hi Roberto,\r\nlunch?\r\n", NULL, false, true, NULL, NULL, true, true},
    {"no line end at all", NULL, false, false, NULL, "x", false, true},
    {"", NULL, false, true, NULL, "empty", false, true},
    {NULL, NULL, false, true, NULL, "none", false, true},
    {"\r\r\n\n\r", NULL, false, true, NULL, "bare ends", false, true},
    {".\n..\n.hidden\r\n.", NULL, false, true, NULL, "dots", false, true},
    {"Γεια σου Ρομπέρτο\n", NULL, false, true, NULL, "8-bit", false, true},
    {"Γεια σου Ρομπέρτο\n", NULL, false, false, NULL, "quoted-printable", false, true},
    {"plain\n", NULL, false, true, NULL, "Καλημέρα", false, true}, /* 8-bit header only */
    {"plain\n", NULL, false, true, &plain_field, "a field", false, true},
    {"plain\n", NULL, false, true, &dot_field, "a dot field", false, true},
    {"See attached.", NULL, true, true, NULL, "attached", false, false},
    {"See attached.", "<p>See attached.</p>", false, true, NULL, "html", false, false},
    {"LONG", NULL, false, true, NULL, "long", false, false},
};

static message_spec_t case_spec(const piece_case_t *c)
{
    return (message_spec_t){
        .from = "Alice <alice@alice.example>",
        .to = c->two_to ? to_two : to_one,
        .to_count = c->two_to ? 2 : 1,
        .subject = c->subject,
        .text = c->text && strcmp(c->text, "LONG") == 0 ? long_text() : c->text,
        .html = c->html,
        .attachments = c->attach ? &attachment : NULL,
        .attachment_count = c->attach ? 1 : 0,
        .fields = c->field,
        .field_count = c->field ? 1 : 0,
        .date = 90 * SIM_SEC,
        .tz_minutes = 120,
        .counter = 7,
        .seed = 0xfeed,
        .host = "alice.example",
        .allow_8bit = c->allow_8bit,
    };
}

/* out's bytes after start, then text's: what the pieces make together. */
static void join(const buf_t *out, size_t start, const message_text_t *text, buf_t *joined)
{
    buf_append(joined, out->data + start, out->len - start);
    if (text)
        buf_append(joined, text->data, text->len);
}

/* One build in pieces after what out holds already, checked against want. */
static void check_pieces(const message_spec_t *spec, const buf_t *want, int want_rc,
                         mime_shape_t want_shape, bool pieces, size_t n, int round)
{
    buf_t out = BUF_INIT, joined = BUF_INIT;
    buf_puts(&out, "kept\n.");
    message_text_t *text = (message_text_t *)&out; /* must be overwritten */
    mime_shape_t shape;
    ck_assert_int_eq(message_build_pieces(spec, &out, &text, &shape), want_rc);
    ck_assert_msg((text != NULL) == pieces, "case %zu round %d: pieces %d, want %d", n, round,
                  text != NULL, pieces);
    ck_assert(memcmp(out.data, "kept\n.", 6) == 0);
    ck_assert(out.data[out.len] == '\0');
    join(&out, 6, text, &joined);
    ck_assert_msg(joined.len == want->len && memcmp(joined.data, want->data, want->len) == 0,
                  "case %zu round %d: pieces differ from the one buffer", n, round);
    ck_assert_msg(shape.seven_bit == want_shape.seven_bit && shape.dot_safe == want_shape.dot_safe,
                  "case %zu round %d: shape differs", n, round);
    if (text) {
        /* the header alone before it, the final dot after it */
        ck_assert(memcmp(text->data, "Content-", 8) == 0);
        ck_assert(memcmp(text->data + text->len, ".\r\n", 4) == 0);
        ck_assert(out.len - 6 < 1024);
        message_text_release(text);
    }
    buf_free(&out);
    buf_free(&joined);
}

/*
 * The pieces together are the bytes, return and shape message_build_shaped
 * gives, with the memo empty, then holding the text, then after another text.
 */
START_TEST(test_pieces_same_as_one_buffer)
{
    const piece_case_t *c = &cases[_i];
    message_spec_t spec = case_spec(c);
    buf_t want = BUF_INIT;
    mime_shape_t want_shape;
    int want_rc = message_build_shaped(&spec, &want, &want_shape);
    message_text_memo_t memo = {0};
    spec.text_memo = &memo;
    for (int round = 0; round < 2; round++)
        check_pieces(&spec, &want, want_rc, want_shape, c->pieces, (size_t)_i, round);
    /* the one-buffer build through the same memo still gives the same bytes */
    buf_t again = BUF_INIT;
    mime_shape_t again_shape;
    ck_assert_int_eq(message_build_shaped(&spec, &again, &again_shape), want_rc);
    ck_assert(again.len == want.len && memcmp(again.data, want.data, want.len) == 0);
    /* another text in between: the memo moves on and comes back */
    message_spec_t other = spec;
    other.text = "something else\n";
    other.html = NULL;
    other.attachment_count = 0;
    buf_t unused = BUF_INIT;
    message_text_t *held = NULL;
    message_build_pieces(&other, &unused, &held, &again_shape);
    ck_assert(held != NULL);
    check_pieces(&spec, &want, want_rc, want_shape, c->pieces, (size_t)_i, 2);
    message_text_release(held);
    message_text_memo_free(&memo);
    buf_free(&want);
    buf_free(&again);
    buf_free(&unused);
}
END_TEST

/* Builds spec in pieces; returns the block, which the caller releases. */
static message_text_t *build_text(const message_spec_t *spec, buf_t *head)
{
    mime_shape_t shape;
    message_text_t *text = NULL;
    buf_reset(head);
    message_build_pieces(spec, head, &text, &shape);
    ck_assert(text != NULL);
    return text;
}

/*
 * A message holds its text's block while the memo changes to other texts
 * and is freed: the block stays intact until the last holder lets go (run
 * under ASan, a block freed early or twice shows).
 */
START_TEST(test_block_outlives_memo)
{
    message_text_memo_t memo = {0};
    message_spec_t spec = case_spec(&cases[0]);
    spec.text_memo = &memo;
    buf_t head = BUF_INIT, want_a = BUF_INIT, want_b = BUF_INIT;
    message_spec_t plain_a = spec, plain_b = spec;
    plain_a.text_memo = plain_b.text_memo = NULL;
    plain_b.text = "Γεια\n.dot\n";
    mime_shape_t shape;
    message_build_shaped(&plain_a, &want_a, &shape);
    message_build_shaped(&plain_b, &want_b, &shape);
    message_text_t *a1 = build_text(&spec, &head);
    size_t head_len = head.len;
    message_text_t *a2 = build_text(&spec, &head);
    ck_assert_ptr_eq(a1, a2); /* the same text: one block, shared */
    ck_assert_uint_eq(a1->shared.refs, 3);
    spec.text = plain_b.text;
    message_text_t *b = build_text(&spec, &head);
    ck_assert_ptr_ne(a1, b);
    ck_assert_uint_eq(a1->shared.refs, 2); /* the memo let go of it */
    /* back to the first text: a new block, the old one as it was */
    spec.text = plain_a.text;
    message_text_t *a3 = build_text(&spec, &head);
    ck_assert_ptr_ne(a3, a1);
    ck_assert(a3->len == a1->len && memcmp(a3->data, a1->data, a1->len + 4) == 0);
    ck_assert(memcmp(a1->data, want_a.data + head_len, a1->len) == 0);
    ck_assert_uint_eq(a1->len, want_a.len - head_len);
    ck_assert(b->len < want_b.len &&
              memcmp(b->data, want_b.data + want_b.len - b->len, b->len) == 0);
    ck_assert(b->shape.seven_bit == false && b->shape.dot_safe == false);
    /* a text too long to keep empties the memo; the holders keep theirs */
    spec.text = long_text();
    mime_shape_t long_shape;
    message_text_t *none = (message_text_t *)&head;
    buf_reset(&head);
    message_build_pieces(&spec, &head, &none, &long_shape);
    ck_assert_ptr_null(none);
    ck_assert_ptr_null(memo.text);
    ck_assert_uint_eq(a3->shared.refs, 1);
    message_text_memo_free(&memo);
    message_text_release(a2);
    ck_assert(memcmp(a1->data, want_a.data + head_len, a1->len) == 0);
    message_text_release(a1);
    message_text_release(b);
    message_text_release(a3);
    message_text_release(NULL);
    buf_free(&head);
    buf_free(&want_a);
    buf_free(&want_b);
}
END_TEST

Suite *message_pieces_suite(void)
{
    Suite *s = suite_create("message_pieces");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_pieces_same_as_one_buffer, 0, (int)ARRAY_LEN(cases));
    tcase_add_test(tc, test_block_outlives_memo);
    suite_add_tcase(s, tc);
    return s;
}
