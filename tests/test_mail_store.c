/* The mailbox store: accounts, UIDs, flags, copy/move, expunge, folders, LIST, quota, notices. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/store.h"
#include "mail/store_private.h"

/* ---- fixtures ---------------------------------------------------------- */

typedef struct seen_change {
    store_change_kind_t kind;
    char folder[64];
    char old_folder[64];
    uint32_t uid;
    char label[16];
} seen_change_t;

typedef struct recorder {
    seen_change_t changes[64];
    size_t n;
} recorder_t;

static void record(void *ctx, const store_change_t *c)
{
    recorder_t *r = ctx;
    ck_assert_uint_lt(r->n, 64);
    seen_change_t *s = &r->changes[r->n++];
    s->kind = c->kind;
    snprintf(s->folder, sizeof s->folder, "%s", c->folder ? c->folder : "");
    snprintf(s->old_folder, sizeof s->old_folder, "%s", c->old_folder ? c->old_folder : "");
    s->uid = c->uid;
    snprintf(s->label, sizeof s->label, "%s", c->label ? c->label : "");
}

static store_t *new_store(store_user_t **roberto)
{
    store_t *s = store_new();
    ck_assert_int_eq(store_add_domain(s, "roberto.example"), STORE_OK);
    ck_assert_int_eq(store_add_user(s, "roberto", "secret", "Ρομπέρτο", 0, roberto), STORE_OK);
    return s;
}

/* Appends "Message <label>\r\n" to f and returns its UID. */
static uint32_t put(store_folder_t *f, const char *label)
{
    char text[64];
    int n = snprintf(text, sizeof text, "Message %s\r\n", label);
    store_append_t a = {text, (size_t)n, 1000, 0, NULL, 0, label};
    uint32_t uid = 0;
    ck_assert_int_eq(store_append(f, &a, &uid), STORE_OK);
    return uid;
}

static void mark_deleted(store_folder_t *f, uint32_t uid)
{
    ck_assert_int_eq(store_flags_change(f, uid, STORE_FLAGS_ADD, STORE_FLAG_DELETED, NULL, 0),
                     STORE_OK);
}

/* ---- accounts ---------------------------------------------------------- */

START_TEST(test_find_user)
{
    store_user_t *roberto;
    store_t *s = new_store(&roberto);
    ck_assert_ptr_eq(store_find_user(s, "roberto"), roberto);
    ck_assert_ptr_eq(store_find_user(s, "roberto@roberto.example"), roberto);
    ck_assert_ptr_eq(store_find_user(s, "Roberto@ROBERTO.example"), roberto);
    ck_assert_ptr_null(store_find_user(s, "roberto@alice.example"));
    ck_assert_ptr_null(store_find_user(s, "alice"));
    ck_assert_ptr_null(store_find_user(s, "@roberto.example"));
    /* A name that starts alike, or differs in one octet, is another name. */
    static const char *const others[] = {"robert",
                                         "robertoo",
                                         "roberto@roberto.exampl",
                                         "roberto@roberto.example.",
                                         "robert@roberto.example",
                                         "roberto@xroberto.example",
                                         "roberto@roberto.examplf"};
    for (size_t i = 0; i < ARRAY_LEN(others); i++)
        ck_assert_msg(store_find_user(s, others[i]) == NULL, "%s was found", others[i]);
    /* Names of one length told apart by their first octet, of any case, or by a later one. */
    static const char *const same_len[] = {"anna", "Bnna", "[nna", "{nna", "\xc3nna", "annb"};
    store_user_t *u[ARRAY_LEN(same_len)];
    for (size_t i = 0; i < ARRAY_LEN(same_len); i++)
        ck_assert_int_eq(store_add_user(s, same_len[i], "x", NULL, 0, &u[i]), STORE_OK);
    static const struct {
        const char *name;
        size_t user; /* in same_len, or ARRAY_LEN(same_len) for none */
    } finds[] = {{"ANNA", 0},         {"bnna@ROBERTO.example", 1},
                 {"bNNA", 1},         {"[NNA", 2},
                 {"{nna", 3},         {"\xc3NNA", 4},
                 {"ANNB", 5},         {"{NNB", ARRAY_LEN(same_len)},
                 {"\xe3nna", ARRAY_LEN(same_len)}, {";nna", ARRAY_LEN(same_len)}};
    for (size_t i = 0; i < ARRAY_LEN(finds); i++)
        ck_assert_msg(store_find_user(s, finds[i].name) ==
                          (finds[i].user < ARRAY_LEN(same_len) ? u[finds[i].user] : NULL),
                      "%s", finds[i].name);
    ck_assert(store_has_domain(s, "ROBERTO.EXAMPLE"));
    ck_assert(!store_has_domain(s, "roberto.exampl"));
    ck_assert(!store_has_domain(s, "roberto.example.com"));
    ck_assert_int_eq(store_add_user(s, "ROBERTO", "x", NULL, 0, NULL), STORE_USER_EXISTS);
    ck_assert_int_eq(store_add_user(s, "a b", "x", NULL, 0, NULL), STORE_BAD_USER);
    ck_assert_int_eq(store_add_user(s, "a@b", "x", NULL, 0, NULL), STORE_BAD_USER);
    ck_assert_int_eq(store_add_user(s, "", "x", NULL, 0, NULL), STORE_BAD_USER);
    ck_assert_int_eq(store_add_domain(s, "bad domain"), STORE_BAD_DOMAIN);
    ck_assert(store_user_check_password(roberto, "secret"));
    ck_assert(!store_user_check_password(roberto, "Secret"));
    ck_assert_str_eq(store_user_display_name(roberto), "Ρομπέρτο");
    store_user_t *alice;
    ck_assert_int_eq(store_add_user(s, "alice", "pw", NULL, 0, &alice), STORE_OK);
    ck_assert_str_eq(store_user_display_name(alice), "alice");
    ck_assert_uint_eq(store_user_count(s), 2 + ARRAY_LEN(same_len));
    ck_assert_ptr_eq(store_user_at(s, 1 + ARRAY_LEN(same_len)), alice);
    ck_assert_str_eq(store_folder_name(store_inbox(alice)), "INBOX");
    store_free(s);
}
END_TEST

/* ---- UIDs -------------------------------------------------------------- */

START_TEST(test_uids_ascend_and_never_repeat)
{
    store_user_t *u;
    store_t *s = new_store(&u);
    store_folder_t *in = store_inbox(u);
    ck_assert_uint_eq(put(in, "m1"), 1);
    ck_assert_uint_eq(put(in, "m2"), 2);
    ck_assert_uint_eq(put(in, "m3"), 3);
    mark_deleted(in, 3);
    mark_deleted(in, 2);
    ck_assert_int_eq(store_expunge(in, NULL, 0, NULL), STORE_OK);
    ck_assert_uint_eq(store_folder_msg_count(in), 1);
    /* RFC 3501 2.3.1.1: the UID of an expunged message is never used again. */
    ck_assert_uint_eq(put(in, "m4"), 4);
    ck_assert_uint_eq(store_folder_uidnext(in), 5);
    uint32_t prev = 0;
    for (uint32_t seq = 1; seq <= store_folder_msg_count(in); seq++) {
        uint32_t uid = store_msg_uid(store_msg_by_seq(in, seq));
        ck_assert_msg(uid > prev, "seq %u: uid %u not above %u", seq, uid, prev);
        prev = uid;
    }
    store_free(s);
}
END_TEST

START_TEST(test_uidvalidity_changes_on_recreate)
{
    store_user_t *u;
    store_t *s = new_store(&u);
    store_folder_t *work;
    ck_assert_int_eq(store_folder_create(u, "Work", &work), STORE_OK);
    uint32_t first = store_folder_uidvalidity(work);
    ck_assert_uint_ne(first, store_folder_uidvalidity(store_inbox(u)));
    put(work, "m1");
    put(work, "m2");
    ck_assert_int_eq(store_folder_delete(u, "Work"), STORE_OK);
    ck_assert(!store_folder_exists(work));
    put(store_inbox(u), "other"); /* the old handle still answers, safely */
    store_append_t a = {"x", 1, 0, 0, NULL, 0, NULL};
    ck_assert_int_eq(store_append(work, &a, NULL), STORE_NO_FOLDER);
    store_folder_t *again;
    ck_assert_int_eq(store_folder_create(u, "Work", &again), STORE_OK);
    ck_assert_ptr_ne(again, work);
    ck_assert_msg(store_folder_uidvalidity(again) > first, "UIDVALIDITY %u then %u", first,
                  store_folder_uidvalidity(again));
    ck_assert_uint_eq(put(again, "m3"), 1);
    store_free(s);
}
END_TEST

