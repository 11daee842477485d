/*
 * The IMAP server engine, command by command: each command in a state where
 * it is valid and in one where it is not, bad syntax, AUTHENTICATE, and the
 * trace hook. The responses are RFC 3501's, written out in full.
 */
#include <check.h>
#include <string.h>

#include "imap_fixture.h"

typedef enum level { NOAUTH, AUTH, SEL, EXAM } level_t;

typedef struct cmd_case {
    const char *name;
    level_t level;
    const char *in;
    const char *want;
} cmd_case_t;

#define SIMPLE_MSG "Subject: hi\r\nFrom: bob@b.example\r\n\r\nhello\r\n"
#define CAPS "IMAP4rev1 AUTH=PLAIN SASL-IR LITERAL+ IDLE UIDPLUS MOVE UNSELECT"
#define NOT_LOGGED "BAD Command not valid in this state: log in first\r\n"
#define NOT_SELECTED "BAD Command not valid in this state: no mailbox selected\r\n"
#define SELECT_INBOX_2_RECENT                                                                      \
    "* 2 EXISTS\r\n* 2 RECENT\r\n* OK [UNSEEN 1] Message 1 is first unseen\r\n"                    \
    "* OK [UIDVALIDITY 1] UIDs valid\r\n* OK [UIDNEXT 3] Predicted next UID\r\n"                   \
    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"

