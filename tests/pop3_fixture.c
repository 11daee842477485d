/* pop3_fixture: the fake maildrop and the session helpers of the POP3 server tests. */
#include "pop3_fixture.h"

#include <check.h>
#include <string.h>

void pop3_fake_store_init(fake_store_t *st)
{
    memset(st, 0, sizeof *st);
    static const fake_msg_t initial[] = {
        {M1, "0000000700000001", false},
        {M2, "0000000700000002", false},
        {M3, "0000000700000005", false},
    };
    memcpy(st->msgs, initial, sizeof initial);
    st->count = ARRAY_LEN(initial);
}

static bool fake_check_password(void *ctx, const char *user, const char *password)
{
    return (strcmp(user, "roberto") == 0 && strcmp(password, "secret") == 0) ||
           (strcmp(user, "spacey") == 0 && strcmp(password, "open sesame") == 0) ||
           (strcmp(user, "broken") == 0 && strcmp(password, "x") == 0);
}

static const char *fake_apop_secret(void *ctx, const char *user)
{
    return strcmp(user, "mrose") == 0 ? "tanstaaf" : NULL;
}

static pop3_open_result_t fake_open(void *ctx, const char *user)
{
    fake_store_t *st = ((fake_session_t *)ctx)->store;
    buf_printf(&st->log, "open %s|", user);
    if (strcmp(user, "broken") == 0)
        return POP3_OPEN_FAILED;
    if (st->locked)
        return POP3_OPEN_LOCKED;
    st->locked = true;
    return POP3_OPEN_OK;
}

static void fake_stat(void *ctx, pop3_maildrop_stat_t *out)
{
    fake_store_t *st = ((fake_session_t *)ctx)->store;
    ck_assert_msg(st->locked, "stat on a maildrop that is not open");
    *out = (pop3_maildrop_stat_t){st->count, 0, 0};
    for (uint32_t i = 0; i < st->count; i++) {
        if (st->msgs[i].deleted)
            continue;
        out->live++;
        out->live_octets += strlen(st->msgs[i].data);
    }
}

static pop3_msg_status_t fake_message(void *ctx, uint32_t n, pop3_msg_info_t *out)
{
    fake_store_t *st = ((fake_session_t *)ctx)->store;
    ck_assert_msg(st->locked, "message on a maildrop that is not open");
    if (n == 0 || n > st->count)
        return POP3_MSG_NONE;
    const fake_msg_t *m = &st->msgs[n - 1];
    *out = (pop3_msg_info_t){strlen(m->data), m->uidl, (const uint8_t *)m->data, strlen(m->data)};
    return m->deleted ? POP3_MSG_DELETED : POP3_MSG_OK;
}

static pop3_msg_status_t fake_dele(void *ctx, uint32_t n)
{
    fake_store_t *st = ((fake_session_t *)ctx)->store;
    buf_printf(&st->log, "dele %u|", (unsigned)n);
    if (n == 0 || n > st->count)
        return POP3_MSG_NONE;
    if (st->msgs[n - 1].deleted)
        return POP3_MSG_DELETED;
    st->msgs[n - 1].deleted = true;
    return POP3_MSG_OK;
}

static void fake_rset(void *ctx)
{
    fake_store_t *st = ((fake_session_t *)ctx)->store;
    buf_puts(&st->log, "rset|");
    for (uint32_t i = 0; i < st->count; i++)
        st->msgs[i].deleted = false;
}

static bool fake_commit(void *ctx, uint32_t *deleted)
{
    fake_store_t *st = ((fake_session_t *)ctx)->store;
    uint32_t kept = 0, gone = 0;
    for (uint32_t i = 0; i < st->count; i++) {
        if (st->msgs[i].deleted && !st->commit_fails)
            gone++;
        else
            st->msgs[kept++] = (fake_msg_t){st->msgs[i].data, st->msgs[i].uidl, false};
    }
    st->count = kept;
    st->locked = false;
    *deleted = gone;
    buf_printf(&st->log, "commit %u|", (unsigned)gone);
    return !st->commit_fails;
}

static void fake_rollback(void *ctx)
{
    fake_store_t *st = ((fake_session_t *)ctx)->store;
    for (uint32_t i = 0; i < st->count; i++)
        st->msgs[i].deleted = false;
    st->locked = false;
    buf_puts(&st->log, "rollback|");
}

static void fake_line(void *ctx, line_dir_t dir, const char *verb, const char *status,
                      const char *line)
{
    fake_session_t *fs = ctx;
    if (dir == LINE_CLIENT_TO_SERVER)
        buf_printf(&fs->trace, "C %s %s\n", verb ? verb : "-", line);
    else
        buf_printf(&fs->trace, "S %s %s\n", status ? status : "-", line);
}

static void fake_state(void *ctx, pop3_server_state_t from, pop3_server_state_t to)
{
    ((fake_session_t *)ctx)->states++;
}

static const pop3_server_hooks_t fake_hooks = {
    .check_password = fake_check_password,
    .apop_secret = fake_apop_secret,
    .open_maildrop = fake_open,
    .stat = fake_stat,
    .message = fake_message,
    .dele = fake_dele,
    .rset = fake_rset,
    .commit = fake_commit,
    .rollback = fake_rollback,
    .on_line = fake_line,
    .on_state = fake_state,
};

pop3_server_t *pop3_fake_server(fake_session_t *fs, fake_store_t *st, bool timestamp)
{
    memset(fs, 0, sizeof *fs);
    fs->store = st;
    pop3_server_config_t cfg = {.hostname = "pop.roberto.example",
                                .timestamp = timestamp ? RFC_TIMESTAMP : NULL};
    pop3_server_hooks_t hooks = fake_hooks;
    hooks.ctx = fs;
    return pop3_server_new(&cfg, &hooks);
}

void pop3_fake_feed(pop3_server_t *s, const char *in, buf_t *out)
{
    pop3_server_feed(s, (const uint8_t *)in, strlen(in), out);
}

/* Starts a session and feeds in; out gets the responses after the greeting. */
pop3_server_t *pop3_fake_run(fake_session_t *fs, fake_store_t *st, bool timestamp, const char *in,
                             buf_t *out)
{
    pop3_server_t *s = pop3_fake_server(fs, st, timestamp);
    buf_t greeting = BUF_INIT;
    pop3_server_start(s, &greeting);
    buf_free(&greeting);
    pop3_fake_feed(s, in, out);
    return s;
}

void pop3_fake_session_free(pop3_server_t *s, fake_session_t *fs)
{
    pop3_server_free(s);
    buf_free(&fs->trace);
}