START_TEST(test_fetch_by_seq_and_uid)
{
    store_user_t *u;
    store_t *s = new_store(&u);
    store_folder_t *in = store_inbox(u);
    for (int i = 0; i < 5; i++)
        put(in, (const char *[]){"a", "b", "c", "d", "e"}[i]);
    mark_deleted(in, 2);
    store_expunge(in, NULL, 0, NULL);
    uint32_t seq = 0;
    const store_msg_t *m = store_msg_by_uid(in, 4, &seq);
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(seq, 3);
    ck_assert_str_eq(store_msg_label(m), "d");
    ck_assert_uint_eq(store_msg_size(m), strlen("Message d\r\n"));
    ck_assert_mem_eq(store_msg_data(m), "Message d\r\n", store_msg_size(m));
    ck_assert_int_eq(store_msg_internal_date(m), 1000);
    ck_assert_ptr_eq(store_msg_by_seq(in, 3), m);
    ck_assert_ptr_null(store_msg_by_uid(in, 2, NULL));
    ck_assert_ptr_null(store_msg_by_seq(in, 0));
    ck_assert_ptr_null(store_msg_by_seq(in, 5));
    ck_assert_ptr_null(store_msg_by_uid(in, 99, NULL));
    store_free(s);
}
END_TEST

/* ---- flags ------------------------------------------------------------- */

START_TEST(test_flags)
{
    store_user_t *u;
    store_t *s = new_store(&u);
    store_folder_t *in = store_inbox(u);
    uint32_t uid = put(in, "m1");
    const store_msg_t *m = store_msg_by_uid(in, uid, NULL);
    ck_assert_uint_eq(store_msg_flags(m), STORE_FLAG_RECENT);
    store_flags_change(in, uid, STORE_FLAGS_ADD, STORE_FLAG_SEEN | STORE_FLAG_FLAGGED, NULL, 0);
    ck_assert_uint_eq(store_msg_flags(m), STORE_FLAG_RECENT | STORE_FLAG_SEEN | STORE_FLAG_FLAGGED);
    store_flags_change(in, uid, STORE_FLAGS_REMOVE, STORE_FLAG_SEEN | STORE_FLAG_RECENT, NULL, 0);
    ck_assert_uint_eq(store_msg_flags(m), STORE_FLAG_RECENT | STORE_FLAG_FLAGGED);
    store_flags_change(in, uid, STORE_FLAGS_REPLACE, STORE_FLAG_ANSWERED | STORE_FLAG_DRAFT, NULL,
                       0);
    /* \Recent is the server's: neither a replace nor a remove touches it. */
    ck_assert_uint_eq(store_msg_flags(m),
                      STORE_FLAG_RECENT | STORE_FLAG_ANSWERED | STORE_FLAG_DRAFT);

    const char *add[] = {"$Important", "Later", "$important"};
    ck_assert_int_eq(store_flags_change(in, uid, STORE_FLAGS_ADD, 0, add, 3), STORE_OK);
    ck_assert_uint_eq(store_msg_keyword_count(m), 2);
    ck_assert(store_msg_has_keyword(m, "$IMPORTANT"));
    const char *drop[] = {"later"};
    store_flags_change(in, uid, STORE_FLAGS_REMOVE, 0, drop, 1);
    ck_assert_uint_eq(store_msg_keyword_count(m), 1);
    ck_assert_str_eq(store_msg_keyword(m, 0), "$Important");
    const char *bad[] = {"Good", "bad word"};
    ck_assert_int_eq(store_flags_change(in, uid, STORE_FLAGS_REPLACE, 0, bad, 2),
                     STORE_BAD_KEYWORD);
    ck_assert_uint_eq(store_msg_keyword_count(m), 1);
    ck_assert_uint_eq(store_msg_flags(m),
                      STORE_FLAG_RECENT | STORE_FLAG_ANSWERED | STORE_FLAG_DRAFT);
    const char *only[] = {"Work"};
    store_flags_change(in, uid, STORE_FLAGS_REPLACE, 0, only, 1);
    ck_assert_uint_eq(store_msg_keyword_count(m), 1);
    ck_assert_str_eq(store_msg_keyword(m, 0), "Work");
    ck_assert_uint_eq(store_msg_flags(m), STORE_FLAG_RECENT);
    ck_assert_int_eq(store_flags_change(in, 42, STORE_FLAGS_ADD, STORE_FLAG_SEEN, NULL, 0),
                     STORE_NO_MESSAGE);
    store_free(s);
}
END_TEST

START_TEST(test_flag_names)
{
    ck_assert_uint_eq(store_flag_parse("\\seen"), STORE_FLAG_SEEN);
    ck_assert_uint_eq(store_flag_parse("\\DELETED"), STORE_FLAG_DELETED);
    ck_assert_uint_eq(store_flag_parse("\\Recent"), STORE_FLAG_RECENT);
    ck_assert_uint_eq(store_flag_parse("Seen"), 0);
    ck_assert_uint_eq(store_flag_parse("\\Bogus"), 0);
    ck_assert_str_eq(store_flag_name(STORE_FLAG_DRAFT), "\\Draft");
    ck_assert_ptr_null(store_flag_name(STORE_FLAG_SEEN | STORE_FLAG_DRAFT));
    buf_t b = BUF_INIT;
    store_flags_format(&b, STORE_FLAG_SEEN | STORE_FLAG_DELETED | STORE_FLAG_RECENT);
    ck_assert_str_eq(buf_cstr(&b), "\\Seen \\Deleted \\Recent");
    buf_free(&b);
    ck_assert(store_keyword_valid("$Forwarded"));
    ck_assert(!store_keyword_valid("\\Seen"));
    ck_assert(!store_keyword_valid("a(b"));
    ck_assert(!store_keyword_valid(""));
    ck_assert(!store_keyword_valid("caf\xc3\xa9"));
}
END_TEST

START_TEST(test_take_recent_and_status)
{
    store_user_t *u;
    store_t *s = new_store(&u);
    store_folder_t *in = store_inbox(u);
    put(in, "m1");
    put(in, "m2");
    store_flags_change(in, 1, STORE_FLAGS_ADD, STORE_FLAG_SEEN, NULL, 0);
    store_status_t st;
    store_folder_status(in, &st);
    ck_assert_uint_eq(st.messages, 2);
    ck_assert_uint_eq(st.recent, 2);
    ck_assert_uint_eq(st.unseen, 1);
    ck_assert_uint_eq(st.uidnext, 3);
    ck_assert_uint_eq(st.uidvalidity, store_folder_uidvalidity(in));
    ck_assert_uint_eq(store_folder_first_unseen(in), 2);
    uint32_t *uids = NULL;
    ck_assert_uint_eq(store_folder_take_recent(in, &uids), 2);
    ck_assert_uint_eq(uids[0], 1);
    ck_assert_uint_eq(uids[1], 2);
    free(uids);
    put(in, "m3");
    ck_assert_uint_eq(store_folder_take_recent(in, &uids), 1);
    ck_assert_uint_eq(uids[0], 3);
    free(uids);
    ck_assert_uint_eq(store_folder_take_recent(in, &uids), 0);
    ck_assert_ptr_null(uids);
    store_folder_status(in, &st);
    ck_assert_uint_eq(st.recent, 0);
    store_free(s);
}
END_TEST

/* ---- expunge, copy, move ----------------------------------------------- */