static const cmd_case_t cases[] = {
    /* any state */
    {"capability", NOAUTH, "a CAPABILITY\r\n",
     "* CAPABILITY " CAPS "\r\na OK CAPABILITY completed\r\n"},
    {"capability selected", SEL, "a capability\r\n",
     "* CAPABILITY " CAPS "\r\na OK CAPABILITY completed\r\n"},
    {"capability takes no argument", NOAUTH, "a CAPABILITY x\r\n",
     "a BAD CAPABILITY: this command takes no arguments\r\n"},
    {"noop", NOAUTH, "a NOOP\r\n", "a OK NOOP completed\r\n"},
    {"noop selected", SEL, "a NOOP\r\n", "a OK NOOP completed\r\n"},
    {"logout", AUTH, "a LOGOUT\r\nb NOOP\r\n",
     "* BYE imap.roberto.example IMAP4rev1 server logging out\r\na OK LOGOUT completed\r\n"},
    {"starttls is not offered", NOAUTH, "a STARTTLS\r\n",
     "a BAD STARTTLS is not offered: the simulation has no TLS\r\n"},
    /* not authenticated */
    {"login", NOAUTH, "a LOGIN roberto secret\r\n", "a OK LOGIN completed\r\n"},
    {"login quoted", NOAUTH, "a LOGIN \"roberto\" \"secret\"\r\n", "a OK LOGIN completed\r\n"},
    {"login with the address", NOAUTH, "a LOGIN roberto@roberto.example secret\r\n",
     "a OK LOGIN completed\r\n"},
    {"login wrong password", NOAUTH, "a LOGIN roberto wrong\r\n",
     "a NO [AUTHENTICATIONFAILED] Authentication failed\r\n"},
    {"login unknown user", NOAUTH, "a LOGIN nobody secret\r\n",
     "a NO [AUTHENTICATIONFAILED] Authentication failed\r\n"},
    {"login missing password", NOAUTH, "a LOGIN roberto\r\n",
     "a BAD LOGIN: a space was expected\r\n"},
    {"login twice", AUTH, "a LOGIN roberto secret\r\n",
     "a BAD Command not valid in this state: already logged in\r\n"},
    {"authenticate with initial response", NOAUTH, "a AUTHENTICATE PLAIN AHJvYmVydG8Ac2VjcmV0\r\n",
     "a OK AUTHENTICATE completed\r\n"},
    {"authenticate with continuation", NOAUTH, "a AUTHENTICATE PLAIN\r\nAHJvYmVydG8Ac2VjcmV0\r\n",
     "+ \r\na OK AUTHENTICATE completed\r\n"},
    {"authenticate wrong password", NOAUTH, "a AUTHENTICATE PLAIN\r\nAHJvYmVydG8Ad3Jvbmc=\r\n",
     "+ \r\na NO [AUTHENTICATIONFAILED] Authentication failed\r\n"},
    {"authenticate cancelled", NOAUTH, "a AUTHENTICATE PLAIN\r\n*\r\nb NOOP\r\n",
     "+ \r\na BAD AUTHENTICATE cancelled\r\nb OK NOOP completed\r\n"},
    {"authenticate not base64", NOAUTH, "a AUTHENTICATE PLAIN\r\n%%%\r\n",
     "+ \r\na BAD AUTHENTICATE: not a valid PLAIN response (RFC 4616)\r\n"},
    {"authenticate other mechanism", NOAUTH, "a AUTHENTICATE CRAM-MD5\r\n",
     "a NO Unsupported authentication mechanism (only PLAIN)\r\n"},
    {"authenticate when logged in", AUTH, "a AUTHENTICATE PLAIN\r\n",
     "a BAD Command not valid in this state: already logged in\r\n"},
    /* authenticated */
    {"select", AUTH, "a SELECT INBOX\r\n",
     SELECT_INBOX_2_RECENT "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft "
                           "\\*)] Flags permitted\r\na OK [READ-WRITE] SELECT completed\r\n"},
    {"select lower-case inbox", AUTH, "a select inbox\r\n",
     SELECT_INBOX_2_RECENT "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft "
                           "\\*)] Flags permitted\r\na OK [READ-WRITE] SELECT completed\r\n"},
    {"examine", AUTH, "a EXAMINE INBOX\r\n",
     SELECT_INBOX_2_RECENT "* OK [PERMANENTFLAGS ()] Flags permitted\r\n"
                           "a OK [READ-ONLY] EXAMINE completed\r\n"},
    {"select before login", NOAUTH, "a SELECT INBOX\r\n", "a " NOT_LOGGED},
    {"select missing folder", AUTH, "a SELECT Nowhere\r\n",
     "a NO [NONEXISTENT] No such folder\r\n"},
    {"failed select deselects", SEL, "a SELECT Nowhere\r\nb FETCH 1 FLAGS\r\n",
     "a NO [NONEXISTENT] No such folder\r\nb " NOT_SELECTED},
    {"select empty folder", AUTH, "a SELECT Archive\r\n",
     "* 0 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 2] UIDs valid\r\n"
     "* OK [UIDNEXT 1] Predicted next UID\r\n"
     "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
     "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags "
     "permitted\r\na OK [READ-WRITE] SELECT completed\r\n"},
    {"create", AUTH, "a CREATE Work/2026\r\nb LIST \"\" Work*\r\n",
     "a OK CREATE completed\r\n* LIST (\\HasChildren) \"/\" \"Work\"\r\n"
     "* LIST (\\HasNoChildren) \"/\" \"Work/2026\"\r\nb OK LIST completed\r\n"},
    {"create with a trailing separator", AUTH, "a CREATE Drafts/\r\nb LIST \"\" Drafts\r\n",
     "a OK CREATE completed\r\n* LIST (\\HasNoChildren) \"/\" \"Drafts\"\r\nb OK LIST "
     "completed\r\n"},
    {"create existing", AUTH, "a CREATE Archive\r\n",
     "a NO [ALREADYEXISTS] Folder already exists\r\n"},
    {"create inbox", SEL, "a CREATE inbox\r\n", "a NO [ALREADYEXISTS] Folder already exists\r\n"},
    {"create before login", NOAUTH, "a CREATE x\r\n", "a " NOT_LOGGED},
    {"create with bad utf-7", AUTH, "a CREATE &Jjo\r\n",
     "a BAD Mailbox name is not valid modified UTF-7 (RFC 3501 5.1.3): base64 run not "
     "closed with \"-\"\r\n"},
    {"delete", AUTH, "a DELETE Archive\r\nb LIST \"\" *\r\n",
     "a OK DELETE completed\r\n* LIST (\\HasNoChildren) \"/\" \"INBOX\"\r\nb OK LIST "
     "completed\r\n"},
    {"delete inbox", AUTH, "a DELETE INBOX\r\n", "a NO [CANNOT] INBOX cannot be deleted\r\n"},
    {"delete missing", AUTH, "a DELETE Nowhere\r\n", "a NO [NONEXISTENT] No such folder\r\n"},
    {"delete before login", NOAUTH, "a DELETE Archive\r\n", "a " NOT_LOGGED},
    {"rename", AUTH, "a RENAME Archive Old\r\nb LIST \"\" %\r\n",
     "a OK RENAME completed\r\n* LIST (\\HasNoChildren) \"/\" \"INBOX\"\r\n"
     "* LIST (\\HasNoChildren) \"/\" \"Old\"\r\nb OK LIST completed\r\n"},
    {"rename missing", AUTH, "a RENAME Nowhere Old\r\n", "a NO [NONEXISTENT] No such folder\r\n"},
    {"rename one argument", AUTH, "a RENAME Archive\r\n", "a BAD RENAME: a space was expected\r\n"},
    {"subscribe and lsub", AUTH, "a SUBSCRIBE Archive\r\nb SUBSCRIBE Gone\r\nc LSUB \"\" *\r\n",
     "a OK SUBSCRIBE completed\r\nb OK SUBSCRIBE completed\r\n* LSUB () \"/\" \"Archive\"\r\n"
     "* LSUB (\\Noselect) \"/\" \"Gone\"\r\nc OK LSUB completed\r\n"},
    {"unsubscribe", AUTH, "a SUBSCRIBE Archive\r\nb UNSUBSCRIBE Archive\r\nc LSUB \"\" *\r\n",
     "a OK SUBSCRIBE completed\r\nb OK UNSUBSCRIBE completed\r\nc OK LSUB completed\r\n"},
    {"unsubscribe not subscribed", AUTH, "a UNSUBSCRIBE Archive\r\n", "a NO Not subscribed\r\n"},
    {"subscribe before login", NOAUTH, "a SUBSCRIBE Archive\r\n", "a " NOT_LOGGED},
    {"list the separator", AUTH, "a LIST \"\" \"\"\r\n",
     "* LIST (\\Noselect) \"/\" \"\"\r\na OK LIST completed\r\n"},
    {"list percent", SEL, "a LIST \"\" %\r\n",
     "* LIST (\\HasNoChildren) \"/\" \"INBOX\"\r\n* LIST (\\HasNoChildren) \"/\" \"Archive\"\r\n"
     "a OK LIST completed\r\n"},
    {"list before login", NOAUTH, "a LIST \"\" *\r\n", "a " NOT_LOGGED},
    {"lsub before login", NOAUTH, "a LSUB \"\" *\r\n", "a " NOT_LOGGED},
    {"status", AUTH, "a STATUS INBOX (MESSAGES UNSEEN UIDNEXT RECENT UIDVALIDITY)\r\n",
     "* STATUS \"INBOX\" (MESSAGES 2 UNSEEN 2 UIDNEXT 3 RECENT 2 UIDVALIDITY 1)\r\n"
     "a OK STATUS completed\r\n"},
    {"status missing", AUTH, "a STATUS Nowhere (MESSAGES)\r\n",
     "a NO [NONEXISTENT] No such folder\r\n"},
    {"status bad item", AUTH, "a STATUS INBOX (SIZE)\r\n",
     "a BAD STATUS: STATUS mailbox (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)\r\n"},
    {"status before login", NOAUTH, "a STATUS INBOX (MESSAGES)\r\n", "a " NOT_LOGGED},
    {"append", AUTH,
     "a APPEND Archive (\\Seen $Work) \"07-Sep-2026 11:00:00 +0200\" {12}\r\nHello world!\r\n"
     "b STATUS Archive (MESSAGES UIDNEXT)\r\n",
     "+ Ready for literal data\r\na OK [APPENDUID 2 1] APPEND completed\r\n"
     "* STATUS \"Archive\" (MESSAGES 1 UIDNEXT 2)\r\nb OK STATUS completed\r\n"},
    {"append to a missing folder", AUTH, "a APPEND Nowhere {2}\r\nhi\r\n",
     "+ Ready for literal data\r\na NO [TRYCREATE] No such mailbox\r\n"},
    {"append before login", NOAUTH, "a APPEND INBOX {2}\r\n", "a " NOT_LOGGED},
    {"append without a literal", AUTH, "a APPEND INBOX \"hi\"\r\n",
     "a BAD APPEND: a date-time such as \"07-Sep-2026 09:00:00 +0000\" was expected\r\n"},
    {"append with a bad flag", AUTH, "a APPEND INBOX (\\Recent) {2}\r\nhi\r\n",
     "+ Ready for literal data\r\na BAD APPEND: not a flag that can be set (\\Seen \\Answered "
     "\\Flagged \\Deleted \\Draft or a keyword)\r\n"},
    /* selected */
    {"check", SEL, "a CHECK\r\n", "a OK CHECK completed\r\n"},
    {"check not selected", AUTH, "a CHECK\r\n", "a " NOT_SELECTED},
    {"close", SEL,
     "a STORE 1 +FLAGS.SILENT (\\Deleted)\r\nb CLOSE\r\nc STATUS INBOX (MESSAGES)\r\n",
     "a OK STORE completed\r\nb OK CLOSE completed\r\n"
     "* STATUS \"INBOX\" (MESSAGES 1)\r\nc OK STATUS completed\r\n"},
    {"close read-only keeps messages", EXAM, "a CLOSE\r\nb STATUS INBOX (MESSAGES)\r\n",
     "a OK CLOSE completed\r\n* STATUS \"INBOX\" (MESSAGES 2)\r\nb OK STATUS completed\r\n"},
    {"close not selected", AUTH, "a CLOSE\r\n", "a " NOT_SELECTED},
    {"unselect", SEL, "a UNSELECT\r\nb NOOP\r\n",
     "a OK UNSELECT completed\r\nb OK NOOP completed\r\n"},
    {"expunge", SEL, "a STORE 2 +FLAGS.SILENT (\\Deleted)\r\nb EXPUNGE\r\n",
     "a OK STORE completed\r\n* 2 EXPUNGE\r\nb OK EXPUNGE completed\r\n"},
    {"expunge read-only", EXAM, "a EXPUNGE\r\n",
     "a NO [READ-ONLY] The mailbox was opened with EXAMINE\r\n"},
    {"expunge not selected", AUTH, "a EXPUNGE\r\n", "a " NOT_SELECTED},
    {"uid expunge", SEL, "a STORE 1:2 +FLAGS.SILENT (\\Deleted)\r\nb UID EXPUNGE 2\r\n",
     "a OK STORE completed\r\n* 2 EXPUNGE\r\nb OK EXPUNGE completed\r\n"},
    {"search", SEL, "a SEARCH ALL\r\n", "* SEARCH 1 2\r\na OK SEARCH completed\r\n"},
    {"search not selected", AUTH, "a SEARCH ALL\r\n", "a " NOT_SELECTED},
    {"search bad charset", SEL, "a SEARCH CHARSET KOI8-R TEXT x\r\n",
     "a NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset\r\n"},
    {"search charset utf-8", SEL, "a SEARCH CHARSET UTF-8 SUBJECT hi\r\n",
     "* SEARCH 2\r\na OK SEARCH completed\r\n"},
    {"search unknown key", SEL, "a SEARCH FOO\r\n", "a BAD SEARCH: unknown search key\r\n"},
    {"fetch", SEL, "a FETCH 2 (FLAGS RFC822.SIZE INTERNALDATE UID)\r\n",
     "* 2 FETCH (FLAGS (\\Recent) RFC822.SIZE 43 INTERNALDATE \"07-Sep-2026 10:00:00 +0000\" UID "
     "2)\r\na OK FETCH completed\r\n"},
    {"fetch fast", SEL, "a FETCH 1:* FAST\r\n",
     "* 1 FETCH (FLAGS (\\Recent) INTERNALDATE \"07-Sep-2026 09:00:00 +0000\" RFC822.SIZE 544)\r\n"
     "* 2 FETCH (FLAGS (\\Recent) INTERNALDATE \"07-Sep-2026 10:00:00 +0000\" RFC822.SIZE 43)\r\n"
     "a OK FETCH completed\r\n"},
    {"fetch not selected", AUTH, "a FETCH 1 FLAGS\r\n", "a " NOT_SELECTED},
    {"fetch past the end", SEL, "a FETCH 3 FLAGS\r\n",
     "a BAD Invalid message sequence number: there are 2 messages\r\n"},
    {"fetch zero", SEL, "a FETCH 0 FLAGS\r\n", "a BAD FETCH: invalid sequence set\r\n"},
    {"fetch unknown item", SEL, "a FETCH 1 (FLAGS FOO)\r\n",
     "a BAD FETCH: unknown FETCH data item\r\n"},
    {"fetch unclosed list", SEL, "a FETCH 1 (FLAGS\r\n",
     "a BAD FETCH: a FETCH list must end with )\r\n"},
    {"fetch bad section", SEL, "a FETCH 1 BODY[FOO]\r\n",
     "a BAD FETCH: unknown section (HEADER, HEADER.FIELDS, TEXT, MIME or part numbers)\r\n"},
    {"uid fetch of a missing uid", SEL, "a UID FETCH 9 FLAGS\r\n", "a OK UID FETCH completed\r\n"},
    {"uid fetch star past the end", SEL, "a UID FETCH 9:* FLAGS\r\n",
     "* 2 FETCH (UID 2 FLAGS (\\Recent))\r\na OK UID FETCH completed\r\n"},
    {"store", SEL, "a STORE 1 +FLAGS (\\Flagged $Important)\r\n",
     "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Important)\r\n"
     "* 1 FETCH (FLAGS (\\Flagged \\Recent $Important))\r\na OK STORE completed\r\n"},
    {"store replace and remove", SEL,
     "a STORE 1 FLAGS (\\Seen \\Answered)\r\nb STORE 1 -FLAGS \\Seen\r\n",
     "* 1 FETCH (FLAGS (\\Seen \\Answered \\Recent))\r\na OK STORE completed\r\n"
     "* 1 FETCH (FLAGS (\\Answered \\Recent))\r\nb OK STORE completed\r\n"},
    {"store silent", SEL, "a STORE 1:2 +FLAGS.SILENT (\\Seen)\r\nb NOOP\r\n",
     "a OK STORE completed\r\nb OK NOOP completed\r\n"},
    {"uid store", SEL, "a UID STORE 2 +FLAGS (\\Draft)\r\n",
     "* 2 FETCH (FLAGS (\\Draft \\Recent) UID 2)\r\na OK STORE completed\r\n"},
    {"store read-only", EXAM, "a STORE 1 +FLAGS (\\Seen)\r\n",
     "a NO [READ-ONLY] The mailbox was opened with EXAMINE\r\n"},
    {"store recent", SEL, "a STORE 1 +FLAGS (\\Recent)\r\n",
     "a BAD STORE: not a flag that can be set (\\Seen \\Answered \\Flagged \\Deleted \\Draft or a "
     "keyword)\r\n"},
    {"store bad item", SEL, "a STORE 1 LABELS (x)\r\n",
     "a BAD STORE: STORE seq [+|-]FLAGS[.SILENT] (flags)\r\n"},
    {"store not selected", AUTH, "a STORE 1 +FLAGS (\\Seen)\r\n", "a " NOT_SELECTED},
    {"copy", SEL, "a COPY 1:2 Archive\r\n", "a OK [COPYUID 2 1:2 1:2] COPY completed\r\n"},
    {"copy from read-only", EXAM, "a COPY 2 Archive\r\n",
     "a OK [COPYUID 2 2 1] COPY completed\r\n"},
    {"copy to a missing folder", SEL, "a COPY 1 Nowhere\r\n",
     "a NO [TRYCREATE] No such mailbox\r\n"},
    {"copy not selected", AUTH, "a COPY 1 Archive\r\n", "a " NOT_SELECTED},
    {"uid copy", SEL, "a UID COPY 2 Archive\r\n", "a OK [COPYUID 2 2 1] COPY completed\r\n"},
    {"move", SEL, "a MOVE 1 Archive\r\n",
     "* OK [COPYUID 2 1 1] Moved\r\n* 1 EXPUNGE\r\na OK MOVE completed\r\n"},
    {"uid move", SEL, "a UID MOVE 2 Archive\r\n",
     "* OK [COPYUID 2 2 1] Moved\r\n* 2 EXPUNGE\r\na OK MOVE completed\r\n"},
    {"move read-only", EXAM, "a MOVE 1 Archive\r\n",
     "a NO [READ-ONLY] The mailbox was opened with EXAMINE\r\n"},
    {"move not selected", AUTH, "a MOVE 1 Archive\r\n", "a " NOT_SELECTED},
    {"idle not logged in", NOAUTH, "a IDLE\r\n", "a " NOT_LOGGED},
    {"idle and done", SEL, "a IDLE\r\nDONE\r\n", "+ idling\r\na OK IDLE terminated\r\n"},
    {"idle ended by something else", AUTH, "a IDLE\r\nb NOOP\r\n",
     "+ idling\r\na BAD IDLE: DONE was expected\r\n"},
    /* syntax */
    {"unknown command", NOAUTH, "a FROB\r\n", "a BAD Unknown command\r\n"},
    {"uid with an unknown command", SEL, "a UID CHECK\r\n", "a BAD Unknown command\r\n"},
    {"uid alone", SEL, "a UID\r\n",
     "a BAD UID: a command (FETCH, STORE, COPY, MOVE, SEARCH, EXPUNGE) was expected\r\n"},
    {"empty line", NOAUTH, "\r\n", "* BAD Empty command line\r\n"},
    {"tag only", NOAUTH, "a\r\n", "* BAD Invalid tag (RFC 3501 2.2.1: tag SP command)\r\n"},
    {"tag with a plus", NOAUTH, "a+ NOOP\r\n",
     "* BAD Invalid tag (RFC 3501 2.2.1: tag SP command)\r\n"},
    {"two spaces", NOAUTH, "a  NOOP\r\n", "a BAD Missing command name\r\n"},
    {"trailing text", AUTH, "a SELECT INBOX x\r\n",
     "a BAD SELECT: unexpected text after the arguments\r\n"},
    {"bare LF lines", NOAUTH, "a NOOP\nb NOOP\n", "a OK NOOP completed\r\nb OK NOOP completed\r\n"},
    {"unterminated quoted string", NOAUTH, "a LOGIN \"roberto secret\r\n",
     "a BAD LOGIN: unterminated quoted string\r\n"},
    {"quoted string escapes", NOAUTH, "a LOGIN \"rob\\erto\" x\r\n",
     "a BAD LOGIN: only \\\" and \\\\ may be escaped in a quoted string\r\n"},
};

