/*
 * pop3_server_cmd: the server's command table (RFC 1939 4-7, RFC 2449 5),
 * after OpenSMTPD's smtp_session.c: for each verb the states it is valid in,
 * a check (arguments, message numbers) that writes the -ERR text, and an
 * apply that acts and responds. RFC 1939 leaves the -ERR texts free, so each
 * one says what went wrong and what would work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pop3_server_int.h"

#define AUTH_STATES (POP3_IN(AUTHORIZATION) | POP3_IN(USER))
#define ANY_STATE (AUTH_STATES | POP3_IN(TRANSACTION))

static const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

/* --- arguments ----------------------------------------------------------- */

/* Words of an argument string, split at runs of spaces. */
typedef struct words {
    const char *p[3];
    size_t n[3];
    size_t count; /* more than 3 counts as 4 */
} words_t;

static void split_words(const char *args, words_t *w)
{
    w->count = 0;
    const char *p = args;
    for (;;) {
        while (*p == ' ')
            p++;
        if (!*p)
            return;
        size_t len = strcspn(p, " ");
        if (w->count == ARRAY_LEN(w->p)) {
            w->count++;
            return;
        }
        w->p[w->count] = p;
        w->n[w->count] = len;
        w->count++;
        p += len;
    }
}

static bool usage(pop3_cmd_args_t *a, const char *text)
{
    snprintf(a->error, sizeof a->error, "usage: %s", text);
    return false;
}

static bool no_args(const char *args, pop3_cmd_args_t *a, const char *verb)
{
    words_t w;
    split_words(args, &w);
    return w.count == 0 || usage(a, verb);
}

/*
 * Reads a message number and looks the message up: it must exist and not be
 * marked deleted (RFC 1939 5: "may not refer to a message marked as deleted").
 */
static bool message_arg(const pop3_server_t *s, const char *p, size_t len, pop3_cmd_args_t *a)
{
    if (!pop3_parse_number(p, len, &a->msgno)) {
        if (len <= 20)
            snprintf(a->error, sizeof a->error,
                     "\"%.*s\" is not a message number; STAT and LIST give the numbers", (int)len,
                     p);
        else
            snprintf(a->error, sizeof a->error,
                     "that is not a message number; STAT and LIST give the numbers");
        return false;
    }
    pop3_msg_status_t st = POP3_MSG_NONE;
    if (s->hooks.message)
        st = s->hooks.message(s->hooks.ctx, a->msgno, &a->info);
    pop3_maildrop_stat_t stat;
    switch (st) {
    case POP3_MSG_OK:
        a->has_msgno = true;
        return true;
    case POP3_MSG_NONE:
        pop3_server_stat(s, &stat);
        if (a->msgno == 0)
            snprintf(a->error, sizeof a->error,
                     "no such message: 0 (messages are numbered from 1)");
        else
            snprintf(a->error, sizeof a->error,
                     "no such message: %u (the maildrop has %u message%s)", (unsigned)a->msgno,
                     (unsigned)stat.messages, plural(stat.messages));
        return false;
    case POP3_MSG_DELETED:
        snprintf(a->error, sizeof a->error, "message %u already deleted (RSET undeletes it)",
                 (unsigned)a->msgno);
        return false;
    }
    return false;
}

/* --- AUTHORIZATION: USER, PASS, APOP ------------------------------------- */

static bool check_user(const pop3_server_t *s, const char *args, pop3_cmd_args_t *a)
{
    words_t w;
    split_words(args, &w);
    if (w.count != 1)
        return usage(a, "USER <name>");
    memcpy(a->name, w.p[0], w.n[0]);
    a->name[w.n[0]] = '\0';
    return true;
}

static void apply_user(pop3_server_t *s, const pop3_cmd_args_t *a, buf_t *out)
{
    /* RFC 1939 7: the name is taken whether or not it exists; PASS will tell. */
    free(s->user);
    s->user = xstrdup(a->name);
    pop3_server_set_state(s, POP3_SERVER_USER);
    pop3_server_ok(s, out, "now send the password with PASS");
}

static bool check_pass(const pop3_server_t *s, const char *args, pop3_cmd_args_t *a)
{
    /* RFC 1939 7: PASS has one argument, so spaces in it belong to the password. */
    if (!args[0])
        return usage(a, "PASS <password>");
    a->password = args;
    return true;
}

static void back_to_authorization(pop3_server_t *s)
{
    free(s->user);
    s->user = NULL;
    pop3_server_set_state(s, POP3_SERVER_AUTHORIZATION);
}

