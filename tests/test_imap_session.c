/*
 * IMAP sessions end to end: literals split at every byte, limits and
 * garbage, Greek folder names through modified UTF-7, STORE, COPY with
 * COPYUID, MOVE, the EXPUNGE numbering of RFC 3501 7.4.1, APPEND with
 * APPENDUID, IDLE with updates arriving, and two sessions on one mailbox
 * (\Recent to exactly one; flags and expunges reported only where RFC 3501
 * allows).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "imap_fixture.h"

#define MSG "Subject: hi\r\nFrom: bob@b.example\r\n\r\nhello\r\n"

/* --- literals ----------------------------------------------------------- */

static const char script[] = "a LOGIN {7}\r\nroberto {6}\r\nsecret\r\n"
                             "b SELECT INBOX\r\n"
                             "c APPEND INBOX (\\Seen) {13+}\r\nHello, world!\r\n"
                             "d FETCH 2 BODY[]\r\n"
                             "e SEARCH SUBJECT {2}\r\nhi\r\n"
                             "f LOGOUT\r\n";

static char *run_split(const size_t *cuts, size_t ncuts)
{
    imap_world_t w;
    imap_world_init(&w);
    imap_world_deliver(&w, MSG, 0);
    imap_session_t c;
    imap_session_open(&c, &w, IMAP_CAP_DEFAULT);
    buf_t all = BUF_INIT;
    size_t len = strlen(script), from = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : len;
        buf_reset(&c.out);
        imap_server_feed(c.s, (const uint8_t *)script + from, to - from, &c.out);
        buf_append(&all, c.out.data, c.out.len);
        from = to;
    }
    imap_session_close(&c);
    imap_world_free(&w);
    return buf_steal(&all, NULL);
}

START_TEST(test_literals_split_anywhere)
{
    char *whole = run_split(NULL, 0);
    ck_assert_msg(strstr(whole, "+ Ready for literal data\r\n+ Ready for literal data\r\n"
                                "a OK LOGIN completed\r\n"),
                  "got %s", whole);
    ck_assert_ptr_nonnull(strstr(whole, "c OK [APPENDUID 1 2] APPEND completed\r\n"));
    ck_assert_ptr_nonnull(strstr(whole, "* 2 FETCH (BODY[] {13}\r\nHello, world!)\r\n"));
    ck_assert_ptr_nonnull(strstr(whole, "* SEARCH 1\r\ne OK SEARCH completed\r\n"));
    ck_assert_ptr_nonnull(strstr(whole, "f OK LOGOUT completed\r\n"));
    size_t len = strlen(script);
    for (size_t k = 1; k < len; k++) {
        char *got = run_split(&k, 1);
        ck_assert_msg(strcmp(got, whole) == 0, "split at %zu:\n%s", k, got);
        free(got);
    }
    size_t *every = malloc(len * sizeof *every);
    for (size_t k = 0; k + 1 < len; k++)
        every[k] = k + 1;
    char *bytewise = run_split(every, len - 1);
    ck_assert_str_eq(bytewise, whole);
    free(bytewise);
    free(every);
    free(whole);
}
END_TEST