static void world_for_table(imap_world_t *w)
{
    imap_world_init(w);
    imap_world_deliver(w, imap_fixture_multipart, 0);
    imap_world_deliver(w, SIMPLE_MSG, 3600);
    ck_assert_int_eq(store_folder_create(w->roberto, "Archive", NULL), STORE_OK);
}

static void reach(imap_session_t *c, level_t level)
{
    switch (level) {
    case NOAUTH:
        return;
    case AUTH:
        imap_session_login(c, NULL);
        return;
    case SEL:
        imap_session_login(c, "INBOX");
        return;
    case EXAM:
        imap_session_login(c, NULL);
        ck_assert_ptr_nonnull(strstr(imap_io(c, "l3 EXAMINE INBOX\r\n"), "l3 OK [READ-ONLY]"));
        return;
    }
}

START_TEST(test_command_table)
{
    const cmd_case_t *tc = &cases[_i];
    imap_world_t w;
    world_for_table(&w);
    imap_session_t c;
    imap_session_open(&c, &w, IMAP_CAP_DEFAULT);
    reach(&c, tc->level);
    const char *got = imap_io(&c, tc->in);
    ck_assert_msg(strcmp(got, tc->want) == 0, "%s:\n got: %s\nwant: %s", tc->name, got, tc->want);
    imap_session_close(&c);
    imap_world_free(&w);
}
END_TEST

