/* imap_fixture: Roberto's store and string-driven IMAP sessions for the IMAP suites. */
#include "imap_fixture.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

const char imap_fixture_multipart[] =
    "From: Alice <alice@alice.example>\r\n"
    "To: Roberto <roberto@roberto.example>, team: a@x.example, b@y.example;\r\n"
    "Subject: Lab report\r\n"
    "Date: Mon, 07 Sep 2026 12:00:00 +0300\r\n"
    "Message-ID: <1.abc@alice.example>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--XYZ\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Hello Roberto,\r\n"
    "the report is attached.\r\n"
    "--XYZ\r\n"
    "Content-Type: application/pdf; name=\"report.pdf\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "Content-Disposition: attachment; filename=\"report.pdf\"\r\n"
    "\r\n"
    "JVBERi0xLjQK\r\n"
    "--XYZ--\r\n";

static store_user_t *fixture_auth(void *ctx, const char *user, const char *password)
{
    imap_world_t *w = ((imap_session_t *)ctx)->world;
    store_user_t *u = store_find_user(w->store, user);
    return u && store_user_check_password(u, password) ? u : NULL;
}

static sim_time_t fixture_now(void *ctx)
{
    return ((imap_session_t *)ctx)->world->now;
}

void imap_world_init(imap_world_t *w)
{
    w->store = store_new();
    store_add_domain(w->store, "roberto.example");
    ck_assert_int_eq(store_add_user(w->store, "roberto", "secret", "Roberto", 0, &w->roberto),
                     STORE_OK);
    w->now = 0;
}

void imap_world_free(imap_world_t *w)
{
    store_free(w->store);
}

uint32_t imap_world_deliver(imap_world_t *w, const char *text, int64_t seconds)
{
    uint32_t uid = 0;
    ck_assert_int_eq(store_deliver(w->roberto, text, strlen(text), seconds * SIM_SEC, NULL, &uid),
                     STORE_OK);
    return uid;
}

static void session_line(void *ctx, line_dir_t dir, const char *tag, const char *word,
                         const char *line)
{
    imap_session_t *c = ctx;
    buf_printf(&c->trace, "%c %s %s %s\n", dir == LINE_CLIENT_TO_SERVER ? 'C' : 'S',
               tag ? tag : "-", word ? word : "-", line);
}

void imap_session_open(imap_session_t *c, imap_world_t *w, unsigned caps)
{
    memset(c, 0, sizeof *c);
    c->world = w;
    imap_server_config_t cfg;
    imap_server_config_default(&cfg);
    cfg.hostname = "imap.roberto.example";
    cfg.capabilities = caps;
    cfg.max_literal = 100000;
    imap_server_hooks_t hooks = {
        .ctx = c,
        .authenticate = fixture_auth,
        .now = fixture_now,
        .on_line = session_line,
    };
    c->s = imap_server_new(&cfg, &hooks);
    imap_server_start(c->s, &c->out);
}

void imap_session_close(imap_session_t *c)
{
    imap_server_free(c->s);
    buf_free(&c->out);
    buf_free(&c->trace);
}

const char *imap_io(imap_session_t *c, const char *input)
{
    buf_reset(&c->out);
    imap_server_feed(c->s, (const uint8_t *)input, strlen(input), &c->out);
    return buf_cstr(&c->out);
}

void imap_session_login(imap_session_t *c, const char *folder)
{
    const char *got = imap_io(c, "l1 LOGIN roberto secret\r\n");
    ck_assert_str_eq(got, "l1 OK LOGIN completed\r\n");
    if (!folder)
        return;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "l2 SELECT \"%s\"\r\n", folder);
    got = imap_io(c, cmd);
    ck_assert_msg(strstr(got, "l2 OK ["), "SELECT %s: got %s", folder, got);
}

const char *imap_notify(imap_session_t *c)
{
    buf_reset(&c->out);
    imap_server_notify(c->s, &c->out);
    return buf_cstr(&c->out);
}