START_TEST(test_limits)
{
    imap_world_t w;
    imap_world_init(&w);
    imap_session_t c;
    imap_session_open(&c, &w, IMAP_CAP_DEFAULT);
    imap_session_login(&c, NULL);
    /* A line past 64 KiB: BAD, and the session goes on. */
    char *line = malloc(70010);
    memcpy(line, "a NOOP ", 7);
    memset(line + 7, 'x', 70000);
    memcpy(line + 70007, "\r\n", 3);
    ck_assert_str_eq(imap_io(&c, line), "a BAD Line too long (the limit is 65536 octets)\r\n");
    free(line);
    ck_assert_str_eq(imap_io(&c, "b NOOP\r\n"), "b OK NOOP completed\r\n");
    /* A synchronising literal too big: refused at once, no "+", no data follows. */
    ck_assert_str_eq(imap_io(&c, "c APPEND INBOX {200000}\r\n"),
                     "c NO [TOOBIG] Literal too big for this server\r\n");
    ck_assert_str_eq(imap_io(&c, "d NOOP\r\n"), "d OK NOOP completed\r\n");
    /* A non-synchronising one: its data is read and dropped, then NO. */
    char *big = malloc(200100);
    int n = snprintf(big, 100, "e APPEND INBOX {200000+}\r\n");
    memset(big + n, 'y', 200000);
    strcpy(big + n + 200000, "\r\nf NOOP\r\n");
    ck_assert_str_eq(imap_io(&c, big),
                     "e NO [TOOBIG] Literal too big for this server\r\nf OK NOOP completed\r\n");
    free(big);
    /* A literal for a command the state does not allow is refused before its data. */
    ck_assert_str_eq(imap_io(&c, "g FETCH 1 BODY[HEADER.FIELDS ({4}\r\n"),
                     "g BAD Command not valid in this state: no mailbox selected\r\n");
    /* NUL inside a line. */
    ck_assert_str_eq(imap_io(&c, "h NO\0OP\r\n"), "");
    buf_reset(&c.out);
    imap_server_feed(c.s, (const uint8_t *)"h NO\0OP\r\n", 9, &c.out);
    ck_assert_str_eq(buf_cstr(&c.out), "h BAD NUL octet in a command line\r\n");
    /* The quota: APPEND past it is refused with OVERQUOTA. */
    store_user_set_quota(w.roberto, 10);
    ck_assert_str_eq(imap_io(&c, "i APPEND INBOX {11+}\r\nHello world\r\n"),
                     "i NO [OVERQUOTA] Over quota\r\n");
    imap_session_close(&c);
    imap_world_free(&w);
}
END_TEST

/* Random bytes in every state never crash the engine. */
START_TEST(test_garbage)
{
    rng_t r;
    rng_seed(&r, 3501);
    static const char *const words[] = {
        "a ",       "FETCH ", "1:* ",     "(",        ")",   "{3}\r\n",
        "{2+}\r\n", "\"",     "\\",       "BODY[",    "]",   "<0.5>",
        "\r\n",     " ",      "UID ",     "SEARCH ",  "OR ", "NOT ",
        "STORE ",   "FLAGS ", "IDLE\r\n", "DONE\r\n", "*",   "SELECT INBOX\r\n"};
    for (int round = 0; round < 60; round++) {
        imap_world_t w;
        imap_world_init(&w);
        imap_world_deliver(&w, imap_fixture_multipart, 0);
        imap_session_t c;
        imap_session_open(&c, &w, IMAP_CAP_DEFAULT);
        if (round % 3)
            imap_session_login(&c, round % 3 == 2 ? "INBOX" : NULL);
        for (int i = 0; i < 200 && !imap_server_wants_close(c.s); i++) {
            uint8_t chunk[16];
            size_t n;
            if (rng_chance(&r, 0.5)) {
                const char *word = words[rng_below(&r, ARRAY_LEN(words))];
                n = strlen(word);
                memcpy(chunk, word, n);
            } else {
                n = 1 + rng_below(&r, sizeof chunk - 1);
                for (size_t k = 0; k < n; k++)
                    chunk[k] = (uint8_t)rng_below(&r, 256);
            }
            buf_reset(&c.out);
            imap_server_feed(c.s, chunk, n, &c.out);
        }
        imap_session_close(&c);
        imap_world_free(&w);
    }
}
END_TEST

/* --- folders ------------------------------------------------------------ */