START_TEST(test_greeting)
{
    imap_world_t w;
    imap_world_init(&w);
    imap_session_t c;
    imap_session_open(&c, &w, IMAP_CAP_DEFAULT);
    ck_assert_str_eq(buf_cstr(&c.out), "* OK [CAPABILITY " CAPS "] mailsim IMAP4rev1 ready\r\n");
    ck_assert_int_eq(imap_server_state(c.s), IMAP_SERVER_NOT_AUTHENTICATED);
    imap_session_close(&c);
    imap_session_open(&c, &w, 0);
    ck_assert_str_eq(buf_cstr(&c.out),
                     "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] mailsim IMAP4rev1 ready\r\n");
    imap_session_close(&c);
    imap_world_free(&w);
}
END_TEST

/* Capabilities switched off are unknown commands and refused forms. */
START_TEST(test_capabilities_off)
{
    imap_world_t w;
    world_for_table(&w);
    imap_session_t c;
    imap_session_open(&c, &w, 0);
    ck_assert_str_eq(imap_io(&c, "a AUTHENTICATE PLAIN AHJvYmVydG8Ac2VjcmV0\r\n"),
                     "a BAD SASL-IR is not offered: send the response after \"+\"\r\n");
    imap_session_login(&c, "INBOX");
    ck_assert_str_eq(imap_io(&c, "a IDLE\r\n"), "a BAD Unknown command\r\n");
    ck_assert_str_eq(imap_io(&c, "a MOVE 1 Archive\r\n"), "a BAD Unknown command\r\n");
    ck_assert_str_eq(imap_io(&c, "a UID EXPUNGE 1\r\n"), "a BAD Unknown command\r\n");
    ck_assert_str_eq(imap_io(&c, "a COPY 1 Archive\r\n"), "a OK COPY completed\r\n");
    ck_assert_str_eq(imap_io(&c, "a LOGIN {7+}\r\nroberto x\r\n"),
                     "a BAD LITERAL+ is not offered here: send {n} and wait for \"+\"\r\n");
    imap_session_close(&c);
    imap_world_free(&w);
}
END_TEST