START_TEST(test_expunge_order)
{
    store_user_t *u;
    store_t *s = new_store(&u);
    store_folder_t *in = store_inbox(u);
    for (int i = 1; i <= 11; i++) {
        char label[8];
        snprintf(label, sizeof label, "m%d", i);
        put(in, label);
    }
    /* RFC 3501 7.4.1: deleting 3, 4, 7 and 11 reports 3, 3, 5, 8. */
    const uint32_t doomed[] = {11, 3, 7, 4};
    for (size_t i = 0; i < 4; i++)
        mark_deleted(in, doomed[i]);
    store_expunged_t e;
    ck_assert_int_eq(store_expunge(in, NULL, 0, &e), STORE_OK);
    const uint32_t want_seqs[] = {3, 3, 5, 8}, want_uids[] = {3, 4, 7, 11};
    ck_assert_uint_eq(e.count, 4);
    for (size_t i = 0; i < 4; i++) {
        ck_assert_msg(e.seqs[i] == want_seqs[i], "seq #%zu: got %u, want %u", i, e.seqs[i],
                      want_seqs[i]);
        ck_assert_msg(e.uids[i] == want_uids[i], "uid #%zu: got %u, want %u", i, e.uids[i],
                      want_uids[i]);
    }
    store_expunged_free(&e);
    ck_assert_uint_eq(store_folder_msg_count(in), 7);
    ck_assert_str_eq(store_msg_label(store_msg_by_seq(in, 3)), "m5");
    store_free(s);
}
END_TEST

START_TEST(test_uid_expunge_subset)
{
    store_user_t *u;
    store_t *s = new_store(&u);
    store_folder_t *in = store_inbox(u);
    for (int i = 0; i < 4; i++)
        put(in, "x");
    mark_deleted(in, 1);
    mark_deleted(in, 2);
    mark_deleted(in, 4);
    /* RFC 4315 UID EXPUNGE: only \Deleted messages among the given UIDs go. */
    const uint32_t only[] = {4, 3, 2};
    store_expunged_t e;
    store_expunge(in, only, 3, &e);
    ck_assert_uint_eq(e.count, 2);
    ck_assert_uint_eq(e.uids[0], 2);
    ck_assert_uint_eq(e.uids[1], 4);
    ck_assert_uint_eq(e.seqs[0], 2);
    ck_assert_uint_eq(e.seqs[1], 3);
    store_expunged_free(&e);
    ck_assert_uint_eq(store_folder_msg_count(in), 2);
    ck_assert_ptr_nonnull(store_msg_by_uid(in, 1, NULL));
    store_free(s);
}
END_TEST

START_TEST(test_copy)
{
    store_user_t *u;
    store_t *s = new_store(&u);
    store_folder_t *in = store_inbox(u), *arch;
    store_folder_create(u, "Archive", &arch);
    put(arch, "old"); /* so the destination's UIDs do not start at 1 */
    put(in, "m1");
    put(in, "m2");
    put(in, "m3");
    store_folder_take_recent(in, NULL);
    store_flags_change(in, 2, STORE_FLAGS_ADD, STORE_FLAG_SEEN, NULL, 0);
    const uint32_t uids[] = {3, 99, 2};
    store_uid_map_t map;
    ck_assert_int_eq(store_copy(in, uids, 3, arch, &map), STORE_OK);
    ck_assert_uint_eq(map.count, 2);
    ck_assert_uint_eq(map.uidvalidity, store_folder_uidvalidity(arch));
    ck_assert_uint_eq(map.src_uids[0], 2);
    ck_assert_uint_eq(map.dst_uids[0], 2);
    ck_assert_uint_eq(map.src_uids[1], 3);
    ck_assert_uint_eq(map.dst_uids[1], 3);
    store_uid_map_free(&map);
    const store_msg_t *copy = store_msg_by_uid(arch, 2, NULL);
    ck_assert_str_eq(store_msg_label(copy), "m2");
    ck_assert_uint_eq(store_msg_flags(copy), STORE_FLAG_SEEN | STORE_FLAG_RECENT);
    /* The copy shares the original's bytes. */
    ck_assert_ptr_eq(store_msg_data(copy), store_msg_data(store_msg_by_uid(in, 2, NULL)));
    ck_assert_uint_eq(store_folder_msg_count(in), 3);
    /* "old" (13 bytes), three originals and two copies of 12 bytes. */
    ck_assert_uint_eq(store_user_used(u), 13 + 5 * strlen("Message m1\r\n"));
    /* Copy into the same folder. */
    const uint32_t one = 1;
    ck_assert_int_eq(store_copy(in, &one, 1, in, NULL), STORE_OK);
    ck_assert_str_eq(store_msg_label(store_msg_by_uid(in, 4, NULL)), "m1");
    store_free(s);
}
END_TEST

START_TEST(test_move)
{
    recorder_t rec = {.n = 0};
    store_user_t *u;
    store_t *s = new_store(&u);
    store_folder_t *in = store_inbox(u), *school;
    store_folder_create(u, "Σχολή", &school);
    for (int i = 0; i < 4; i++)
        put(in, (const char *[]){"m1", "m2", "m3", "m4"}[i]);
    uint64_t used = store_user_used(u);
    store_set_observer(s, record, &rec);
    const uint32_t uids[] = {2, 4};
    store_uid_map_t map;
    store_expunged_t e;
    ck_assert_int_eq(store_move(in, uids, 2, school, &map, &e), STORE_OK);
    ck_assert_uint_eq(map.count, 2);
    ck_assert_uint_eq(map.dst_uids[0], 1);
    ck_assert_uint_eq(map.dst_uids[1], 2);
    ck_assert_uint_eq(e.count, 2);
    ck_assert_uint_eq(e.seqs[0], 2);
    ck_assert_uint_eq(e.seqs[1], 3);
    store_uid_map_free(&map);
    store_expunged_free(&e);
    ck_assert_uint_eq(store_folder_msg_count(in), 2);
    ck_assert_uint_eq(store_folder_msg_count(school), 2);
    ck_assert_uint_eq(store_folder_count_label(school, "m4"), 1);
    ck_assert_uint_eq(store_folder_count_label(in, "m4"), 0);
    ck_assert_uint_eq(store_user_used(u), used);
    /* Two arrivals in the destination, then two removals from the source. */
    ck_assert_uint_eq(rec.n, 4);
    ck_assert_int_eq(rec.changes[0].kind, STORE_CHANGE_COPY);
    ck_assert_str_eq(rec.changes[0].folder, "Σχολή");
    ck_assert_str_eq(rec.changes[0].label, "m2");
    ck_assert_int_eq(rec.changes[3].kind, STORE_CHANGE_EXPUNGE);
    ck_assert_str_eq(rec.changes[3].folder, "INBOX");
    ck_assert_uint_eq(rec.changes[3].uid, 4);
    store_free(s);
}
END_TEST

/* ---- quota ------------------------------------------------------------- */

START_TEST(test_quota)
{
    store_t *s = store_new();
    store_user_t *u;
    ck_assert_int_eq(store_add_user(s, "roberto", "pw", NULL, 30, &u), STORE_OK);
    store_folder_t *in = store_inbox(u);
    char data[20] = "0123456789012345678";
    store_append_t a = {data, 20, 0, 0, NULL, 0, "m1"};
    ck_assert_int_eq(store_append(in, &a, NULL), STORE_OK);
    ck_assert(store_user_would_exceed_quota(u, 11));
    ck_assert(!store_user_would_exceed_quota(u, 10));
    a.label = "m2";
    ck_assert_int_eq(store_append(in, &a, NULL), STORE_QUOTA);
    ck_assert_uint_eq(store_folder_msg_count(in), 1);
    ck_assert_uint_eq(store_user_used(u), 20);
    store_folder_t *other;
    store_folder_create(u, "Other", &other);
    const uint32_t one = 1;
    ck_assert_int_eq(store_copy(in, &one, 1, other, NULL), STORE_QUOTA);
    ck_assert_uint_eq(store_folder_msg_count(other), 0);
    /* A move inside the account needs no room. */
    ck_assert_int_eq(store_move(in, &one, 1, other, NULL, NULL), STORE_OK);
    ck_assert_uint_eq(store_user_used(u), 20);
    store_folder_delete(u, "Other");
    ck_assert_uint_eq(store_user_used(u), 0);
    a.size = 10;
    ck_assert_int_eq(store_append(in, &a, NULL), STORE_OK);
    store_user_set_quota(u, 0);
    ck_assert(!store_user_would_exceed_quota(u, UINT64_MAX));
    ck_assert_int_eq(store_deliver(u, data, 20, 0, "m3", NULL), STORE_OK);
    store_free(s);
}
END_TEST

