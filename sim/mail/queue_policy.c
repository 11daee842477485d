/*
 * queue_policy: retry schedule, give-up and warning tests, reply classes,
 * RFC 3463 status codes and RFC 3464 report lines. Nothing here keeps state.
 */
#include "mail/queue_policy.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/util.h"

void queue_policy_default(queue_policy_t *p)
{
    /* The lecture: a message that cannot be delivered is retried, usually
     * every 30 minutes, and returned to the sender after a few days. */
    *p = (queue_policy_t){
        .retry = 30 * SIM_MIN,
        .backoff = QUEUE_BACKOFF_FIXED,
        .max_retry = 4 * SIM_HOUR,
        .give_up = 5 * SIM_DAY,
        .warn_after = 0,
    };
}

int queue_backoff_parse(const char *s, queue_backoff_t *out)
{
    if (strcmp(s, "fixed") == 0)
        *out = QUEUE_BACKOFF_FIXED;
    else if (strcmp(s, "exponential") == 0)
        *out = QUEUE_BACKOFF_EXPONENTIAL;
    else
        return -1;
    return 0;
}

const char *queue_backoff_name(queue_backoff_t b)
{
    switch (b) {
    case QUEUE_BACKOFF_FIXED:
        return "fixed";
    case QUEUE_BACKOFF_EXPONENTIAL:
        return "exponential";
    }
    return "unknown";
}

const char *queue_policy_check(const queue_policy_t *p)
{
    if (p->retry <= 0)
        return "retry must be longer than 0";
    if (p->backoff == QUEUE_BACKOFF_EXPONENTIAL && p->max_retry < p->retry)
        return "max_retry must be at least retry";
    if (p->give_up < 0)
        return "give_up must not be negative";
    if (p->warn_after < 0)
        return "warn_after must not be negative";
    return NULL;
}

/* ---- schedule ---------------------------------------------------------- */

static sim_time_t add_saturated(sim_time_t t, sim_time_t d)
{
    return t > SIM_TIME_NEVER - d ? SIM_TIME_NEVER : t + d;
}

/* The wait after the current one; fixed stays, exponential doubles up to the cap. */
static sim_time_t next_wait(const queue_policy_t *p, sim_time_t wait)
{
    switch (p->backoff) {
    case QUEUE_BACKOFF_FIXED:
        return wait;
    case QUEUE_BACKOFF_EXPONENTIAL: {
        sim_time_t cap = p->max_retry > 0 ? p->max_retry : SIM_TIME_NEVER;
        if (wait >= cap / 2)
            return cap > wait ? cap : wait;
        return 2 * wait;
    }
    }
    return wait;
}

static sim_time_t first_wait(const queue_policy_t *p)
{
    sim_time_t wait = p->retry > 0 ? p->retry : SIM_MIN;
    if (p->backoff == QUEUE_BACKOFF_EXPONENTIAL && p->max_retry > 0 && p->max_retry < wait)
        wait = p->max_retry;
    return wait;
}

sim_time_t queue_next_attempt(const queue_policy_t *p, sim_time_t first_attempt,
                              unsigned attempts_done, sim_time_t now)
{
    if (attempts_done == 0)
        return first_attempt > now ? first_attempt : now;
    sim_time_t t = first_attempt;
    sim_time_t wait = first_wait(p);
    for (unsigned k = 1; k <= attempts_done && t != SIM_TIME_NEVER; k++) {
        t = add_saturated(t, wait);
        wait = next_wait(p, wait);
    }
    /* Missed grid points (the queue was down) are skipped, not made up. */
    while (t < now) {
        sim_time_t after = next_wait(p, wait);
        if (after == wait) {
            sim_time_t steps = (now - t + wait - 1) / wait;
            return steps > (SIM_TIME_NEVER - t) / wait ? SIM_TIME_NEVER : t + steps * wait;
        }
        t = add_saturated(t, wait);
        wait = after;
    }
    return t;
}

bool queue_should_give_up(const queue_policy_t *p, sim_time_t enqueued_at, sim_time_t now)
{
    return now - enqueued_at >= p->give_up;
}

bool queue_should_warn(const queue_policy_t *p, sim_time_t enqueued_at, sim_time_t now,
                       bool already_warned)
{
    return p->warn_after > 0 && !already_warned && now - enqueued_at >= p->warn_after;
}

/* ---- replies ----------------------------------------------------------- */

queue_reply_class_t queue_classify_reply(int code)
{
    if (code >= 200 && code <= 299)
        return QUEUE_REPLY_SUCCESS;
    if (code >= 400 && code <= 499)
        return QUEUE_REPLY_TRANSIENT;
    if (code >= 500 && code <= 599)
        return QUEUE_REPLY_PERMANENT;
    return QUEUE_REPLY_INVALID;
}

const char *queue_reply_class_name(queue_reply_class_t c)
{
    switch (c) {
    case QUEUE_REPLY_SUCCESS:
        return "success";
    case QUEUE_REPLY_TRANSIENT:
        return "transient";
    case QUEUE_REPLY_PERMANENT:
        return "permanent";
    case QUEUE_REPLY_INVALID:
        return "invalid";
    }
    return "unknown";
}

static const struct {
    const char *status, *text;
} failures[] = {
#define X(id, status, text) {status, text},
    QUEUE_FAILURES(X)
#undef X
};

const char *queue_failure_status(queue_failure_t f)
{
    return (size_t)f < ARRAY_LEN(failures) ? failures[f].status : "4.0.0";
}