START_TEST(test_logout_wants_close)
{
    imap_world_t w;
    imap_world_init(&w);
    imap_session_t c;
    imap_session_open(&c, &w, IMAP_CAP_DEFAULT);
    ck_assert(!imap_server_wants_close(c.s));
    imap_io(&c, "a LOGOUT\r\n");
    ck_assert(imap_server_wants_close(c.s));
    ck_assert_int_eq(imap_server_state(c.s), IMAP_SERVER_LOGOUT);
    ck_assert_str_eq(imap_io(&c, "b NOOP\r\n"), "");
    imap_session_close(&c);
    imap_world_free(&w);
}
END_TEST

START_TEST(test_timeout_and_shutdown)
{
    imap_world_t w;
    imap_world_init(&w);
    imap_session_t c;
    imap_session_open(&c, &w, IMAP_CAP_DEFAULT);
    imap_session_login(&c, "INBOX");
    buf_reset(&c.out);
    imap_server_timeout(c.s, &c.out);
    ck_assert_str_eq(buf_cstr(&c.out), "* BYE Autologout; idle for too long\r\n");
    ck_assert(imap_server_wants_close(c.s));
    ck_assert_ptr_null(imap_server_selected(c.s));
    buf_reset(&c.out);
    imap_server_shutdown(c.s, &c.out);
    ck_assert_str_eq(buf_cstr(&c.out), "");
    imap_session_close(&c);
    imap_session_open(&c, &w, IMAP_CAP_DEFAULT);
    buf_reset(&c.out);
    imap_server_shutdown(c.s, &c.out);
    ck_assert_str_eq(buf_cstr(&c.out), "* BYE Server shutting down\r\n");
    imap_session_close(&c);
    imap_world_free(&w);
}
END_TEST