START_TEST(test_greek_folders)
{
    imap_world_t w;
    imap_world_init(&w);
    imap_world_deliver(&w, MSG, 0);
    ck_assert_int_eq(store_folder_create(w.roberto, "Εργασίες", NULL), STORE_OK);
    imap_session_t c;
    imap_session_open(&c, &w, IMAP_CAP_DEFAULT);
    imap_session_login(&c, NULL);
    ck_assert_str_eq(imap_io(&c, "a CREATE \"&A6MDxwO,A7sDrg-\"\r\n"), "a OK CREATE completed\r\n");
    ck_assert_ptr_nonnull(store_folder_find(w.roberto, "Σχολή"));
    ck_assert_str_eq(imap_io(&c, "b LIST \"\" *\r\n"),
                     "* LIST (\\HasNoChildren) \"/\" \"INBOX\"\r\n"
                     "* LIST (\\HasNoChildren) \"/\" \"&A5UDwQOzA7EDwwOvA7UDwg-\"\r\n"
                     "* LIST (\\HasNoChildren) \"/\" \"&A6MDxwO,A7sDrg-\"\r\n"
                     "b OK LIST completed\r\n");
    ck_assert_str_eq(imap_io(&c, "c RENAME &A5UDwQOzA7EDwwOvA7UDwg- &A6MDxwO,A7sDrg-/2026\r\n"),
                     "c OK RENAME completed\r\n");
    ck_assert_ptr_nonnull(store_folder_find(w.roberto, "Σχολή/2026"));
    ck_assert_str_eq(imap_io(&c, "d COPY 1 \"&A6MDxwO,A7sDrg-/2026\"\r\n"),
                     "d BAD Command not valid in this state: no mailbox selected\r\n");
    imap_io(&c, "e SELECT INBOX\r\n");
    ck_assert_str_eq(imap_io(&c, "f COPY 1 \"&A6MDxwO,A7sDrg-/2026\"\r\n"),
                     "f OK [COPYUID 2 1 1] COPY completed\r\n");
    ck_assert_str_eq(
        imap_io(&c, "g STATUS &A6MDxwO,A7sDrg-/2026 (MESSAGES)\r\n"),
        "* STATUS \"&A6MDxwO,A7sDrg-/2026\" (MESSAGES 1)\r\ng OK STATUS completed\r\n");
    ck_assert_str_eq(
        imap_io(&c, "h LIST \"\" &A6MDxwO,A7sDrg-/%\r\n"),
        "* LIST (\\HasNoChildren) \"/\" \"&A6MDxwO,A7sDrg-/2026\"\r\nh OK LIST completed\r\n");
    imap_session_close(&c);
    imap_world_free(&w);
}
END_TEST

/* --- messages ----------------------------------------------------------- */

/* RFC 3501 7.4.1: expunging 3, 4, 7 and 11 of 11 reports 3, 3, 5, 8. */
START_TEST(test_expunge_numbering)
{
    imap_world_t w;
    imap_world_init(&w);
    for (int i = 0; i < 11; i++)
        imap_world_deliver(&w, MSG, i);
    imap_session_t c;
    imap_session_open(&c, &w, IMAP_CAP_DEFAULT);
    imap_session_login(&c, "INBOX");
    ck_assert_str_eq(imap_io(&c, "a STORE 3:4,7,11 +FLAGS.SILENT (\\Deleted)\r\n"),
                     "a OK STORE completed\r\n");
    ck_assert_str_eq(imap_io(&c, "b EXPUNGE\r\n"), "* 3 EXPUNGE\r\n* 3 EXPUNGE\r\n* 5 EXPUNGE\r\n"
                                                   "* 8 EXPUNGE\r\nb OK EXPUNGE completed\r\n");
    ck_assert_str_eq(imap_io(&c, "c UID SEARCH ALL\r\n"),
                     "* SEARCH 1 2 5 6 8 9 10\r\nc OK UID SEARCH completed\r\n");
    imap_session_close(&c);
    imap_world_free(&w);
}
END_TEST