/* The credentials are right: lock the maildrop (RFC 1939 4) and enter TRANSACTION. */
static void login(pop3_server_t *s, const char *user, buf_t *out)
{
    pop3_open_result_t r = POP3_OPEN_OK;
    if (s->hooks.open_maildrop)
        r = s->hooks.open_maildrop(s->hooks.ctx, user);
    switch (r) {
    case POP3_OPEN_OK:
        break;
    case POP3_OPEN_LOCKED:
        /* RFC 2449 8.1.1: [IN-USE] says the password was right but the drop is busy. */
        back_to_authorization(s);
        pop3_server_err(s, out, "[IN-USE] maildrop already locked: another session is open");
        return;
    case POP3_OPEN_FAILED:
        back_to_authorization(s);
        pop3_server_err(s, out, "[SYS/TEMP] cannot open the maildrop; try again later");
        return;
    }
    if (s->user != user) {
        free(s->user);
        s->user = xstrdup(user);
    }
    s->maildrop_open = true;
    s->logged_in = true;
    pop3_server_set_state(s, POP3_SERVER_TRANSACTION);
    pop3_maildrop_stat_t st;
    pop3_server_stat(s, &st);
    pop3_server_ok(s, out, "%s's maildrop has %u message%s (%llu octets)", s->user,
                   (unsigned)st.live, plural(st.live), (unsigned long long)st.live_octets);
}

static void apply_pass(pop3_server_t *s, const pop3_cmd_args_t *a, buf_t *out)
{
    bool ok =
        s->hooks.check_password && s->hooks.check_password(s->hooks.ctx, s->user, a->password);
    if (!ok) {
        /* RFC 3206 4: [AUTH] blames the credentials; which of the two is not said. */
        back_to_authorization(s);
        pop3_server_err(s, out, "[AUTH] wrong user name or password");
        return;
    }
    login(s, s->user, out);
}

static bool is_hex(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
            return false;
    return true;
}

static bool check_apop(const pop3_server_t *s, const char *args, pop3_cmd_args_t *a)
{
    if (!s->timestamp) {
        snprintf(a->error, sizeof a->error,
                 "APOP is not available: the greeting has no timestamp; use USER and PASS");
        return false;
    }
    words_t w;
    split_words(args, &w);
    if (w.count != 2 || w.n[1] != MD5_HEX_SIZE - 1 || !is_hex(w.p[1], w.n[1]))
        return usage(a, "APOP <name> <digest: 32 hex digits of MD5(timestamp + password)>");
    memcpy(a->name, w.p[0], w.n[0]);
    a->name[w.n[0]] = '\0';
    for (size_t i = 0; i < w.n[1]; i++)
        a->digest[i] = (char)(w.p[1][i] | 0x20); /* lower case */
    a->digest[w.n[1]] = '\0';
    return true;
}

static void apply_apop(pop3_server_t *s, const pop3_cmd_args_t *a, buf_t *out)
{
    /* RFC 1939 7: the server computes the same digest from its copy of the secret. */
    const char *secret = s->hooks.apop_secret ? s->hooks.apop_secret(s->hooks.ctx, a->name) : NULL;
    char want[MD5_HEX_SIZE];
    if (secret)
        pop3_apop_digest(s->timestamp, secret, want);
    if (!secret || strcmp(want, a->digest) != 0) {
        back_to_authorization(s);
        pop3_server_err(s, out, "[AUTH] APOP digest does not match: wrong user name or password");
        return;
    }
    login(s, a->name, out);
}

/* --- QUIT, CAPA, NOOP ---------------------------------------------------- */

static bool check_quit(const pop3_server_t *s, const char *args, pop3_cmd_args_t *a)
{
    return no_args(args, a, "QUIT");
}

/* RFC 1939 6: QUIT in TRANSACTION enters UPDATE, where the deletions happen. */
static void update(pop3_server_t *s, buf_t *out)
{
    pop3_server_set_state(s, POP3_SERVER_UPDATE);
    pop3_maildrop_stat_t st;
    pop3_server_stat(s, &st);
    uint32_t deleted = 0;
    bool ok = true;
    s->maildrop_open = false;
    if (s->hooks.commit)
        ok = s->hooks.commit(s->hooks.ctx, &deleted);
    if (!ok)
        pop3_server_err(s, out, "some deleted messages not removed");
    else if (st.live == 0)
        pop3_server_ok(s, out, "%s POP3 server signing off (%u deleted, maildrop empty)",
                       s->hostname, (unsigned)deleted);
    else
        pop3_server_ok(s, out, "%s POP3 server signing off (%u deleted, %u message%s left)",
                       s->hostname, (unsigned)deleted, (unsigned)st.live, plural(st.live));
}

static void apply_quit(pop3_server_t *s, const pop3_cmd_args_t *a, buf_t *out)
{
    if (s->state == POP3_SERVER_TRANSACTION)
        update(s, out);
    else
        pop3_server_ok(s, out, "%s POP3 server signing off", s->hostname);
    s->closing = true;
    pop3_server_set_state(s, POP3_SERVER_CLOSED);
}

