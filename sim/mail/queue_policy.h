/*
 * queue_policy: when an MTA retries a deferred message, when it gives up and
 * when it warns the sender; what an SMTP reply means for a message; and the
 * pure parts of a delivery status notification (RFC 3464): the status code,
 * the action and the human-readable lines. Pure functions of their arguments:
 * the queue runner in sim/node owns the clock and the queue.
 */
#ifndef MAILSIM_MAIL_QUEUE_POLICY_H
#define MAILSIM_MAIL_QUEUE_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/time.h"

typedef enum queue_backoff {
    QUEUE_BACKOFF_FIXED,       /* every retry */
    QUEUE_BACKOFF_EXPONENTIAL, /* retry, 2*retry, 4*retry ... up to max_retry */
} queue_backoff_t;

typedef struct queue_policy {
    sim_time_t retry; /* first (fixed: every) wait between attempts */
    queue_backoff_t backoff;
    sim_time_t max_retry;  /* the longest wait with exponential backoff */
    sim_time_t give_up;    /* bounce once a message has waited this long; 0: at the first failure */
    sim_time_t warn_after; /* a delay warning after this long; 0: never */
} queue_policy_t;

/* 30m, fixed, 4h, 5d, no warning (SCENARIO-FORMAT.md servers.queue). */
void queue_policy_default(queue_policy_t *p);
/* "fixed" or "exponential"; returns 0, or -1 for anything else. */
int queue_backoff_parse(const char *s, queue_backoff_t *out);
const char *queue_backoff_name(queue_backoff_t b);
/* NULL when the policy makes sense, else why not (a static string): retry must be > 0, ... */
const char *queue_policy_check(const queue_policy_t *p);

/*
 * When to make the next delivery attempt. first_attempt is when the first
 * attempt was (or the message was queued); attempts_done how many attempts
 * have failed so far. Attempts keep to a grid laid from first_attempt:
 * fixed at first, +retry, +2*retry ...; exponential at first, +retry,
 * +3*retry, +7*retry ... with no gap longer than max_retry. With no attempt
 * done the answer is max(first_attempt, now). A grid point already past
 * (the host was down) is skipped for the first one at or after now, so a
 * late queue does not send a burst of attempts.
 */
sim_time_t queue_next_attempt(const queue_policy_t *p, sim_time_t first_attempt,
                              unsigned attempts_done, sim_time_t now);
/* True once a message queued at enqueued_at has waited give_up (it then bounces). */
bool queue_should_give_up(const queue_policy_t *p, sim_time_t enqueued_at, sim_time_t now);
/* True once, when warn_after is set and has passed, and no warning was sent yet. */
bool queue_should_warn(const queue_policy_t *p, sim_time_t enqueued_at, sim_time_t now,
                       bool already_warned);

/* ---- replies ----------------------------------------------------------- */

typedef enum queue_reply_class {
    QUEUE_REPLY_SUCCESS,   /* 2xx: delivered (or relayed) */
    QUEUE_REPLY_TRANSIENT, /* 4xx: defer and retry */
    QUEUE_REPLY_PERMANENT, /* 5xx: bounce at once */
    QUEUE_REPLY_INVALID,   /* not a final reply code: treated as transient */
} queue_reply_class_t;

/* RFC 5321 4.2.1: the first digit decides. 1xx and 3xx are no final answer. */
queue_reply_class_t queue_classify_reply(int code);
const char *queue_reply_class_name(queue_reply_class_t c);

/*
 * RFC 3463 enhanced status codes for the failures a queue meets; the status
 * text is "4.4.1" and so on; the class digit says transient or permanent.
 */
#define QUEUE_FAILURES(X)                                                                          \
    X(NO_ANSWER, "4.4.1", "no answer from host")                                                   \
    X(DNS_TEMPORARY, "4.4.3", "directory server failure")                                          \
    X(EXPIRED, "4.4.7", "delivery time expired")                                                   \
    X(BAD_MAILBOX, "5.1.1", "bad destination mailbox address")                                     \
    X(BAD_SYSTEM, "5.1.2", "bad destination system address")                                       \
    X(MAILBOX_FULL, "5.2.2", "mailbox full")                                                       \
    X(TOO_BIG, "5.3.4", "message too big for system")                                              \
    X(RELAY_DENIED, "5.7.1", "delivery not authorized, message refused")

typedef enum queue_failure {
#define X(id, status, text) QUEUE_FAILURE_##id,
    QUEUE_FAILURES(X)
#undef X
} queue_failure_t;

/* "4.4.1" for QUEUE_FAILURE_NO_ANSWER. */
const char *queue_failure_status(queue_failure_t f);
/* RFC 3463's words: "no answer from host". */
const char *queue_failure_text(queue_failure_t f);

#define QUEUE_STATUS_SIZE 16
/*
 * The enhanced status of an SMTP reply "550 5.1.1 No such user": the code
 * after the reply code when it is there and agrees with the reply's class,
 * else the class alone ("5.0.0", "4.0.0", "2.0.0"). Returns false (and
 * writes "") when reply does not start with a reply code.
 */
bool queue_reply_status(const char *reply, char out[QUEUE_STATUS_SIZE]);

/* ---- delivery status notification parts (RFC 3464) --------------------- */

typedef enum queue_dsn_action {
    QUEUE_DSN_FAILED,
    QUEUE_DSN_DELAYED,
    QUEUE_DSN_DELIVERED,
    QUEUE_DSN_RELAYED,
} queue_dsn_action_t;

/* RFC 3464 2.3.3 Action field: "failed", "delayed", "delivered", "relayed". */
const char *queue_dsn_action_name(queue_dsn_action_t a);

/* The per-recipient part of a DSN; every string is owned by the report. */
typedef struct queue_report {
    queue_dsn_action_t action;
    char status[QUEUE_STATUS_SIZE]; /* RFC 3464 2.3.4 Status: "5.1.1" */
    char *diagnostic;  /* 2.3.6 Diagnostic-Code: "smtp; 550 5.1.1 No such user", or NULL */
    char *remote_mta;  /* 2.3.5 Remote-MTA: "dns; mail.roberto.example", or NULL */
    char *explanation; /* the human-readable line for the first part of the report */
} queue_report_t;

/*
 * A report for a recipient a server answered: reply is its final reply line
 * ("550 5.1.1 No such user"; a trailing CRLF and inner line breaks are
 * tidied), remote_host the server's name or NULL. The explanation reads
 * "The mail system could not deliver your message to R: 550 5.1.1 No such
 * user" (failed) or "... has not yet delivered ... to R: ...; it will keep
 * trying." (delayed).
 */
void queue_report_from_reply(queue_report_t *out, queue_dsn_action_t action, const char *recipient,
                             const char *remote_host, const char *reply);
/*
 * A report for a failure with no reply to quote (no answer, DNS, expiry):
 * "The mail system could not deliver your message to R: mail.roberto.example:
 * no answer from host". remote_host may be NULL.
 */
void queue_report_from_failure(queue_report_t *out, queue_dsn_action_t action,
                               const char *recipient, const char *remote_host,
                               queue_failure_t failure);
void queue_report_free(queue_report_t *r);

#endif