/* Every line is traced once, with its tag and verb; a literal shows as its marker. */
START_TEST(test_trace_lines)
{
    imap_world_t w;
    imap_world_init(&w);
    imap_session_t c;
    imap_session_open(&c, &w, IMAP_CAP_DEFAULT);
    buf_reset(&c.trace);
    imap_io(&c, "a1 LOGIN {7}\r\nroberto secret\r\na2 uid fetch 1 FLAGS\r\n");
    ck_assert_str_eq(buf_cstr(&c.trace),
                     "C a1 LOGIN a1 LOGIN {7}\n"
                     "S + - + Ready for literal data\n"
                     "C a1 LOGIN  secret\n"
                     "S a1 OK a1 OK LOGIN completed\n"
                     "C a2 UID FETCH a2 uid fetch 1 FLAGS\n"
                     "S a2 BAD a2 BAD Command not valid in this state: no mailbox selected\n");
    imap_session_close(&c);
    imap_world_free(&w);
}
END_TEST

Suite *imap_server_suite(void)
{
    Suite *s = suite_create("imap_server");
    TCase *tc = tcase_create("commands");
    tcase_add_loop_test(tc, test_command_table, 0, (int)ARRAY_LEN(cases));
    tcase_add_test(tc, test_greeting);
    tcase_add_test(tc, test_capabilities_off);
    tcase_add_test(tc, test_logout_wants_close);
    tcase_add_test(tc, test_timeout_and_shutdown);
    tcase_add_test(tc, test_trace_lines);
    suite_add_tcase(s, tc);
    return s;
}