static bool check_capa(const pop3_server_t *s, const char *args, pop3_cmd_args_t *a)
{
    return no_args(args, a, "CAPA");
}

static void apply_capa(pop3_server_t *s, const pop3_cmd_args_t *a, buf_t *out)
{
    /* RFC 2449 6: the capabilities, one per line; RFC 3206 5 adds AUTH-RESP-CODE. */
    static const char *const capabilities[] = {
        "TOP",
        "UIDL",
        "USER",
        "RESP-CODES",
        "AUTH-RESP-CODE",
        "PIPELINING",
        "IMPLEMENTATION mailsim",
    };
    pop3_server_ok(s, out, "Capability list follows");
    for (size_t i = 0; i < ARRAY_LEN(capabilities); i++)
        pop3_server_data_line(s, out, "%s", capabilities[i]);
    pop3_server_data_end(s, out);
}

static bool check_noop(const pop3_server_t *s, const char *args, pop3_cmd_args_t *a)
{
    return no_args(args, a, "NOOP");
}

static void apply_noop(pop3_server_t *s, const pop3_cmd_args_t *a, buf_t *out)
{
    pop3_server_ok(s, out, "%s", "");
}

/* --- TRANSACTION: STAT, LIST, UIDL, RETR, TOP, DELE, RSET ----------------- */

static bool check_stat(const pop3_server_t *s, const char *args, pop3_cmd_args_t *a)
{
    return no_args(args, a, "STAT");
}

static void apply_stat(pop3_server_t *s, const pop3_cmd_args_t *a, buf_t *out)
{
    /* RFC 1939 5: "+OK nn mm", messages marked deleted not counted. */
    pop3_maildrop_stat_t st;
    pop3_server_stat(s, &st);
    pop3_server_ok(s, out, "%u %llu", (unsigned)st.live, (unsigned long long)st.live_octets);
}

/* LIST and UIDL: no argument (the listing) or one message number. */
static bool check_listing(const pop3_server_t *s, const char *args, pop3_cmd_args_t *a,
                          const char *use)
{
    words_t w;
    split_words(args, &w);
    if (w.count == 0)
        return true;
    if (w.count > 1)
        return usage(a, use);
    return message_arg(s, w.p[0], w.n[0], a);
}

static bool check_list(const pop3_server_t *s, const char *args, pop3_cmd_args_t *a)
{
    return check_listing(s, args, a, "LIST [message number]");
}

static bool check_uidl(const pop3_server_t *s, const char *args, pop3_cmd_args_t *a)
{
    return check_listing(s, args, a, "UIDL [message number]");
}

/* Sends one line per message not marked deleted, and the closing ".". */
static void send_listing(pop3_server_t *s, bool uidl, buf_t *out)
{
    pop3_maildrop_stat_t st;
    pop3_server_stat(s, &st);
    for (uint32_t i = 1; i <= st.messages && s->hooks.message; i++) {
        pop3_msg_info_t info;
        if (s->hooks.message(s->hooks.ctx, i, &info) != POP3_MSG_OK)
            continue;
        if (uidl)
            pop3_server_data_line(s, out, "%u %s", (unsigned)i, info.uidl);
        else
            pop3_server_data_line(s, out, "%u %llu", (unsigned)i, (unsigned long long)info.size);
    }
    pop3_server_data_end(s, out);
}

static void apply_list(pop3_server_t *s, const pop3_cmd_args_t *a, buf_t *out)
{
    if (a->has_msgno) {
        pop3_server_ok(s, out, "%u %llu", (unsigned)a->msgno, (unsigned long long)a->info.size);
        return;
    }
    pop3_maildrop_stat_t st;
    pop3_server_stat(s, &st);
    pop3_server_ok(s, out, "%u message%s (%llu octets)", (unsigned)st.live, plural(st.live),
                   (unsigned long long)st.live_octets);
    send_listing(s, false, out);
}

static void apply_uidl(pop3_server_t *s, const pop3_cmd_args_t *a, buf_t *out)
{
    /* RFC 1939 7: the unique-id stays the same for the message in every session. */
    if (a->has_msgno) {
        pop3_server_ok(s, out, "%u %s", (unsigned)a->msgno, a->info.uidl);
        return;
    }
    pop3_server_ok(s, out, "unique-id listing follows");
    send_listing(s, true, out);
}

static bool check_retr(const pop3_server_t *s, const char *args, pop3_cmd_args_t *a)
{
    words_t w;
    split_words(args, &w);
    if (w.count != 1)
        return usage(a, "RETR <message number>");
    return message_arg(s, w.p[0], w.n[0], a);
}

static void apply_retr(pop3_server_t *s, const pop3_cmd_args_t *a, buf_t *out)
{
    pop3_server_ok(s, out, "%llu octets", (unsigned long long)a->info.size);
    pop3_server_data_block(s, out, a->info.data, a->info.len);
}