/* A delivery in two parts is one message of both, counted in full against the quota. */
START_TEST(test_deliver_parts)
{
    store_t *s = store_new();
    store_user_t *u;
    ck_assert_int_eq(store_add_user(s, "roberto", "pw", NULL, 40, &u), STORE_OK);
    uint32_t uid = 0;
    ck_assert_int_eq(store_deliver_parts(u, "Return-Path: <a@b>\r\n", 20, "S: x\r\n\r\nb", 9, 7,
                                         "m1", &uid),
                     STORE_OK);
    const store_msg_t *m = store_msg_by_uid(store_inbox(u), uid, NULL);
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(store_msg_size(m), 29);
    ck_assert_str_eq((const char *)store_msg_data(m), "Return-Path: <a@b>\r\nS: x\r\n\r\nb");
    ck_assert_str_eq(store_msg_label(m), "m1");
    ck_assert_uint_eq(store_user_used(u), 29);
    /* 29 + 6 + 6 is past 40, though either part alone would fit. */
    ck_assert_int_eq(store_deliver_parts(u, "head\r\n", 6, "data\r\n", 6, 0, NULL, NULL),
                     STORE_QUOTA);
    ck_assert_int_eq(store_deliver_parts(u, NULL, 0, "data\r\n", 6, 0, NULL, &uid), STORE_OK);
    m = store_msg_by_uid(store_inbox(u), uid, NULL);
    ck_assert_str_eq((const char *)store_msg_data(m), "data\r\n");
    store_free(s);
}
END_TEST

/* A body built once and delivered to two users: both hold it, with the bytes and label store_deliver gives. */
START_TEST(test_deliver_body_shared)
{
    store_t *s = store_new();
    store_user_t *ann, *bob, *tiny;
    ck_assert_int_eq(store_add_user(s, "ann", "pw", NULL, 0, &ann), STORE_OK);
    ck_assert_int_eq(store_add_user(s, "bob", "pw", NULL, 0, &bob), STORE_OK);
    ck_assert_int_eq(store_add_user(s, "tiny", "pw", NULL, 10, &tiny), STORE_OK);
    static const char text[] = "Return-Path: <a@b>\r\nS: x\r\n\r\nb";
    uint8_t *p;
    store_body_t *b = store_body_new(sizeof text - 1, "m1", &p);
    memcpy(p, text, sizeof text - 1);
    ck_assert_uint_eq(store_body_size(b), sizeof text - 1);
    ck_assert_str_eq((const char *)store_body_data(b), text);
    uint32_t uid_ann = 0, uid_bob = 0, uid_copy = 0;
    ck_assert_int_eq(store_deliver_body(ann, b, 7, &uid_ann), STORE_OK);
    ck_assert_int_eq(store_deliver_body(bob, b, 7, &uid_bob), STORE_OK);
    ck_assert_int_eq(store_deliver_body(tiny, b, 7, NULL), STORE_QUOTA);
    ck_assert_int_eq(store_deliver(ann, text, sizeof text - 1, 7, "m1", &uid_copy), STORE_OK);
    store_body_unref(b);
    const store_msg_t *shared = store_msg_by_uid(store_inbox(ann), uid_ann, NULL);
    const store_msg_t *copy = store_msg_by_uid(store_inbox(ann), uid_copy, NULL);
    ck_assert_uint_eq(store_msg_size(shared), store_msg_size(copy));
    ck_assert_str_eq((const char *)store_msg_data(shared), (const char *)store_msg_data(copy));
    ck_assert_str_eq(store_msg_label(shared), "m1");
    ck_assert_uint_eq(store_msg_internal_date(shared), store_msg_internal_date(copy));
    ck_assert_uint_eq(store_msg_flags(shared), store_msg_flags(copy));
    ck_assert_uint_eq(store_user_used(ann), 2 * (sizeof text - 1));
    const store_msg_t *other = store_msg_by_uid(store_inbox(bob), uid_bob, NULL);
    ck_assert_str_eq((const char *)store_msg_data(other), text);
    ck_assert_uint_eq(store_user_used(tiny), 0);
    /* Without a label, as store_deliver with NULL. */
    b = store_body_new(0, NULL, &p);
    ck_assert_int_eq(store_deliver_body(bob, b, 0, &uid_bob), STORE_OK);
    store_body_unref(b);
    ck_assert_ptr_null(store_msg_label(store_msg_by_uid(store_inbox(bob), uid_bob, NULL)));
    store_free(s);
}
END_TEST

/* ---- the bodies' blocks ------------------------------------------------ */

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

#define BODIES 2500u

/* The octet at i of body k: differs between neighbours, so a body written over shows. */
static uint8_t body_octet(size_t k, size_t i)
{
    return (uint8_t)('a' + (k * 7 + i) % 26);
}

static size_t body_len(size_t k)
{
    return 1500 + (k * 37) % 1800; /* around the 2 KB of a usual message */
}

static store_body_t *body_made(size_t k)
{
    char label[32];
    snprintf(label, sizeof label, "<m%zu@x>", k);
    uint8_t *p;
    store_body_t *b = store_body_new(body_len(k), k % 5 ? label : NULL, &p);
    for (size_t i = 0; i < body_len(k); i++)
        p[i] = body_octet(k, i);
    return b;
}

static void body_intact(const store_body_t *b, size_t k)
{
    ck_assert_uint_eq(store_body_size(b), body_len(k));
    const uint8_t *d = store_body_data(b);
    size_t bad = 0;
    for (size_t i = 0; i < body_len(k); i++)
        bad += d[i] != body_octet(k, i);
    ck_assert_uint_eq(bad, 0);
    ck_assert_uint_eq(d[body_len(k)], 0);
    char label[32];
    snprintf(label, sizeof label, "<m%zu@x>", k);
    if (k % 5)
        ck_assert_str_eq(store_body_label(b), label);
    else
        ck_assert_ptr_null(store_body_label(b));
}

/* Thousands of bodies over several blocks, freed in a shuffled order: the
 * others keep their bytes and labels, and emptied blocks go back. */
START_TEST(test_body_blocks_random_free)
{
    store_body_stats_t before, st;
    store_body_stats(&before);
    static store_body_t *bodies[BODIES];
    static size_t order[BODIES];
    for (size_t k = 0; k < BODIES; k++) {
        bodies[k] = body_made(k);
        order[k] = k;
    }
    store_body_stats(&st);
    ck_assert_uint_eq(st.in_blocks, before.in_blocks + BODIES);
    ck_assert_uint_eq(st.big, before.big);
    /* 2500 bodies of 1.5 to 3.3 KB: at least two blocks beyond what there was. */
    ck_assert_uint_ge(st.blocks, before.blocks + 2);
    size_t most = st.blocks;
    /* A shared one outlives the first unref. */
    store_body_ref(bodies[0]);
    store_body_unref(bodies[0]);
    body_intact(bodies[0], 0);
    uint64_t x = 88172645463325252u; /* xorshift: the same shuffle every run */
    for (size_t k = BODIES - 1; k > 0; k--) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t j = (size_t)(x % (k + 1));
        size_t t = order[k];
        order[k] = order[j];
        order[j] = t;
    }
    for (size_t n = 0; n < BODIES; n++) {
        store_body_unref(bodies[order[n]]);
        bodies[order[n]] = NULL;
        if (n % 1000 == 0)
            for (size_t k = 0; k < BODIES; k++)
                if (bodies[k])
                    body_intact(bodies[k], k);
    }
    store_body_stats(&st);
    ck_assert_uint_eq(st.in_blocks, before.in_blocks);
    /* All gone back but the one being cut from. */
    ck_assert_uint_lt(st.blocks, most);
    ck_assert_uint_le(st.blocks, before.blocks + 1);
    /* The kept block is cut again: no new block for the next body. */
    size_t kept = st.blocks;
    store_body_t *again = body_made(1);
    store_body_stats(&st);
    ck_assert_uint_eq(st.blocks, kept > 0 ? kept : 1);
    body_intact(again, 1);
    store_body_unref(again);
}
END_TEST

/* A block goes back as soon as its last body does, once it is no longer the one being cut from. */
START_TEST(test_body_block_given_back)
{
    store_body_stats_t before, st;
    store_body_stats(&before);
    /* Fill on until a new block is started: the first body seen there is in the new one. */
    static store_body_t *first[1100];
    size_t n = 0;
    do {
        ck_assert_uint_lt(n, 1100);
        first[n] = body_made(n);
        n++;
        store_body_stats(&st);
    } while (st.blocks < before.blocks + (before.blocks ? 1 : 2));
    size_t full = st.blocks;
    /* All but the last (in the new block): the full block goes back. */
    for (size_t k = 0; k + 1 < n; k++)
        store_body_unref(first[k]);
    store_body_stats(&st);
    ck_assert_uint_eq(st.blocks, full - 1);
    body_intact(first[n - 1], n - 1);
    store_body_unref(first[n - 1]);
    store_body_stats(&st);
    ck_assert_uint_eq(st.blocks, full - 1);
    ck_assert_uint_eq(st.in_blocks, before.in_blocks);
}
END_TEST

