/*
 * IMAP FETCH and SEARCH: BODYSTRUCTURE, BODY and ENVELOPE of a multipart
 * message with an attachment and of a forwarded message, written out by hand
 * from the grammar of RFC 3501 9; body sections and partials; \Seen set by
 * BODY[] and not by BODY.PEEK[]; and a table of every SEARCH key over a
 * small folder.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "imap_fixture.h"

#define FORWARD                                                                                    \
    "From: Roberto <roberto@roberto.example>\r\n"                                                  \
    "To: alice@alice.example\r\n"                                                                  \
    "Subject: Fwd: hi\r\n"                                                                         \
    "Content-Type: multipart/mixed; boundary=\"B\"\r\n"                                            \
    "\r\n"                                                                                         \
    "--B\r\n"                                                                                      \
    "\r\n"                                                                                         \
    "see below\r\n"                                                                                \
    "--B\r\n"                                                                                      \
    "Content-Type: message/rfc822\r\n"                                                             \
    "\r\n"                                                                                         \
    "Subject: hi\r\n"                                                                              \
    "From: bob@b.example\r\n"                                                                      \
    "\r\n"                                                                                         \
    "hello\r\n"                                                                                    \
    "--B--\r\n"

/* Message 1: the multipart with an attachment; message 2: a forward of a message. */
static void open_two(imap_world_t *w, imap_session_t *c)
{
    imap_world_init(w);
    imap_world_deliver(w, imap_fixture_multipart, 0);
    imap_world_deliver(w, FORWARD, 60);
    imap_session_open(c, w, IMAP_CAP_DEFAULT);
    imap_session_login(c, "INBOX");
}

typedef struct fetch_case {
    const char *in;
    const char *want;
} fetch_case_t;

/* Derived by hand from RFC 3501 9 (body-type-mpart, body-type-text, body-ext-1part...). */
#define BS_TEXT "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 39 2 NIL NIL NIL NIL)"
#define BS_PDF                                                                                     \
    "(\"APPLICATION\" \"PDF\" (\"NAME\" \"report.pdf\") NIL NIL \"BASE64\" 12 NIL "                \
    "(\"ATTACHMENT\" (\"FILENAME\" \"report.pdf\")) NIL NIL)"
#define ALICE "((\"Alice\" NIL \"alice\" \"alice.example\"))"
#define ENV1                                                                                       \
    "(\"Mon, 07 Sep 2026 12:00:00 +0300\" \"Lab report\" " ALICE " " ALICE " " ALICE " "           \
    "((\"Roberto\" NIL \"roberto\" \"roberto.example\")(NIL NIL \"team\" NIL)"                     \
    "(NIL NIL \"a\" \"x.example\")(NIL NIL \"b\" \"y.example\")(NIL NIL NIL NIL)) "                \
    "NIL NIL NIL \"<1.abc@alice.example>\")"
#define BOB "((NIL NIL \"bob\" \"b.example\"))"
#define ASCII_5                                                                                    \
    "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 5 1 NIL NIL NIL NIL)"