static bool check_top(const pop3_server_t *s, const char *args, pop3_cmd_args_t *a)
{
    words_t w;
    split_words(args, &w);
    if (w.count != 2)
        return usage(a, "TOP <message number> <number of body lines>");
    if (!pop3_parse_number(w.p[1], w.n[1], &a->lines)) {
        snprintf(a->error, sizeof a->error,
                 "the number of lines must be a number, 0 or more (usage: TOP <message number> "
                 "<number of body lines>)");
        return false;
    }
    return message_arg(s, w.p[0], w.n[0], a);
}

/* The octets of the headers, the blank line, and at most lines lines of the body. */
static size_t top_length(const uint8_t *d, size_t len, uint32_t lines)
{
    bool in_body = false;
    uint32_t body = 0;
    size_t i = 0;
    while (i < len && !(in_body && body == lines)) {
        size_t end = i;
        while (end < len && d[end] != '\n')
            end++;
        size_t content = end - i;
        if (content > 0 && d[end - 1] == '\r')
            content--;
        if (in_body)
            body++;
        else if (content == 0)
            in_body = true;
        i = end < len ? end + 1 : len;
    }
    return i;
}

static void apply_top(pop3_server_t *s, const pop3_cmd_args_t *a, buf_t *out)
{
    /* RFC 1939 7: the headers, the blank line, then the first n lines of the body. */
    pop3_server_ok(s, out, "top of message %u follows", (unsigned)a->msgno);
    size_t len = top_length(a->info.data, a->info.len, a->lines);
    pop3_server_data_block(s, out, a->info.data, len);
}

static bool check_dele(const pop3_server_t *s, const char *args, pop3_cmd_args_t *a)
{
    words_t w;
    split_words(args, &w);
    if (w.count != 1)
        return usage(a, "DELE <message number>");
    return message_arg(s, w.p[0], w.n[0], a);
}

static void apply_dele(pop3_server_t *s, const pop3_cmd_args_t *a, buf_t *out)
{
    pop3_msg_status_t st = POP3_MSG_OK;
    if (s->hooks.dele)
        st = s->hooks.dele(s->hooks.ctx, a->msgno);
    switch (st) {
    case POP3_MSG_OK:
        /* RFC 1939 5: only marked; the message goes in the UPDATE state. */
        pop3_server_ok(s, out, "message %u deleted (removed at QUIT; RSET undoes it)",
                       (unsigned)a->msgno);
        return;
    case POP3_MSG_NONE:
        pop3_server_err(s, out, "no such message: %u", (unsigned)a->msgno);
        return;
    case POP3_MSG_DELETED:
        pop3_server_err(s, out, "message %u already deleted (RSET undeletes it)",
                        (unsigned)a->msgno);
        return;
    }
}

static bool check_rset(const pop3_server_t *s, const char *args, pop3_cmd_args_t *a)
{
    return no_args(args, a, "RSET");
}

static void apply_rset(pop3_server_t *s, const pop3_cmd_args_t *a, buf_t *out)
{
    if (s->hooks.rset)
        s->hooks.rset(s->hooks.ctx);
    pop3_maildrop_stat_t st;
    pop3_server_stat(s, &st);
    pop3_server_ok(s, out, "maildrop has %u message%s (%llu octets)", (unsigned)st.live,
                   plural(st.live), (unsigned long long)st.live_octets);
}

static const pop3_command_t commands[] = {
    {"USER", AUTH_STATES, check_user, apply_user},
    {"PASS", POP3_IN(USER), check_pass, apply_pass},
    {"APOP", AUTH_STATES, check_apop, apply_apop},
    {"QUIT", ANY_STATE, check_quit, apply_quit},
    {"CAPA", ANY_STATE, check_capa, apply_capa},
    {"STAT", POP3_IN(TRANSACTION), check_stat, apply_stat},
    {"LIST", POP3_IN(TRANSACTION), check_list, apply_list},
    {"RETR", POP3_IN(TRANSACTION), check_retr, apply_retr},
    {"DELE", POP3_IN(TRANSACTION), check_dele, apply_dele},
    {"NOOP", POP3_IN(TRANSACTION), check_noop, apply_noop},
    {"RSET", POP3_IN(TRANSACTION), check_rset, apply_rset},
    {"TOP", POP3_IN(TRANSACTION), check_top, apply_top},
    {"UIDL", POP3_IN(TRANSACTION), check_uidl, apply_uidl},
};

const pop3_command_t *pop3_server_command_find(const char *verb)
{
    for (size_t i = 0; i < ARRAY_LEN(commands); i++)
        if (strcmp(commands[i].verb, verb) == 0)
            return &commands[i];
    return NULL;
}