START_TEST(test_copy_move_append)
{
    imap_world_t w;
    imap_world_init(&w);
    for (int i = 0; i < 4; i++)
        imap_world_deliver(&w, MSG, i);
    ck_assert_int_eq(store_folder_create(w.roberto, "Archive", NULL), STORE_OK);
    w.now = 86400 * SIM_SEC;
    imap_session_t c;
    imap_session_open(&c, &w, IMAP_CAP_DEFAULT);
    imap_session_login(&c, "INBOX");
    imap_io(&c, "a STORE 2 +FLAGS.SILENT (\\Flagged $Work)\r\n");
    ck_assert_str_eq(imap_io(&c, "b COPY 2,4 Archive\r\n"),
                     "b OK [COPYUID 2 2,4 1:2] COPY completed\r\n");
    ck_assert_str_eq(
        imap_io(&c, "c UID MOVE 1:3 Archive\r\n"),
        "* OK [COPYUID 2 1:3 3:5] Moved\r\n* 1 EXPUNGE\r\n* 1 EXPUNGE\r\n* 1 EXPUNGE\r\n"
        "c OK MOVE completed\r\n");
    ck_assert_str_eq(imap_io(&c, "d FETCH 1:* (UID FLAGS)\r\n"),
                     "* 1 FETCH (UID 4 FLAGS (\\Recent))\r\nd OK FETCH completed\r\n");
    /* APPEND into the selected folder: the new message is announced at once. */
    ck_assert_str_eq(imap_io(&c, "e APPEND INBOX {5}\r\nfresh\r\n"),
                     "+ Ready for literal data\r\n* 2 EXISTS\r\n* 2 RECENT\r\n"
                     "e OK [APPENDUID 1 5] APPEND completed\r\n");
    ck_assert_str_eq(
        imap_io(&c, "f APPEND Archive (\\Seen) \"07-Sep-2026 11:00:00 +0200\" {2}\r\nhi\r\n"),
        "+ Ready for literal data\r\nf OK [APPENDUID 2 6] APPEND completed\r\n");
    const char *got = imap_io(&c, "g SELECT Archive\r\n");
    ck_assert_msg(strstr(got, "* 6 EXISTS\r\n* 6 RECENT\r\n* OK [UNSEEN 1]"), "got %s", got);
    ck_assert_msg(strstr(got, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)\r\n"),
                  "got %s", got);
    ck_assert_str_eq(
        imap_io(&c, "h FETCH 1:* (UID FLAGS INTERNALDATE)\r\n"),
        "* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent $Work) INTERNALDATE \"07-Sep-2026 "
        "09:00:01 +0000\")\r\n"
        "* 2 FETCH (UID 2 FLAGS (\\Recent) INTERNALDATE \"07-Sep-2026 09:00:03 +0000\")\r\n"
        "* 3 FETCH (UID 3 FLAGS (\\Recent) INTERNALDATE \"07-Sep-2026 09:00:00 +0000\")\r\n"
        "* 4 FETCH (UID 4 FLAGS (\\Flagged \\Recent $Work) INTERNALDATE \"07-Sep-2026 "
        "09:00:01 +0000\")\r\n"
        "* 5 FETCH (UID 5 FLAGS (\\Recent) INTERNALDATE \"07-Sep-2026 09:00:02 +0000\")\r\n"
        "* 6 FETCH (UID 6 FLAGS (\\Seen \\Recent) INTERNALDATE \"07-Sep-2026 09:00:00 "
        "+0000\")\r\nh OK FETCH completed\r\n");
    imap_io(&c, "i SELECT INBOX\r\n");
    ck_assert_str_eq(
        imap_io(&c, "j FETCH 2 INTERNALDATE\r\n"),
        "* 2 FETCH (INTERNALDATE \"08-Sep-2026 09:00:00 +0000\")\r\nj OK FETCH completed\r\n");
    imap_session_close(&c);
    imap_world_free(&w);
}
END_TEST