/* Bodies that pass and bodies that stay are cut from blocks of their own:
 * once every passing body is gone, their full block goes back, though
 * bodies that stay were made between them (cut from one block, none would). */
START_TEST(test_body_lives_apart)
{
    enum { N = 1500 }; /* about 3 MB of each: two blocks each */
    static store_body_t *stays[N], *passes[N];
    store_body_stats_t before, st;
    store_body_stats(&before);
    for (size_t i = 0; i < N; i++) {
        uint8_t *room, *head;
        stays[i] = store_body_reserve(0, 2000, STORE_BODY_STAYS, &room);
        memset(room, 's', 1999);
        ck_assert(store_body_finish(stays[i], 0, 1999, NULL, &head));
        passes[i] = store_body_reserve(0, 2000, STORE_BODY_PASSES, &room);
        memset(room, 'p', 1999);
        ck_assert(store_body_finish(passes[i], 0, 1999, NULL, &head));
    }
    store_body_stats(&st);
    size_t made = st.blocks - before.blocks;
    ck_assert_uint_ge(made, 4);
    for (size_t i = 0; i < N; i++)
        store_body_unref(passes[i]);
    store_body_stats(&st);
    ck_assert_uint_eq(st.blocks, before.blocks + made - 1);
    for (size_t i = 0; i < N; i++) {
        ck_assert_uint_eq(store_body_size(stays[i]), 1999);
        const uint8_t *d = store_body_data(stays[i]);
        ck_assert_msg(d[0] == 's' && d[1998] == 's' && d[1999] == '\0', "body %zu", i);
        store_body_unref(stays[i]);
    }
    store_body_stats(&st);
    ck_assert_uint_eq(st.in_blocks, before.in_blocks);
}
END_TEST

/* Past STORE_BODY_BIG octets in all, a body is malloc'd on its own. */
START_TEST(test_body_big_malloc)
{
    store_body_stats_t before, st;
    store_body_stats(&before);
    /* The header, the data, its NUL and "L" with its NUL: exactly the limit, then one more. */
    size_t fits = STORE_BODY_BIG - sizeof(store_body_t) - 1 - 2;
    uint8_t *p;
    store_body_t *at = store_body_new(fits, "L", &p);
    memset(p, 'x', fits);
    store_body_t *over = store_body_new(fits + 1, "L", &p);
    memset(p, 'y', fits + 1);
    store_body_t *huge = store_body_new(3 * STORE_BODY_BLOCK, NULL, &p);
    memset(p, 'z', 3 * STORE_BODY_BLOCK);
    store_body_stats(&st);
    ck_assert_uint_eq(st.in_blocks, before.in_blocks + 1);
    ck_assert_uint_eq(st.big, before.big + 2);
    ck_assert_uint_eq(store_body_size(over), fits + 1);
    ck_assert_uint_eq(store_body_data(over)[fits], 'y');
    ck_assert_uint_eq(store_body_data(over)[fits + 1], 0);
    ck_assert_str_eq(store_body_label(over), "L");
    ck_assert_str_eq(store_body_label(at), "L");
    ck_assert_uint_eq(store_body_data(huge)[3 * STORE_BODY_BLOCK - 1], 'z');
    store_body_unref(huge);
    store_body_unref(over);
    store_body_unref(at);
    store_body_stats(&st);
    ck_assert_uint_eq(st.big, before.big);
    ck_assert_uint_eq(st.in_blocks, before.in_blocks);
}
END_TEST

typedef struct reserve_case {
    size_t head_room, room; /* what is reserved */
    size_t head, size;      /* what is finished */
    const char *label;
    bool fits;
} reserve_case_t;

static const reserve_case_t reserve_cases[] = {
    {64, 100, 20, 50, "L", true},
    {64, 100, 64, 50, "L", true},              /* all the head room */
    {64, 100, 65, 50, "L", false},             /* a head too long */
    {64, 100, 0, 97, "L", true},               /* data, NUL, "L" and NUL: all the room */
    {64, 100, 0, 98, "L", false},              /* one octet too many */
    {64, 100, 0, 99, NULL, true},              /* no label: the data and its NUL */
    {64, 100, 0, 100, NULL, false},            /* no room for the NUL */
    {64, 100, 10, 0, "", true},                /* nothing but a head and an empty label */
    {0, 1, 0, 0, NULL, true},                  /* the least */
    {0, 0, 0, 0, NULL, true},                  /* no room asked: the NUL's still there */
    {70000, 100, 65535, 10, "L", true},        /* head room past 65,535: that much */
    {70000, 100, 65536, 10, "L", false},
    {8, STORE_BODY_BIG, 8, 5000, "<a@b>", true}, /* past a block's bodies: malloc'd */
};

/* A reserved body finished with a head in front of data written in place, or refused as it was. */
START_TEST(test_body_reserve_finish)
{
    const reserve_case_t *c = &reserve_cases[_i];
    store_body_stats_t before, st;
    store_body_stats(&before);
    uint8_t *room, *head;
    store_body_t *r = store_body_reserve(c->head_room, c->room, STORE_BODY_STAYS, &room);
    size_t usable = c->room < c->size ? c->room : c->size;
    for (size_t i = 0; i < usable; i++)
        room[i] = (uint8_t)('a' + i % 26);
    bool ok = store_body_finish(r, c->head, c->size, c->label, &head);
    ck_assert_int_eq(ok, c->fits);
    if (!ok) {
        /* As it was: the room still there, ready for a copy, then given back. */
        for (size_t i = 0; i < usable; i++)
            ck_assert_uint_eq(room[i], 'a' + i % 26);
        store_body_unref(r);
        store_body_stats(&st);
        ck_assert_uint_eq(st.in_blocks + st.big, before.in_blocks + before.big);
        return;
    }
    ck_assert_ptr_eq(head + c->head, room);
    memset(head, 'H', c->head);
    ck_assert_uint_eq(store_body_size(r), c->head + c->size);
    const uint8_t *d = store_body_data(r);
    ck_assert_ptr_eq(d, head);
    for (size_t i = 0; i < c->head; i++)
        ck_assert_uint_eq(d[i], 'H');
    for (size_t i = 0; i < c->size; i++)
        ck_assert_uint_eq(d[c->head + i], 'a' + i % 26);
    ck_assert_uint_eq(d[c->head + c->size], 0);
    if (c->label)
        ck_assert_str_eq(store_body_label(r), c->label);
    else
        ck_assert_ptr_null(store_body_label(r));
    /* Shared and given back like any body. */
    store_body_ref(r);
    store_body_unref(r);
    ck_assert_uint_eq(store_body_data(r)[0], c->head ? 'H' : (c->size ? 'a' : 0));
    store_body_unref(r);
    store_body_stats(&st);
    ck_assert_uint_eq(st.in_blocks + st.big, before.in_blocks + before.big);
}
END_TEST

/* The room a finished body did not use goes to the next body when nothing was cut after it. */
START_TEST(test_body_reserve_tail_back)
{
    uint8_t *room, *head;
    store_body_t *r = store_body_reserve(500, 3000, STORE_BODY_STAYS, &room);
    memcpy(room, "text", 4);
    ck_assert(store_body_finish(r, 3, 4, "lbl", &head));
    memcpy(head, "H: ", 3);
    uint8_t *p;
    store_body_t *next = store_body_new(10, NULL, &p);
    const char *end = store_body_label(r) + 4;
    /* Unless a block ended in between, the next body starts where r's label ends, aligned. */
    if (((uintptr_t)next ^ (uintptr_t)r) < STORE_BODY_BLOCK) {
        ck_assert_uint_ge((uintptr_t)next, (uintptr_t)end);
        ck_assert_uint_lt((uintptr_t)next, (uintptr_t)end + 16);
    }
    ck_assert_str_eq((const char *)store_body_data(r), "H: text");
    store_body_unref(next);
    store_body_unref(r);
}
END_TEST