#define BS_FORWARD                                                                                 \
    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 9 1 NIL NIL NIL NIL)"        \
    "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 41 "                                             \
    "(NIL \"hi\" " BOB " " BOB " " BOB " NIL NIL NIL NIL NIL) " ASCII_5 " 4 NIL NIL NIL NIL) "     \
    "\"MIXED\" (\"BOUNDARY\" \"B\") NIL NIL NIL)"

static const fetch_case_t fetch_cases[] = {
    {"a FETCH 1 BODYSTRUCTURE\r\n", "* 1 FETCH (BODYSTRUCTURE (" BS_TEXT BS_PDF
                                    " \"MIXED\" (\"BOUNDARY\" \"XYZ\") NIL NIL NIL))\r\n"
                                    "a OK FETCH completed\r\n"},
    {"a FETCH 1 BODY\r\n",
     "* 1 FETCH (BODY ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 39 2)"
     "(\"APPLICATION\" \"PDF\" (\"NAME\" \"report.pdf\") NIL NIL \"BASE64\" 12) \"MIXED\"))\r\n"
     "a OK FETCH completed\r\n"},
    {"a FETCH 1 ENVELOPE\r\n", "* 1 FETCH (ENVELOPE " ENV1 ")\r\na OK FETCH completed\r\n"},
    {"a FETCH 2 BODYSTRUCTURE\r\n",
     "* 2 FETCH (BODYSTRUCTURE " BS_FORWARD ")\r\na OK FETCH completed\r\n"},
    {"a FETCH 1 ALL\r\n",
     "* 1 FETCH (FLAGS (\\Recent) INTERNALDATE \"07-Sep-2026 09:00:00 +0000\" RFC822.SIZE 544 "
     "ENVELOPE " ENV1 ")\r\na OK FETCH completed\r\n"},
    {"a UID FETCH 2 (BODY.PEEK[1] BODY.PEEK[2] BODY.PEEK[2.HEADER] BODY.PEEK[2.TEXT])\r\n",
     "* 2 FETCH (UID 2 BODY[1] {9}\r\nsee below BODY[2] {41}\r\n"
     "Subject: hi\r\nFrom: bob@b.example\r\n\r\nhello BODY[2.HEADER] {36}\r\n"
     "Subject: hi\r\nFrom: bob@b.example\r\n\r\n BODY[2.TEXT] {5}\r\nhello)\r\n"
     "a OK UID FETCH completed\r\n"},
    {"a FETCH 2 (BODY.PEEK[2.1] BODY.PEEK[3] BODY.PEEK[1.HEADER] BODY.PEEK[2.MIME])\r\n",
     "* 2 FETCH (BODY[2.1] {5}\r\nhello BODY[3] NIL BODY[1.HEADER] NIL BODY[2.MIME] {32}\r\n"
     "Content-Type: message/rfc822\r\n\r\n)\r\na OK FETCH completed\r\n"},
    {"a FETCH 2 BODY.PEEK[HEADER.FIELDS.NOT (From Content-Type To)]\r\n",
     "* 2 FETCH (BODY[HEADER.FIELDS.NOT (From Content-Type To)] {20}\r\nSubject: Fwd: hi\r\n\r\n)"
     "\r\na OK FETCH completed\r\n"},
    {"a FETCH 2 (BODY.PEEK[TEXT]<0.5> BODY.PEEK[]<1000.10> BODY.PEEK[1]<4.100>)\r\n",
     "* 2 FETCH (BODY[TEXT]<0> {5}\r\n--B\r\n BODY[]<1000> {0}\r\n BODY[1]<4> {5}\r\nbelow)\r\n"
     "a OK FETCH completed\r\n"},
    {"a FETCH 2 RFC822.HEADER\r\n",
     "* 2 FETCH (RFC822.HEADER {131}\r\nFrom: Roberto <roberto@roberto.example>\r\n"
     "To: alice@alice.example\r\nSubject: Fwd: hi\r\n"
     "Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n)\r\na OK FETCH completed\r\n"},
    {"a FETCH 1 BODY[1]\r\n",
     "* 1 FETCH (BODY[1] {39}\r\nHello Roberto,\r\nthe report is attached. FLAGS (\\Seen \\Recent))"
     "\r\na OK FETCH completed\r\n"},
    {"a FETCH 1 (FLAGS BODY[1]<0.5>)\r\n",
     "* 1 FETCH (FLAGS (\\Seen \\Recent) BODY[1]<0> {5}\r\nHello)\r\na OK FETCH completed\r\n"},
    {"a FETCH 1 (RFC822.TEXT)\r\nb FETCH 1 RFC822.SIZE\r\n",
     "* 1 FETCH (RFC822.TEXT {274}\r\npreamble\r\n--XYZ\r\nContent-Type: text/plain; "
     "charset=utf-8\r\n\r\nHello Roberto,\r\nthe report is attached.\r\n--XYZ\r\nContent-Type: "
     "application/pdf; name=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n"
     "Content-Disposition: attachment; filename=\"report.pdf\"\r\n\r\nJVBERi0xLjQK\r\n--XYZ--\r\n"
     " FLAGS (\\Seen \\Recent))\r\na OK FETCH completed\r\n"
     "* 1 FETCH (RFC822.SIZE 544)\r\nb OK FETCH completed\r\n"},
    {"a FETCH 1 BODY.PEEK[]<0.6>\r\nb FETCH 1 FLAGS\r\n",
     "* 1 FETCH (BODY[]<0> {6}\r\nFrom: )\r\na OK FETCH completed\r\n"
     "* 1 FETCH (FLAGS (\\Recent))\r\nb OK FETCH completed\r\n"},
};

START_TEST(test_fetch_table)
{
    const fetch_case_t *tc = &fetch_cases[_i];
    imap_world_t w;
    imap_session_t c;
    open_two(&w, &c);
    const char *got = imap_io(&c, tc->in);
    ck_assert_msg(strcmp(got, tc->want) == 0, "%s got:\n%s\nwant:\n%s", tc->in, got, tc->want);
    imap_session_close(&c);
    imap_world_free(&w);
}
END_TEST

/* EXAMINE: BODY[] does not set \Seen (RFC 3501 6.3.2: no change to the mailbox). */
START_TEST(test_fetch_read_only_keeps_unseen)
{
    imap_world_t w;
    imap_world_init(&w);
    imap_world_deliver(&w, "Subject: x\r\n\r\nbody\r\n", 0);
    imap_session_t c;
    imap_session_open(&c, &w, IMAP_CAP_DEFAULT);
    imap_session_login(&c, NULL);
    imap_io(&c, "a EXAMINE INBOX\r\n");
    ck_assert_str_eq(imap_io(&c, "b FETCH 1 BODY[TEXT]\r\n"),
                     "* 1 FETCH (BODY[TEXT] {6}\r\nbody\r\n)\r\nb OK FETCH completed\r\n");
    ck_assert_uint_eq(store_msg_flags(store_msg_by_seq(store_inbox(w.roberto), 1)),
                      STORE_FLAG_RECENT);
    imap_session_close(&c);
    imap_world_free(&w);
}
END_TEST

/* --- SEARCH --------------------------------------------------------------- */

#define M2                                                                                         \
    "Subject: =?UTF-8?B?zpXPgc6zzrHPg86vzrXPgg==?=\r\n"                                            \
    "From: =?UTF-8?B?zp3Or866zr/Pgg==?= <nikos@uni.example>\r\n"                                   \
    "To: roberto@roberto.example\r\n"                                                              \
    "Cc: alice@alice.example\r\n"                                                                  \
    "Date: Tue, 08 Sep 2026 23:30:00 -0400\r\n"                                                    \
    "Content-Type: text/plain; charset=utf-8\r\n"                                                  \
    "Content-Transfer-Encoding: 8bit\r\n"                                                          \
    "\r\n"                                                                                         \
    "Καλημέρα Roberto\r\n"
#define M3                                                                                         \
    "Subject: hi\r\nFrom: bob@b.example\r\nBcc: secret@x.example\r\nX-Priority: "                  \
    "1\r\n\r\nhello\r\n"
#define M4                                                                                         \
    "Subject: Re: Lab report\r\nFrom: Alice <alice@alice.example>\r\n"                             \
    "To: roberto@roberto.example\r\nDate: Wed, 16 Sep 2026 10:00:00 +0000\r\n\r\nThanks!\r\n"

typedef struct search_case {
    const char *keys;
    const char *want; /* the numbers after "* SEARCH"; NULL: BAD (8-bit is no atom) */
} search_case_t;

static const search_case_t search_cases[] = {
    {"ALL", " 1 2 3 4"},
    {"ANSWERED", " 1"},
    {"UNANSWERED", " 2 3 4"},
    {"DELETED", " 3"},
    {"UNDELETED", " 1 2 4"},
    {"DRAFT", " 3"},
    {"UNDRAFT", " 1 2 4"},
    {"FLAGGED", " 2"},
    {"UNFLAGGED", " 1 3 4"},
    {"SEEN", " 1"},
    {"UNSEEN", " 2 3 4"},
    {"RECENT", " 4"},
    {"NEW", " 4"},
    {"OLD", " 1 2 3"},
    {"KEYWORD $Work", " 2"},
    {"KEYWORD $work", " 2"},
    {"UNKEYWORD $Work", " 1 3 4"},
    {"FROM alice", " 1 4"},
    {"FROM \"ALICE@ALICE\"", " 1 4"},
    {"FROM \"νίκος\"", " 2"},
    {"TO roberto", " 1 2 4"},
    {"CC alice", " 2"},
    {"BCC secret", " 3"},
    {"SUBJECT \"lab report\"", " 1 4"},
    {"SUBJECT \"ΕΡΓΑΣΊΕΣ\"", " 2"},
    {"SUBJECT {8}\r\nεργα", " 2"},
    {"HEADER X-Priority 1", " 3"},
    {"HEADER X-Priority \"\"", " 3"},
    {"HEADER Message-ID abc", " 1"},
    {"BODY attached", " 1"},
    {"BODY \"καλημέρα\"", " 2"},
    {"BODY καλημέρα", NULL},
    {"BODY JVBERi", ""},
    {"TEXT hello", " 1 3"},
    {"TEXT \"x-priority: 1\"", " 3"},
    {"BEFORE 9-Sep-2026", " 1"},
    {"ON 9-Sep-2026", " 2"},
    {"ON \"9-Sep-2026\"", " 2"},
    {"SINCE 16-Sep-2026", " 3 4"},
    {"SENTBEFORE 8-Sep-2026", " 1"},
    {"SENTON 8-Sep-2026", " 2"},
    {"SENTSINCE 8-Sep-2026", " 2 4"},
    {"LARGER 500", " 1"},
    {"SMALLER 100", " 3"},
    {"UID 2:3", " 2 3"},
    {"UID 4:*", " 4"},
    {"2:3", " 2 3"},
    {"*", " 4"},
    {"1,3:*", " 1 3 4"},
    {"NOT SEEN", " 2 3 4"},
    {"OR FLAGGED DELETED", " 2 3"},
    {"(FROM alice SUBJECT \"re:\")", " 4"},
    {"OR (SEEN ANSWERED) RECENT", " 1 4"},
    {"FROM alice NOT OR SEEN RECENT", ""},
    {"UNSEEN UNDELETED SINCE 1-Sep-2026", " 2 4"},
};

START_TEST(test_search_table)
{
    const search_case_t *tc = &search_cases[_i];
    imap_world_t w;
    imap_world_init(&w);
    store_folder_t *inbox = store_inbox(w.roberto);
    imap_world_deliver(&w, imap_fixture_multipart, 0);
    imap_world_deliver(&w, M2, 2 * 86400);
    imap_world_deliver(&w, M3, 10 * 86400);
    /* Messages 1-3 were seen by an earlier session: only message 4 is \Recent. */
    ck_assert_uint_eq(store_folder_take_recent(inbox, NULL), 3);
    imap_world_deliver(&w, M4, 9 * 86400);
    const char *work = "$Work";
    store_flags_change(inbox, 1, STORE_FLAGS_ADD, STORE_FLAG_SEEN | STORE_FLAG_ANSWERED, NULL, 0);
    store_flags_change(inbox, 2, STORE_FLAGS_ADD, STORE_FLAG_FLAGGED, &work, 1);
    store_flags_change(inbox, 3, STORE_FLAGS_ADD, STORE_FLAG_DELETED | STORE_FLAG_DRAFT, NULL, 0);
    imap_session_t c;
    imap_session_open(&c, &w, IMAP_CAP_DEFAULT);
    imap_session_login(&c, "INBOX");
    char in[256], want[128];
    snprintf(in, sizeof in, "s SEARCH %s\r\n", tc->keys);
    if (tc->want)
        snprintf(want, sizeof want, "* SEARCH%s\r\ns OK SEARCH completed\r\n", tc->want);
    else
        snprintf(want, sizeof want, "s BAD SEARCH: an atom or a string was expected\r\n");
    const char *got = imap_io(&c, in);
    /* A literal in the keys gets its continuation first. */
    if (strncmp(got, "+ ", 2) == 0)
        got = strchr(got, '\n') + 1;
    ck_assert_msg(strcmp(got, want) == 0, "SEARCH %s\n got: %s\nwant: %s", tc->keys, got, want);
    imap_session_close(&c);
    imap_world_free(&w);
}
END_TEST

/* UID SEARCH answers UIDs, which differ from sequence numbers after an expunge. */
START_TEST(test_uid_search)
{
    imap_world_t w;
    imap_world_init(&w);
    for (int i = 0; i < 4; i++)
        imap_world_deliver(&w, M3, i);
    imap_session_t c;
    imap_session_open(&c, &w, IMAP_CAP_DEFAULT);
    imap_session_login(&c, "INBOX");
    imap_io(&c, "a STORE 1 +FLAGS.SILENT (\\Deleted)\r\nb EXPUNGE\r\nc STORE 2 +FLAGS.SILENT "
                "(\\Seen)\r\n");
    ck_assert_str_eq(imap_io(&c, "d UID SEARCH SEEN\r\n"),
                     "* SEARCH 3\r\nd OK UID SEARCH completed\r\n");
    ck_assert_str_eq(imap_io(&c, "e SEARCH SEEN\r\n"), "* SEARCH 2\r\ne OK SEARCH completed\r\n");
    ck_assert_str_eq(imap_io(&c, "f SEARCH UID 3:4\r\n"),
                     "* SEARCH 2 3\r\nf OK SEARCH completed\r\n");
    imap_session_close(&c);
    imap_world_free(&w);
}
END_TEST

START_TEST(test_search_syntax)
{
    imap_world_t w;
    imap_world_init(&w);
    imap_world_deliver(&w, M3, 0);
    imap_session_t c;
    imap_session_open(&c, &w, IMAP_CAP_DEFAULT);
    imap_session_login(&c, "INBOX");
    ck_assert_str_eq(imap_io(&c, "a SEARCH\r\n"), "a BAD SEARCH: a space was expected\r\n");
    ck_assert_str_eq(imap_io(&c, "a SEARCH BEFORE 31-Feb-2026\r\n"),
                     "a BAD SEARCH: a date such as 7-Sep-2026 was expected\r\n");
    ck_assert_str_eq(imap_io(&c, "a SEARCH (SEEN\r\n"),
                     "a BAD SEARCH: a search group must end with )\r\n");
    ck_assert_str_eq(imap_io(&c, "a SEARCH OR SEEN\r\n"), "a BAD SEARCH: a space was expected\r\n");
    ck_assert_str_eq(imap_io(&c, "a SEARCH LARGER x\r\n"),
                     "a BAD SEARCH: a number was expected\r\n");
    /* Nesting past the limit is refused, not recursed into. */
    char deep[1200] = "a SEARCH ";
    for (int i = 0; i < 100; i++)
        strcat(deep, "NOT ");
    strcat(deep, "SEEN\r\n");
    ck_assert_str_eq(imap_io(&c, deep), "a BAD SEARCH: search keys nested too deep\r\n");
    imap_session_close(&c);
    imap_world_free(&w);
}
END_TEST

Suite *imap_fetch_suite(void)
{
    Suite *s = suite_create("imap_fetch");
    TCase *tc = tcase_create("fetch");
    tcase_add_loop_test(tc, test_fetch_table, 0, (int)ARRAY_LEN(fetch_cases));
    tcase_add_test(tc, test_fetch_read_only_keeps_unseen);
    suite_add_tcase(s, tc);
    TCase *search = tcase_create("search");
    tcase_add_loop_test(search, test_search_table, 0, (int)ARRAY_LEN(search_cases));
    tcase_add_test(search, test_uid_search);
    tcase_add_test(search, test_search_syntax);
    suite_add_tcase(s, search);
    return s;
}