/* The session that docs/imap.md shows, line for line. */
START_TEST(test_docs_transcript)
{
    static const struct {
        const char *in, *want;
    } steps[] = {
        {"a3 FETCH 1 (ENVELOPE)\r\n",
         "* 1 FETCH (ENVELOPE (\"Mon, 07 Sep 2026 12:00:00 +0300\" "
         "\"Lab report\" ((\"Alice\" NIL \"alice\" \"alice.example\"))"},
        {"a5 FETCH 1 BODY[1]\r\n",
         "* 1 FETCH (BODY[1] {39}\r\nHello Roberto,\r\nthe report is "
         "attached. FLAGS (\\Seen \\Recent))\r\na5 OK FETCH completed\r\n"},
        {"a6 CREATE \"&A6MDxwO,A7sDrg-\"\r\n", "a6 OK CREATE completed\r\n"},
        {"a7 COPY 1 \"&A6MDxwO,A7sDrg-\"\r\n", "a7 OK [COPYUID 2 1 1] COPY completed\r\n"},
        {"a8 STORE 1 +FLAGS (\\Deleted)\r\n",
         "* 1 FETCH (FLAGS (\\Seen \\Deleted \\Recent))\r\na8 OK STORE completed\r\n"},
        {"a9 EXPUNGE\r\n", "* 1 EXPUNGE\r\na9 OK EXPUNGE completed\r\n"},
        {"b1 LOGOUT\r\n", "* BYE imap.roberto.example IMAP4rev1 server logging out\r\n"
                          "b1 OK LOGOUT completed\r\n"},
    };
    imap_world_t w;
    imap_world_init(&w);
    imap_world_deliver(&w, imap_fixture_multipart, 0);
    imap_world_deliver(&w, MSG, 60);
    imap_session_t c;
    imap_session_open(&c, &w, IMAP_CAP_DEFAULT);
    imap_session_login(&c, "INBOX");
    for (size_t i = 0; i < ARRAY_LEN(steps); i++) {
        const char *got = imap_io(&c, steps[i].in);
        ck_assert_msg(strncmp(got, steps[i].want, strlen(steps[i].want)) == 0, "%s got:\n%s",
                      steps[i].in, got);
    }
    imap_session_close(&c);
    imap_world_free(&w);
}
END_TEST

/* --- several sessions ------------------------------------------------------ */

START_TEST(test_idle_updates)
{
    imap_world_t w;
    imap_world_init(&w);
    imap_world_deliver(&w, MSG, 0);
    imap_world_deliver(&w, MSG, 1);
    imap_session_t a, b;
    imap_session_open(&a, &w, IMAP_CAP_DEFAULT);
    imap_session_open(&b, &w, IMAP_CAP_DEFAULT);
    imap_session_login(&a, "INBOX");
    imap_session_login(&b, "INBOX");
    ck_assert_str_eq(imap_notify(&a), "");
    ck_assert_str_eq(imap_io(&a, "i IDLE\r\n"), "+ idling\r\n");
    ck_assert_int_eq(imap_server_state(a.s), IMAP_SERVER_IDLE);
    imap_world_deliver(&w, MSG, 2);
    ck_assert_str_eq(imap_notify(&a), "* 3 EXISTS\r\n* 3 RECENT\r\n");
    ck_assert_str_eq(imap_notify(&a), "");
    imap_io(&b, "s STORE 1 +FLAGS (\\Seen)\r\n");
    ck_assert_str_eq(imap_notify(&a), "* 1 FETCH (FLAGS (\\Seen \\Recent))\r\n");
    imap_io(&b, "t STORE 2 +FLAGS.SILENT (\\Deleted)\r\nu EXPUNGE\r\n");
    ck_assert_str_eq(imap_notify(&a), "* 2 EXPUNGE\r\n");
    ck_assert_str_eq(imap_io(&a, "DONE\r\n"), "i OK IDLE terminated\r\n");
    ck_assert_int_eq(imap_server_state(a.s), IMAP_SERVER_SELECTED);
    /* Out of IDLE, nothing goes out until a command. */
    imap_world_deliver(&w, MSG, 3);
    ck_assert_str_eq(imap_notify(&a), "");
    ck_assert_str_eq(imap_io(&a, "n NOOP\r\n"),
                     "* 3 EXISTS\r\n* 3 RECENT\r\nn OK NOOP completed\r\n");
    imap_session_close(&a);
    imap_session_close(&b);
    imap_world_free(&w);
}
END_TEST