#if defined(__SANITIZE_ADDRESS__)
/* Under the address sanitizer the room around and after bodies is poisoned. */
START_TEST(test_body_block_poisoned)
{
    uint8_t *p;
    store_body_t *b = store_body_new(100, "lbl", &p);
    const uint8_t *d = store_body_data(b);
    ck_assert(!__asan_address_is_poisoned(d));
    ck_assert(!__asan_address_is_poisoned(d + 100 + 1 + 3)); /* the label's NUL */
    ck_assert(__asan_address_is_poisoned(d + 100 + 1 + 4));  /* past it */
    store_body_t *keep = store_body_new(10, NULL, &p); /* so the block stays */
    store_body_unref(b);
    ck_assert(__asan_address_is_poisoned(d));
    /* A reservation's head room and room left unused once finished. */
    uint8_t *room, *head;
    store_body_t *r = store_body_reserve(64, 200, STORE_BODY_PASSES, &room);
    ck_assert(store_body_finish(r, 8, 10, NULL, &head));
    ck_assert(__asan_address_is_poisoned(head - 16));
    ck_assert(!__asan_address_is_poisoned(head));
    ck_assert(!__asan_address_is_poisoned(room + 10));
    ck_assert(__asan_address_is_poisoned(room + 11));
    ck_assert(__asan_address_is_poisoned(room + 150));
    store_body_unref(r);
    store_body_unref(keep);
}
END_TEST
#endif

/* ---- folders ----------------------------------------------------------- */

static const char *const bad_names[] = {
    "", "/a", "a/", "a//b", "a*b", "a%", "tab\there", "caf\xc3", "\xc0\xaf",
};

START_TEST(test_bad_folder_names)
{
    store_user_t *u;
    store_t *s = new_store(&u);
    ck_assert_msg(store_folder_create(u, bad_names[_i], NULL) == STORE_BAD_NAME, "created \"%s\"",
                  bad_names[_i]);
    ck_assert_uint_eq(store_folder_count(u), 1);
    store_free(s);
}
END_TEST

/* The folder names, joined by spaces, in list order. */
static void names_are(store_user_t *u, const char *want)
{
    buf_t b = BUF_INIT;
    for (size_t i = 0; i < store_folder_count(u); i++) {
        store_folder_t *f = store_folder_at(u, i);
        buf_printf(&b, "%s%s%s", i ? " " : "", store_folder_name(f),
                   store_folder_selectable(f) ? "" : "(noselect)");
    }
    ck_assert_msg(strcmp(buf_cstr(&b), want) == 0, "folders: got \"%s\", want \"%s\"", buf_cstr(&b),
                  want);
    buf_free(&b);
}

START_TEST(test_create_and_delete)
{
    store_user_t *u;
    store_t *s = new_store(&u);
    ck_assert_int_eq(store_folder_create(u, "Σχολή/Εργασίες/2024", NULL), STORE_OK);
    names_are(u, "INBOX Σχολή Σχολή/Εργασίες Σχολή/Εργασίες/2024");
    ck_assert_int_eq(store_folder_create(u, "Σχολή", NULL), STORE_FOLDER_EXISTS);
    ck_assert_int_eq(store_folder_create(u, "inbox", NULL), STORE_FOLDER_EXISTS);
    ck_assert_ptr_eq(store_folder_find(u, "iNbOx"), store_inbox(u));
    ck_assert_int_eq(store_folder_delete(u, "INBOX"), STORE_INBOX);
    ck_assert_int_eq(store_folder_delete(u, "Inbox"), STORE_INBOX);
    ck_assert_int_eq(store_folder_delete(u, "Nope"), STORE_NO_FOLDER);
    /* RFC 3501 6.3.4: a folder with subfolders loses its messages and
     * stays as \Noselect; once \Noselect it cannot go while children remain. */
    store_folder_t *school = store_folder_find(u, "Σχολή");
    put(school, "m1");
    ck_assert_int_eq(store_folder_delete(u, "Σχολή"), STORE_OK);
    names_are(u, "INBOX Σχολή(noselect) Σχολή/Εργασίες Σχολή/Εργασίες/2024");
    ck_assert(store_folder_exists(school));
    ck_assert_uint_eq(store_folder_msg_count(school), 0);
    store_append_t a = {"x", 1, 0, 0, NULL, 0, NULL};
    ck_assert_int_eq(store_append(school, &a, NULL), STORE_NOSELECT);
    ck_assert_int_eq(store_folder_delete(u, "Σχολή"), STORE_HAS_CHILDREN);
    ck_assert_int_eq(store_folder_delete(u, "Σχολή/Εργασίες/2024"), STORE_OK);
    ck_assert_int_eq(store_folder_delete(u, "Σχολή/Εργασίες"), STORE_OK);
    names_are(u, "INBOX Σχολή(noselect)");
    ck_assert_int_eq(store_folder_delete(u, "Σχολή"), STORE_OK);
    names_are(u, "INBOX");
    /* A \Noselect name becomes a mailbox again when created. */
    store_folder_create(u, "a/b", NULL);
    store_folder_t *fa = store_folder_find(u, "a");
    uint32_t v = store_folder_uidvalidity(fa);
    store_folder_delete(u, "a");
    ck_assert_int_eq(store_folder_create(u, "a", NULL), STORE_OK);
    ck_assert(store_folder_selectable(fa));
    ck_assert_uint_gt(store_folder_uidvalidity(fa), v);
    store_free(s);
}
END_TEST

START_TEST(test_rename)
{
    store_user_t *u;
    store_t *s = new_store(&u);
    store_folder_create(u, "Work/2023/Q1", NULL);
    store_folder_create(u, "Works", NULL);
    store_folder_t *work = store_folder_find(u, "Work");
    uint32_t v = store_folder_uidvalidity(work);
    put(work, "m1");
    ck_assert_int_eq(store_folder_rename(u, "Work", "Old/Work"), STORE_OK);
    names_are(u, "INBOX Old Old/Work Old/Work/2023 Old/Work/2023/Q1 Works");
    ck_assert_str_eq(store_folder_name(work), "Old/Work");
    ck_assert_uint_eq(store_folder_uidvalidity(work), v);
    ck_assert_uint_eq(store_folder_msg_count(work), 1);
    ck_assert_int_eq(store_folder_rename(u, "Old", "Old/Inner"), STORE_RENAME_INTO_ITSELF);
    ck_assert_int_eq(store_folder_rename(u, "Old", "Works"), STORE_FOLDER_EXISTS);
    ck_assert_int_eq(store_folder_rename(u, "Gone", "New"), STORE_NO_FOLDER);
    ck_assert_int_eq(store_folder_rename(u, "Works", "INBOX"), STORE_FOLDER_EXISTS);
    ck_assert_int_eq(store_folder_rename(u, "Works", "a//b"), STORE_BAD_NAME);
    store_free(s);
}
END_TEST

START_TEST(test_rename_inbox)
{
    recorder_t rec = {.n = 0};
    store_user_t *u;
    store_t *s = new_store(&u);
    store_folder_t *in = store_inbox(u);
    store_folder_create(u, "INBOX/Sub", NULL);
    put(in, "m1");
    put(in, "m2");
    put(in, "m3");
    store_flags_change(in, 3, STORE_FLAGS_ADD, STORE_FLAG_SEEN, NULL, 0);
    uint32_t v = store_folder_uidvalidity(in);
    store_set_observer(s, record, &rec);
    /* RFC 3501 6.3.5: the messages move; INBOX stays, empty, with its children. */
    ck_assert_int_eq(store_folder_rename(u, "inbox", "INBOX/Old"), STORE_OK);
    names_are(u, "INBOX INBOX/Old INBOX/Sub");
    ck_assert_uint_eq(store_folder_msg_count(in), 0);
    ck_assert_uint_eq(store_folder_uidvalidity(in), v);
    ck_assert_uint_eq(store_folder_uidnext(in), 4);
    store_folder_t *old = store_folder_find(u, "INBOX/Old");
    ck_assert_uint_eq(store_folder_msg_count(old), 3);
    ck_assert_uint_ne(store_folder_uidvalidity(old), v);
    ck_assert_str_eq(store_msg_label(store_msg_by_seq(old, 3)), "m3");
    ck_assert_uint_eq(store_msg_flags(store_msg_by_seq(old, 3)) & STORE_FLAG_SEEN, STORE_FLAG_SEEN);
    ck_assert_uint_eq(put(in, "m4"), 4);
    ck_assert_uint_eq(rec.n, 2);
    ck_assert_int_eq(rec.changes[0].kind, STORE_CHANGE_FOLDER_RENAME);
    ck_assert_str_eq(rec.changes[0].old_folder, "INBOX");
    ck_assert_str_eq(rec.changes[0].folder, "INBOX/Old");
    store_free(s);
}
END_TEST

