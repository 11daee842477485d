/* The byte buffer: the inline paths (room left) and the growing ones give the
 * same bytes, at every size around every capacity, with the NUL kept. */
#include <check.h>
#include <string.h>

#include "core/buf.h"

/* Appends n bytes of a known pattern by way of op (0 append, 1 putc, 2 puts). */
static void add(buf_t *b, int op, const char *src, size_t n)
{
    char tmp[256];
    switch (op) {
    case 0:
        buf_append(b, src, n);
        break;
    case 1:
        for (size_t i = 0; i < n; i++)
            buf_putc(b, src[i]);
        break;
    default:
        memcpy(tmp, src, n);
        tmp[n] = '\0';
        buf_puts(b, tmp);
        break;
    }
}

START_TEST(test_append_every_size_around_capacity)
{
    char src[256];
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (char)('a' + i % 26);
    for (int op = 0; op < 3; op++) {
        /* first fill 0..200 bytes, then add 0..140: crosses 64 and 128 from every side */
        for (size_t first = 0; first <= 200; first += 3) {
            for (size_t more = 0; more <= 140; more++) {
                buf_t b = BUF_INIT;
                add(&b, op, src, first);
                add(&b, op, src + first % 50, more);
                ck_assert_uint_eq(b.len, first + more);
                ck_assert(b.cap > b.len || b.cap == 0);
                ck_assert(b.len == 0 || memcmp(b.data, src, first) == 0);
                ck_assert(more == 0 || memcmp(b.data + first, src + first % 50, more) == 0);
                ck_assert_int_eq(b.len ? b.data[b.len] : 0, 0);
                ck_assert_uint_eq(strlen(buf_cstr(&b)), b.len);
                buf_free(&b);
            }
        }
    }
}
END_TEST

START_TEST(test_reserve_then_fill)
{
    for (size_t extra = 0; extra < 300; extra++) {
        buf_t b = BUF_INIT;
        buf_puts(&b, "x");
        buf_reserve(&b, extra);
        ck_assert_uint_ge(b.cap, b.len + extra + 1);
        uint8_t *before = b.data;
        size_t cap = b.cap;
        for (size_t i = 0; i < extra; i++)
            buf_putc(&b, 'y');
        /* what was reserved is there: no move */
        ck_assert_ptr_eq(b.data, before);
        ck_assert_uint_eq(b.cap, cap);
        ck_assert_uint_eq(b.len, extra + 1);
        ck_assert_int_eq(b.data[b.len], 0);
        buf_free(&b);
    }
}
END_TEST

START_TEST(test_empty_appends)
{
    buf_t b = BUF_INIT;
    buf_append(&b, NULL, 0);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_str_eq(buf_cstr(&b), "");
    buf_puts(&b, "");
    buf_append(&b, "ab", 2);
    buf_reset(&b);
    buf_append(&b, "cd", 0);
    ck_assert_str_eq(buf_cstr(&b), "");
    buf_printf(&b, "%d-%s", 42, "z");
    ck_assert_str_eq(buf_cstr(&b), "42-z");
    buf_free(&b);
}
END_TEST

Suite *core_buf_suite(void)
{
    Suite *s = suite_create("core_buf");
    TCase *tc = tcase_create("buf");
    tcase_add_test(tc, test_append_every_size_around_capacity);
    tcase_add_test(tc, test_reserve_then_fill);
    tcase_add_test(tc, test_empty_appends);
    suite_add_tcase(s, tc);
    return s;
}