START_TEST(test_recent_to_exactly_one)
{
    imap_world_t w;
    imap_world_init(&w);
    imap_world_deliver(&w, MSG, 0);
    imap_session_t a, b, e;
    imap_session_open(&a, &w, IMAP_CAP_DEFAULT);
    imap_session_open(&b, &w, IMAP_CAP_DEFAULT);
    imap_session_open(&e, &w, IMAP_CAP_DEFAULT);
    imap_session_login(&a, NULL);
    imap_session_login(&b, NULL);
    imap_session_login(&e, NULL);
    /* EXAMINE shows \Recent without taking it (RFC 3501 6.3.2). */
    ck_assert_ptr_nonnull(strstr(imap_io(&e, "x EXAMINE INBOX\r\n"), "* 1 RECENT\r\n"));
    ck_assert_ptr_nonnull(strstr(imap_io(&a, "x SELECT INBOX\r\n"), "* 1 RECENT\r\n"));
    ck_assert_ptr_nonnull(strstr(imap_io(&b, "x SELECT INBOX\r\n"), "* 0 RECENT\r\n"));
    imap_world_deliver(&w, MSG, 1);
    /* Whoever hears of the new message first holds its \Recent. */
    ck_assert_str_eq(imap_io(&b, "n NOOP\r\n"),
                     "* 2 EXISTS\r\n* 1 RECENT\r\nn OK NOOP completed\r\n");
    ck_assert_str_eq(imap_io(&a, "n NOOP\r\n"),
                     "* 2 EXISTS\r\n* 1 RECENT\r\nn OK NOOP completed\r\n");
    ck_assert_str_eq(imap_io(&a, "s SEARCH RECENT\r\n"), "* SEARCH 1\r\ns OK SEARCH completed\r\n");
    ck_assert_str_eq(imap_io(&b, "s SEARCH RECENT\r\n"), "* SEARCH 2\r\ns OK SEARCH completed\r\n");
    /* The read-only session still shows the first as it saw it, but B took the second. */
    ck_assert_str_eq(imap_io(&e, "n NOOP\r\n"),
                     "* 2 EXISTS\r\n* 1 RECENT\r\nn OK NOOP completed\r\n");
    ck_assert_str_eq(imap_io(&e, "s SEARCH RECENT\r\n"), "* SEARCH 1\r\ns OK SEARCH completed\r\n");
    imap_session_close(&a);
    imap_session_close(&b);
    imap_session_close(&e);
    imap_world_free(&w);
}
END_TEST