/* ---- LIST -------------------------------------------------------------- */

static const struct {
    const char *pattern, *name;
    bool want;
} list_cases[] = {
    {"*", "INBOX", true},
    {"*", "a/b/c", true},
    {"%", "a", true},
    {"%", "a/b", false},
    {"a/%", "a/b", true},
    {"a/%", "a/b/c", false},
    {"a/*", "a/b/c", true},
    {"a/*", "a", false},
    {"a*", "a", true},
    {"a*", "ab/c", true},
    {"a%", "ab/c", false},
    {"%/%", "a/b", true},
    {"%/b", "Σχολή/b", true},
    {"Σχ%", "Σχολή", true},
    {"Σχ%", "Σχολή/Εργασίες", false},
    {"inbox", "INBOX", true},
    {"Inbox/%", "INBOX/Sub", true},
    {"INBOX", "inboxes", false},
    {"", "INBOX", false},
    {"w*k", "work", true},
    {"w*k", "works", false},
    {"*/%", "a/b/c", true},
    {"%%%", "abc", true},
    {"a%b%c", "axxbyyc", true},
    {"a%b%c", "ax/bc", false},
};

START_TEST(test_list_match)
{
    bool got = store_list_match(list_cases[_i].pattern, list_cases[_i].name);
    ck_assert_msg(got == list_cases[_i].want, "\"%s\" vs \"%s\": got %d, want %d",
                  list_cases[_i].pattern, list_cases[_i].name, got, list_cases[_i].want);
}
END_TEST

START_TEST(test_list_and_lsub)
{
    store_user_t *u;
    store_t *s = new_store(&u);
    store_folder_create(u, "Σχολή/Εργασίες", NULL);
    store_folder_create(u, "Trash", NULL);
    store_folder_delete(u, "Σχολή");
    ck_assert_int_eq(store_subscribe(u, "Trash"), STORE_OK);
    ck_assert_int_eq(store_subscribe(u, "Gone"), STORE_OK);
    ck_assert_int_eq(store_subscribe(u, "inbox"), STORE_OK);
    ck_assert_int_eq(store_subscribe(u, "Trash"), STORE_OK);
    ck_assert_uint_eq(store_subscription_count(u), 3);
    ck_assert(store_is_subscribed(u, "INBOX"));
    store_list_item_t *items;
    size_t n = store_list(u, "", "%", &items);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(items[0].name, "INBOX");
    ck_assert_uint_eq(items[0].attrs, STORE_LIST_HAS_NO_CHILDREN | STORE_LIST_SUBSCRIBED);
    ck_assert_str_eq(items[1].name, "Trash");
    ck_assert_str_eq(items[2].name, "Σχολή");
    ck_assert_uint_eq(items[2].attrs, STORE_LIST_NOSELECT | STORE_LIST_HAS_CHILDREN);
    free(items);
    n = store_list(u, "Σχολή/", "*", &items);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(items[0].name, "Σχολή/Εργασίες");
    free(items);
    ck_assert_uint_eq(store_list(u, "", "nothing*", &items), 0);
    ck_assert_ptr_null(items);
    n = store_list_subscribed(u, "", "*", &items);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(items[0].name, "Gone");
    ck_assert_uint_eq(items[0].attrs,
                      STORE_LIST_SUBSCRIBED | STORE_LIST_NONEXISTENT | STORE_LIST_NOSELECT);
    ck_assert_str_eq(items[1].name, "INBOX");
    free(items);
    ck_assert_int_eq(store_unsubscribe(u, "Gone"), STORE_OK);
    ck_assert_int_eq(store_unsubscribe(u, "Gone"), STORE_NOT_SUBSCRIBED);
    ck_assert_str_eq(store_subscription_at(u, 0), "INBOX");
    store_free(s);
}
END_TEST

/* ---- notifications and labels ------------------------------------------ */

START_TEST(test_observer)
{
    recorder_t rec = {.n = 0};
    store_user_t *u;
    store_t *s = new_store(&u);
    store_set_observer(s, record, &rec);
    store_folder_t *in = store_inbox(u);
    put(in, "m1");
    store_flags_change(in, 1, STORE_FLAGS_ADD, STORE_FLAG_DELETED, NULL, 0);
    store_flags_change(in, 1, STORE_FLAGS_ADD, STORE_FLAG_DELETED, NULL, 0); /* no change */
    store_expunge(in, NULL, 0, NULL);
    store_folder_create(u, "A/B", NULL);
    store_folder_rename(u, "A", "C");
    store_folder_delete(u, "C/B");
    const struct {
        store_change_kind_t kind;
        const char *folder, *old;
        uint32_t uid;
        const char *label;
    } want[] = {
        {STORE_CHANGE_APPEND, "INBOX", "", 1, "m1"},
        {STORE_CHANGE_FLAGS, "INBOX", "", 1, "m1"},
        {STORE_CHANGE_EXPUNGE, "INBOX", "", 1, "m1"},
        {STORE_CHANGE_FOLDER_CREATE, "A", "", 0, ""},
        {STORE_CHANGE_FOLDER_CREATE, "A/B", "", 0, ""},
        {STORE_CHANGE_FOLDER_RENAME, "C", "A", 0, ""},
        {STORE_CHANGE_FOLDER_RENAME, "C/B", "A/B", 0, ""},
        {STORE_CHANGE_FOLDER_DELETE, "C/B", "", 0, ""},
    };
    ck_assert_uint_eq(rec.n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < rec.n; i++) {
        const seen_change_t *c = &rec.changes[i];
        ck_assert_msg(c->kind == want[i].kind, "#%zu: got %s, want %s", i,
                      store_change_kind_name(c->kind), store_change_kind_name(want[i].kind));
        ck_assert_str_eq(c->folder, want[i].folder);
        ck_assert_str_eq(c->old_folder, want[i].old);
        ck_assert_uint_eq(c->uid, want[i].uid);
        ck_assert_str_eq(c->label, want[i].label);
    }
    store_free(s);
}
END_TEST

START_TEST(test_find_label)
{
    store_user_t *u;
    store_t *s = new_store(&u);
    store_folder_t *in = store_inbox(u);
    put(in, "m1");
    put(in, "m2");
    put(in, "m1");
    store_append_t a = {"x", 1, 0, 0, NULL, 0, NULL};
    store_append(in, &a, NULL);
    ck_assert_ptr_null(store_msg_label(store_msg_by_seq(in, 4)));
    uint32_t seq = 0;
    ck_assert_ptr_nonnull(store_folder_find_label(in, "m1", 0, &seq));
    ck_assert_uint_eq(seq, 1);
    ck_assert_ptr_nonnull(store_folder_find_label(in, "m1", seq, &seq));
    ck_assert_uint_eq(seq, 3);
    ck_assert_ptr_null(store_folder_find_label(in, "m1", seq, &seq));
    ck_assert_uint_eq(store_folder_count_label(in, "m1"), 2);
    ck_assert_uint_eq(store_folder_count_label(in, "m9"), 0);
    store_free(s);
}
END_TEST

START_TEST(test_message_record_is_small)
{
    /* 100,000 messages among 100 servers: the per-message record stays at 32 bytes. */
    ck_assert_uint_le(sizeof(store_msg_t), 32);
    ck_assert_uint_le(sizeof(store_body_t), 16);
}
END_TEST

/* ---- POP3 maildrop ----------------------------------------------------- */