const char *queue_failure_text(queue_failure_t f)
{
    return (size_t)f < ARRAY_LEN(failures) ? failures[f].text : "unknown failure";
}

/* 1 to max digits; returns how many were read (0: none or too many). */
static size_t read_digits(const char *s, size_t max)
{
    size_t n = 0;
    while (isdigit((unsigned char)s[n]))
        n++;
    return n <= max ? n : 0;
}

/* RFC 3463 2: class "." subject "." detail, subject and detail 1-3 digits. */
static size_t enhanced_length(const char *s)
{
    if (s[0] == '\0' || !strchr("245", s[0]) || s[1] != '.')
        return 0;
    size_t subject = read_digits(s + 2, 3);
    if (subject == 0 || s[2 + subject] != '.')
        return 0;
    size_t detail = read_digits(s + 3 + subject, 3);
    if (detail == 0)
        return 0;
    size_t len = 3 + subject + detail;
    return (s[len] == '\0' || s[len] == ' ' || s[len] == '\r' || s[len] == '\n') ? len : 0;
}

bool queue_reply_status(const char *reply, char out[QUEUE_STATUS_SIZE])
{
    out[0] = '\0';
    if (read_digits(reply, 3) != 3 || (reply[3] != '\0' && reply[3] != ' ' && reply[3] != '-'))
        return false;
    char klass = strchr("245", reply[0]) ? reply[0] : '4';
    const char *text = reply[3] ? reply + 4 : reply + 3;
    size_t len = enhanced_length(text);
    /* RFC 3463 3.1 / RFC 2034: the status class agrees with the reply's. */
    if (len > 0 && text[0] == klass) {
        memcpy(out, text, len);
        out[len] = '\0';
    } else {
        snprintf(out, QUEUE_STATUS_SIZE, "%c.0.0", klass);
    }
    return true;
}

/* ---- reports ----------------------------------------------------------- */

const char *queue_dsn_action_name(queue_dsn_action_t a)
{
    switch (a) {
    case QUEUE_DSN_FAILED:
        return "failed";
    case QUEUE_DSN_DELAYED:
        return "delayed";
    case QUEUE_DSN_DELIVERED:
        return "delivered";
    case QUEUE_DSN_RELAYED:
        return "relayed";
    }
    return "unknown";
}

/* A reply on one line: line breaks become spaces, trailing space goes. */
static char *reply_one_line(const char *reply)
{
    buf_t b = BUF_INIT;
    for (const char *p = reply; *p; p++) {
        if (*p == '\r' && p[1] == '\n')
            continue;
        buf_putc(&b, (*p == '\r' || *p == '\n') ? ' ' : *p);
    }
    while (b.len > 0 && b.data[b.len - 1] == ' ')
        b.len--;
    buf_puts(&b, ""); /* the NUL after the trimmed end (and for an empty reply) */
    return buf_steal(&b, NULL);
}

static char *explanation(queue_dsn_action_t action, const char *recipient, const char *detail)
{
    switch (action) {
    case QUEUE_DSN_FAILED:
        return xasprintf("The mail system could not deliver your message to %s: %s", recipient,
                         detail);
    case QUEUE_DSN_DELAYED:
        return xasprintf("The mail system has not yet delivered your message to %s: %s; "
                         "it will keep trying.",
                         recipient, detail);
    case QUEUE_DSN_DELIVERED:
        return xasprintf("Your message was delivered to %s: %s", recipient, detail);
    case QUEUE_DSN_RELAYED:
        return xasprintf("Your message was relayed to %s: %s", recipient, detail);
    }
    return xasprintf("%s: %s", recipient, detail);
}

static const char *default_status(queue_dsn_action_t action)
{
    switch (action) {
    case QUEUE_DSN_FAILED:
        return "5.0.0";
    case QUEUE_DSN_DELAYED:
        return "4.0.0";
    case QUEUE_DSN_DELIVERED:
    case QUEUE_DSN_RELAYED:
        return "2.0.0";
    }
    return "4.0.0";
}

void queue_report_from_reply(queue_report_t *out, queue_dsn_action_t action, const char *recipient,
                             const char *remote_host, const char *reply)
{
    char *line = reply_one_line(reply);
    *out = (queue_report_t){.action = action};
    if (!queue_reply_status(line, out->status))
        snprintf(out->status, sizeof out->status, "%s", default_status(action));
    /* RFC 3464 2.3.6: diagnostic-type "smtp" for an SMTP server's reply. */
    out->diagnostic = xasprintf("smtp; %s", line);
    out->remote_mta = remote_host ? xasprintf("dns; %s", remote_host) : NULL;
    out->explanation = explanation(action, recipient, line);
    free(line);
}

void queue_report_from_failure(queue_report_t *out, queue_dsn_action_t action,
                               const char *recipient, const char *remote_host,
                               queue_failure_t failure)
{
    *out = (queue_report_t){.action = action};
    snprintf(out->status, sizeof out->status, "%s", queue_failure_status(failure));
    out->remote_mta = remote_host ? xasprintf("dns; %s", remote_host) : NULL;
    char *detail = remote_host ? xasprintf("%s: %s", remote_host, queue_failure_text(failure))
                               : xstrdup(queue_failure_text(failure));
    out->explanation = explanation(action, recipient, detail);
    free(detail);
}

void queue_report_free(queue_report_t *r)
{
    if (!r)
        return;
    free(r->diagnostic);
    free(r->remote_mta);
    free(r->explanation);
    r->diagnostic = r->remote_mta = r->explanation = NULL;
}