START_TEST(test_two_sessions_flags_and_expunge)
{
    imap_world_t w;
    imap_world_init(&w);
    imap_world_deliver(&w, MSG, 0);
    imap_world_deliver(&w, MSG, 1);
    imap_world_deliver(&w, MSG, 2);
    imap_session_t a, b;
    imap_session_open(&a, &w, IMAP_CAP_DEFAULT);
    imap_session_open(&b, &w, IMAP_CAP_DEFAULT);
    imap_session_login(&a, "INBOX");
    imap_session_login(&b, "INBOX");
    /* A flag change in one session is a FETCH FLAGS at the other's next NOOP. */
    ck_assert_str_eq(imap_io(&a, "a STORE 2 +FLAGS (\\Flagged)\r\n"),
                     "* 2 FETCH (FLAGS (\\Flagged \\Recent))\r\na OK STORE completed\r\n");
    ck_assert_str_eq(imap_io(&b, "b NOOP\r\n"),
                     "* 2 FETCH (FLAGS (\\Flagged))\r\nb OK NOOP completed\r\n");
    ck_assert_str_eq(imap_io(&b, "b NOOP\r\n"), "b OK NOOP completed\r\n");
    /* An expunge in one: the other's FETCH, STORE and SEARCH keep the old numbers. */
    imap_io(&a, "a STORE 1 +FLAGS.SILENT (\\Deleted)\r\n");
    ck_assert_str_eq(imap_io(&a, "a EXPUNGE\r\n"), "* 1 EXPUNGE\r\na OK EXPUNGE completed\r\n");
    ck_assert_str_eq(imap_io(&b, "c FETCH 1:3 (FLAGS)\r\n"),
                     "* 2 FETCH (FLAGS (\\Flagged))\r\n* 3 FETCH (FLAGS ())\r\n"
                     "c NO [EXPUNGEISSUED] Some of the requested messages no longer exist\r\n");
    ck_assert_str_eq(imap_io(&b, "d SEARCH ALL\r\n"), "* SEARCH 2 3\r\nd OK SEARCH completed\r\n");
    ck_assert_str_eq(imap_io(&b, "e STORE 3 +FLAGS (\\Seen)\r\n"),
                     "* 3 FETCH (FLAGS (\\Seen))\r\ne OK STORE completed\r\n");
    /* ...and hear of it at the next command that may renumber. */
    ck_assert_str_eq(imap_io(&b, "f NOOP\r\n"), "* 1 EXPUNGE\r\nf OK NOOP completed\r\n");
    ck_assert_str_eq(imap_io(&b, "g FETCH 1:* UID\r\n"),
                     "* 1 FETCH (UID 2)\r\n* 2 FETCH (UID 3)\r\ng OK FETCH completed\r\n");
    ck_assert_str_eq(imap_io(&a, "h NOOP\r\n"),
                     "* 2 FETCH (FLAGS (\\Seen \\Recent))\r\nh OK NOOP completed\r\n");
    /* CLOSE in one session expunges silently; the other hears at its NOOP. */
    imap_io(&a, "i STORE 1 +FLAGS.SILENT (\\Deleted)\r\n");
    ck_assert_str_eq(imap_io(&a, "j CLOSE\r\n"), "j OK CLOSE completed\r\n");
    ck_assert_str_eq(imap_io(&b, "k CHECK\r\n"), "* 1 EXPUNGE\r\nk OK CHECK completed\r\n");
    /* The selected folder deleted under a session: everything goes. */
    imap_io(&a, "l CREATE Tmp\r\nm SELECT Tmp\r\nn APPEND Tmp {2}\r\nhi\r\n");
    imap_io(&b, "o SELECT Tmp\r\n");
    ck_assert_str_eq(imap_io(&a, "p DELETE Tmp\r\n"), "* 1 EXPUNGE\r\np OK DELETE completed\r\n");
    ck_assert_str_eq(imap_io(&b, "q NOOP\r\n"), "* 1 EXPUNGE\r\nq OK NOOP completed\r\n");
    imap_session_close(&a);
    imap_session_close(&b);
    imap_world_free(&w);
}
END_TEST

Suite *imap_session_suite(void)
{
    Suite *s = suite_create("imap_session");
    TCase *lit = tcase_create("literals");
    tcase_set_timeout(lit, 60);
    tcase_add_test(lit, test_literals_split_anywhere);
    tcase_add_test(lit, test_limits);
    tcase_add_test(lit, test_garbage);
    suite_add_tcase(s, lit);
    TCase *msgs = tcase_create("messages");
    tcase_add_test(msgs, test_greek_folders);
    tcase_add_test(msgs, test_expunge_numbering);
    tcase_add_test(msgs, test_copy_move_append);
    tcase_add_test(msgs, test_docs_transcript);
    suite_add_tcase(s, msgs);
    TCase *multi = tcase_create("sessions");
    tcase_add_test(multi, test_idle_updates);
    tcase_add_test(multi, test_recent_to_exactly_one);
    tcase_add_test(multi, test_two_sessions_flags_and_expunge);
    suite_add_tcase(s, multi);
    return s;
}