START_TEST(test_maildrop_commit)
{
    recorder_t rec = {.n = 0};
    store_user_t *u;
    store_t *s = new_store(&u);
    store_folder_t *in = store_inbox(u);
    put(in, "m1");
    put(in, "m2");
    put(in, "m3");
    store_maildrop_id_t id;
    ck_assert_int_eq(store_maildrop_open(s, u, &id), STORE_OK);
    put(in, "late"); /* not in the snapshot */
    store_maildrop_stat_t st;
    store_maildrop_stat(s, id, &st);
    ck_assert_uint_eq(st.messages, 3);
    ck_assert_uint_eq(st.live, 3);
    ck_assert_uint_eq(st.live_octets, 3 * strlen("Message m1\r\n"));
    store_maildrop_msg_t m;
    ck_assert_int_eq(store_maildrop_msg(s, id, 2, &m), STORE_OK);
    ck_assert_str_eq(m.label, "m2");
    ck_assert_mem_eq(m.data, "Message m2\r\n", m.size);
    char want_uidl[STORE_UIDL_SIZE];
    store_uidl_format(store_folder_uidvalidity(in), 2, want_uidl);
    ck_assert_str_eq(m.uidl, want_uidl);
    ck_assert_int_eq(store_maildrop_msg(s, id, 4, &m), STORE_NO_MESSAGE);
    ck_assert_int_eq(store_maildrop_delete(s, id, 1), STORE_OK);
    ck_assert_int_eq(store_maildrop_delete(s, id, 3), STORE_OK);
    ck_assert_int_eq(store_maildrop_delete(s, id, 3), STORE_MSG_DELETED);
    ck_assert_int_eq(store_maildrop_msg(s, id, 3, &m), STORE_MSG_DELETED);
    store_maildrop_stat(s, id, &st);
    ck_assert_uint_eq(st.live, 1);
    /* Marks do nothing to the folder until the UPDATE state. */
    ck_assert_uint_eq(store_folder_msg_count(in), 4);
    store_set_observer(s, record, &rec);
    uint32_t deleted = 0;
    ck_assert_int_eq(store_maildrop_commit(s, id, &deleted), STORE_OK);
    ck_assert_uint_eq(deleted, 2);
    ck_assert_uint_eq(rec.n, 2);
    ck_assert_int_eq(rec.changes[0].kind, STORE_CHANGE_DELETE);
    ck_assert_str_eq(rec.changes[0].label, "m1");
    ck_assert_uint_eq(store_folder_msg_count(in), 2);
    ck_assert(!store_user_maildrop_locked(u));
    ck_assert_int_eq(store_maildrop_stat(s, id, &st), STORE_NO_MAILDROP);
    /* The next session numbers from 1 again; UIDLs stay the same. */
    ck_assert_int_eq(store_maildrop_open(s, u, &id), STORE_OK);
    ck_assert_int_eq(store_maildrop_msg(s, id, 1, &m), STORE_OK);
    ck_assert_str_eq(m.uidl, want_uidl);
    ck_assert_int_eq(store_maildrop_rollback(s, id), STORE_OK);
    store_free(s);
}
END_TEST

START_TEST(test_maildrop_rollback_and_reset)
{
    store_user_t *u;
    store_t *s = new_store(&u);
    store_folder_t *in = store_inbox(u);
    put(in, "m1");
    put(in, "m2");
    store_maildrop_id_t id;
    store_maildrop_open(s, u, &id);
    store_maildrop_delete(s, id, 1);
    store_maildrop_delete(s, id, 2);
    ck_assert_int_eq(store_maildrop_reset(s, id), STORE_OK);
    store_maildrop_stat_t st;
    store_maildrop_stat(s, id, &st);
    ck_assert_uint_eq(st.live, 2);
    store_maildrop_delete(s, id, 2);
    ck_assert_int_eq(store_maildrop_rollback(s, id), STORE_OK);
    ck_assert_uint_eq(store_folder_msg_count(in), 2);
    ck_assert(!store_user_maildrop_locked(u));
    ck_assert_int_eq(store_maildrop_commit(s, id, NULL), STORE_NO_MAILDROP);
    store_free(s);
}
END_TEST

START_TEST(test_maildrop_lock_and_crash)
{
    store_user_t *u;
    store_t *s = new_store(&u);
    put(store_inbox(u), "m1");
    store_maildrop_id_t first, second;
    ck_assert_int_eq(store_maildrop_open(s, u, &first), STORE_OK);
    ck_assert(store_user_maildrop_locked(u));
    ck_assert_int_eq(store_maildrop_open(s, u, &second), STORE_LOCKED);
    store_maildrop_delete(s, first, 1);
    store_crash(s);
    ck_assert(!store_user_maildrop_locked(u));
    ck_assert_uint_eq(store_folder_msg_count(store_inbox(u)), 1);
    ck_assert_int_eq(store_maildrop_commit(s, first, NULL), STORE_NO_MAILDROP);
    ck_assert_int_eq(store_maildrop_open(s, u, &second), STORE_OK);
    ck_assert_uint_ne(second, first);
    store_free(s); /* frees the open maildrop too */
}
END_TEST

START_TEST(test_maildrop_survives_imap_expunge)
{
    store_user_t *u;
    store_t *s = new_store(&u);
    store_folder_t *in = store_inbox(u);
    put(in, "m1");
    put(in, "m2");
    store_maildrop_id_t id;
    store_maildrop_open(s, u, &id);
    mark_deleted(in, 1);
    store_expunge(in, NULL, 0, NULL);
    store_maildrop_msg_t m;
    ck_assert_int_eq(store_maildrop_msg(s, id, 1, &m), STORE_OK);
    ck_assert_mem_eq(m.data, "Message m1\r\n", m.size);
    store_maildrop_delete(s, id, 1);
    store_maildrop_delete(s, id, 2);
    uint32_t deleted = 9;
    store_maildrop_commit(s, id, &deleted);
    ck_assert_uint_eq(deleted, 1);
    ck_assert_uint_eq(store_folder_msg_count(in), 0);
    ck_assert_uint_eq(store_user_used(u), 0);
    store_free(s);
}
END_TEST

Suite *mail_store_suite(void)
{
    Suite *s = suite_create("mail_store");
    TCase *tc = tcase_create("messages");
    tcase_add_test(tc, test_find_user);
    tcase_add_test(tc, test_uids_ascend_and_never_repeat);
    tcase_add_test(tc, test_uidvalidity_changes_on_recreate);
    tcase_add_test(tc, test_fetch_by_seq_and_uid);
    tcase_add_test(tc, test_flags);
    tcase_add_test(tc, test_flag_names);
    tcase_add_test(tc, test_take_recent_and_status);
    tcase_add_test(tc, test_expunge_order);
    tcase_add_test(tc, test_uid_expunge_subset);
    tcase_add_test(tc, test_copy);
    tcase_add_test(tc, test_move);
    tcase_add_test(tc, test_quota);
    tcase_add_test(tc, test_deliver_parts);
    tcase_add_test(tc, test_deliver_body_shared);
    tcase_add_test(tc, test_observer);
    tcase_add_test(tc, test_find_label);
    tcase_add_test(tc, test_message_record_is_small);
    suite_add_tcase(s, tc);
    TCase *blocks = tcase_create("bodies");
    tcase_add_test(blocks, test_body_blocks_random_free);
    tcase_add_test(blocks, test_body_block_given_back);
    tcase_add_test(blocks, test_body_lives_apart);
    tcase_add_test(blocks, test_body_big_malloc);
    tcase_add_loop_test(blocks, test_body_reserve_finish, 0, (int)ARRAY_LEN(reserve_cases));
    tcase_add_test(blocks, test_body_reserve_tail_back);
#if defined(__SANITIZE_ADDRESS__)
    tcase_add_test(blocks, test_body_block_poisoned);
#endif
    suite_add_tcase(s, blocks);
    TCase *folders = tcase_create("folders");
    tcase_add_loop_test(folders, test_bad_folder_names, 0, sizeof bad_names / sizeof bad_names[0]);
    tcase_add_test(folders, test_create_and_delete);
    tcase_add_test(folders, test_rename);
    tcase_add_test(folders, test_rename_inbox);
    tcase_add_loop_test(folders, test_list_match, 0, sizeof list_cases / sizeof list_cases[0]);
    tcase_add_test(folders, test_list_and_lsub);
    suite_add_tcase(s, folders);
    TCase *pop = tcase_create("maildrop");
    tcase_add_test(pop, test_maildrop_commit);
    tcase_add_test(pop, test_maildrop_rollback_and_reset);
    tcase_add_test(pop, test_maildrop_lock_and_crash);
    tcase_add_test(pop, test_maildrop_survives_imap_expunge);
    suite_add_tcase(s, pop);
    return s;
}
