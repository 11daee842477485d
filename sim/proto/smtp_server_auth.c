/*
 * smtp_server_auth: the server side of AUTH (RFC 4954) with the PLAIN
 * (RFC 4616) and LOGIN mechanisms: challenges, responses, cancel, verdict.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/smtp_auth.h"
#include "proto/smtp_server_int.h"

static void challenge(smtp_server_t *s, const char *b64, smtp_server_state_t next, buf_t *out)
{
    /* RFC 4954 4: "334 " and the base64 challenge; PLAIN's is empty. */
    smtp_server_reply(s, out, 334, NULL, "%s", b64);
    smtp_server_set_state(s, next);
}

static void verdict(smtp_server_t *s, const char *user, const char *password, buf_t *out)
{
    bool ok = s->hooks.authenticate && s->hooks.authenticate(s->hooks.ctx, user, password);
    free(s->login_user);
    s->login_user = NULL;
    smtp_server_set_state(s, SMTP_SERVER_READY);
    if (!ok) {
        smtp_server_reply(s, out, 535, "5.7.8", "Authentication credentials invalid");
        return;
    }
    s->auth_user = xstrdup(user);
    smtp_server_reply(s, out, 235, "2.7.0", "Authentication successful");
}

static void undecodable(smtp_server_t *s, buf_t *out)
{
    free(s->login_user);
    s->login_user = NULL;
    smtp_server_set_state(s, SMTP_SERVER_READY);
    smtp_server_reply(s, out, 501, "5.5.2", "Cannot decode the response");
}

/* A base64 response that must decode to text without NUL; the caller frees. */
static char *decode_text(const char *b64)
{
    buf_t raw = BUF_INIT;
    if (!smtp_auth_b64_decode(b64, &raw) || memchr(raw.data, '\0', raw.len)) {
        buf_free(&raw);
        return NULL;
    }
    char *s = xstrndup(raw.len ? (const char *)raw.data : "", raw.len);
    buf_free(&raw);
    return s;
}

static void plain_response(smtp_server_t *s, const char *b64, buf_t *out)
{
    buf_t raw = BUF_INIT;
    char *user = NULL, *password = NULL;
    if (!smtp_auth_b64_decode(b64, &raw)) {
        buf_free(&raw);
        undecodable(s, out);
        return;
    }
    if (!smtp_auth_plain_split(raw.data, raw.len, &user, &password)) {
        buf_free(&raw);
        free(s->login_user);
        s->login_user = NULL;
        smtp_server_set_state(s, SMTP_SERVER_READY);
        smtp_server_reply(s, out, 535, "5.7.8", "Authentication credentials invalid");
        return;
    }
    verdict(s, user, password, out);
    buf_free(&raw);
    free(user);
    free(password);
}

static void login_user(smtp_server_t *s, const char *b64, buf_t *out)
{
    char *user = decode_text(b64);
    if (!user) {
        undecodable(s, out);
        return;
    }
    free(s->login_user);
    s->login_user = user;
    challenge(s, SMTP_AUTH_LOGIN_PASS_PROMPT, SMTP_SERVER_AUTH_LOGIN_PASS, out);
}

static void login_password(smtp_server_t *s, const char *b64, buf_t *out)
{
    char *password = decode_text(b64);
    if (!password) {
        undecodable(s, out);
        return;
    }
    char *user = s->login_user;
    s->login_user = NULL;
    verdict(s, user ? user : "", password, out);
    free(user);
    free(password);
}

void smtp_server_auth_start(smtp_server_t *s, const smtp_cmd_args_t *a, buf_t *out)
{
    bool plain = str_casecmp(a->word, "PLAIN") == 0;
    if (plain && a->initial)
        plain_response(s, a->initial, out);
    else if (plain)
        challenge(s, "", SMTP_SERVER_AUTH_PLAIN, out);
    else if (a->initial)
        login_user(s, a->initial, out);
    else
        challenge(s, SMTP_AUTH_LOGIN_USER_PROMPT, SMTP_SERVER_AUTH_LOGIN_USER, out);
}

void smtp_server_auth_line(smtp_server_t *s, const char *line, buf_t *out)
{
    /* RFC 4954 4: "*" cancels the exchange, answered with 501. */
    if (strcmp(line, "*") == 0) {
        free(s->login_user);
        s->login_user = NULL;
        smtp_server_set_state(s, SMTP_SERVER_READY);
        smtp_server_reply(s, out, 501, "5.0.0", "Authentication cancelled");
        return;
    }
    switch (s->state) {
    case SMTP_SERVER_AUTH_PLAIN:
        plain_response(s, line, out);
        return;
    case SMTP_SERVER_AUTH_LOGIN_USER:
        login_user(s, line, out);
        return;
    case SMTP_SERVER_AUTH_LOGIN_PASS:
        login_password(s, line, out);
        return;
    case SMTP_SERVER_NEW:
    case SMTP_SERVER_GREETED:
    case SMTP_SERVER_REFUSING:
    case SMTP_SERVER_READY:
    case SMTP_SERVER_MAIL:
    case SMTP_SERVER_RCPT:
    case SMTP_SERVER_DATA:
    case SMTP_SERVER_CLOSED:
        panic("smtp_server_auth_line: not in an AUTH exchange (%s)",
              smtp_server_state_name(s->state));
    }
}
