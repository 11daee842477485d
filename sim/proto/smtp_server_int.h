/*
 * smtp_server_int: what the server engine's files share and nothing else
 * sees: the engine's struct, the state setter, the reply helpers, and the
 * command table that smtp_server_cmd.c defines.
 */
#ifndef MAILSIM_PROTO_SMTP_SERVER_INT_H
#define MAILSIM_PROTO_SMTP_SERVER_INT_H

#include "proto/line.h"
#include "proto/smtp_addr.h"
#include "proto/smtp_server.h"

/* The replies whose bytes never change for an engine. */
typedef enum smtp_fixed {
    SMTP_FIXED_GREETING, /* 220, or 554 when refusing (RFC 5321 3.1) */
    SMTP_FIXED_DATA,     /* 354 to DATA */
    SMTP_FIXED_QUIT,     /* 221 to QUIT */
    SMTP_FIXED_COUNT
} smtp_fixed_t;

/* The replies whose bytes depend on the configuration alone, made at their first use. */
struct smtp_server_replies {
    /* The EHLO reply's keyword lines on the wire, and their length as reply text. */
    bool ehlo_tail_ready;
    buf_t ehlo_tail;
    size_t ehlo_text_len;
    /* "250-NAME Hello " (or "250 " with no keyword lines); 0 octets when NAME will not do. */
    char ehlo_head[128];
    size_t ehlo_head_len;
    /* The fixed replies on the wire, one after another: reply i is
     * [fixed_at[i], fixed_at[i + 1]). */
    bool fixed_ready;
    buf_t fixed;
    size_t fixed_at[SMTP_FIXED_COUNT + 1];
};

struct smtp_server {
    /* What a command reads and writes comes first, in as few cache lines as
     * it takes (with a thousand sessions, each line is out of cache at
     * every command); the two long strings, of which a command reads only
     * the first line, after it. */
    smtp_server_config_t cfg;
    char *hostname;
    smtp_server_hooks_t hooks;
    bool trace_lines; /* hooks.on_line is called */
    smtp_server_state_t state;
    line_reader_t reader;
    char *auth_user;  /* NULL until AUTH succeeds */
    char *login_user; /* AUTH LOGIN: the user between the two prompts */
    bool closing;
    uint64_t messages;
    /*
     * The transaction (RFC 5321 3.3): MAIL, RCPTs, DATA. Its strings live in
     * the engine's own memory, kept from one transaction (and connection)
     * to the next.
     */
    char (*rcpt_text)[SMTP_PATH_MAX + 1]; /* the accepted recipients */
    const char **recipients;              /* recipients[i] is rcpt_text[i] */
    size_t nrecipients, cap_recipients;
    bool body_8bit;
    uint64_t declared_size; /* MAIL SIZE=, 0 when not given */
    line_dotblock_t data;
    char helo[SMTP_DOMAIN_MAX + 1];       /* "" before HELO/EHLO */
    char reverse_path[SMTP_PATH_MAX + 1]; /* "" before MAIL, and for the null sender */
    /* The replies made once: the engine's own, unless cfg.replies (see smtp_server_rep). */
    smtp_server_replies_t own;
};

/* The replies an engine writes from: those its configuration shares, or its own. */
static inline smtp_server_replies_t *smtp_server_rep(smtp_server_t *s)
{
    return s->cfg.replies ? s->cfg.replies : &s->own;
}

/* A command's arguments as its check found them, for its apply. */
typedef struct smtp_cmd_args {
    char path[SMTP_PATH_MAX + 1];   /* MAIL, RCPT */
    size_t path_len;                /* strlen(path), measured once by the check */
    bool body_8bit;                 /* MAIL BODY=8BITMIME */
    uint64_t size;                  /* MAIL SIZE=, 0 when not given */
    char word[SMTP_DOMAIN_MAX + 1]; /* HELO/EHLO domain, AUTH mechanism */
    size_t word_len;                /* strlen(word) */
    const char *initial;            /* AUTH initial response, or NULL; in the line */
} smtp_cmd_args_t;

/*
 * A command: check is pure (it reads the engine and the arguments and says
 * whether the command may go ahead; when not, *err is the error reply); apply
 * acts and replies.
 */
typedef struct smtp_command {
    const char *verb;
    bool plain; /* replies carry no enhanced code (HELO, EHLO: RFC 2034 3) */
    bool (*check)(const smtp_server_t *s, const char *args, smtp_cmd_args_t *a, smtp_reply_t *err);
    void (*apply)(smtp_server_t *s, const smtp_cmd_args_t *a, buf_t *out);
} smtp_command_t;

/* The command of a verb (upper case), or NULL. */
const smtp_command_t *smtp_server_command_find(const char *verb);

/* The only way to change state. */
void smtp_server_set_state(smtp_server_t *s, smtp_server_state_t to);
/* Sends r with the enhanced code when ENHANCEDSTATUSCODES is offered. */
void smtp_server_send(smtp_server_t *s, const smtp_reply_t *r, buf_t *out);
/* Sends r without an enhanced code (greeting, HELO/EHLO replies: RFC 2034 3). */
void smtp_server_send_plain(smtp_server_t *s, const smtp_reply_t *r, buf_t *out);
void smtp_server_reply(smtp_server_t *s, buf_t *out, int code, const char *enhanced,
                       const char *fmt, ...) MS_PRINTF(5, 6);
/* The same for a text that needs no formatting: written straight to out. */
void smtp_server_reply_text(smtp_server_t *s, buf_t *out, int code, const char *enhanced,
                            const char *text, size_t len);
/* smtp_server_reply_text of a string literal. */
#define SMTP_SERVER_REPLY_LIT(s, out, code, enhanced, lit)                                         \
    smtp_server_reply_text((s), (out), (code), (enhanced), (lit), sizeof(lit) - 1)
/*
 * a then b[0..blen) into text (SMTP_REPLY_TEXT_MAX octets), cut as a reply
 * text is cut; no NUL. Returns the length.
 */
size_t smtp_server_join(char *text, const char *a, const char *b, size_t blen);
/* Sends a fixed reply: untraced, a copy of its bytes as first written. */
void smtp_server_reply_fixed(smtp_server_t *s, smtp_fixed_t which, buf_t *out);
/* The line hook to hand on: NULL while nobody listens. */
static inline smtp_line_fn smtp_server_line_hook(const smtp_server_t *s)
{
    return s->trace_lines ? s->hooks.on_line : NULL;
}
/* Ends the transaction: forgets sender, recipients and data. */
void smtp_server_reset_transaction(smtp_server_t *s);
/* The extensions offered: the configured ones, plus AUTH on the submission port. */
unsigned smtp_server_offered(const smtp_server_t *s);
/* Starts reading a DATA body: the 1000-octet text line limit and the size limit. */
void smtp_server_begin_data(smtp_server_t *s);
/* AUTH with its mechanism and optional initial response (smtp_server_auth.c). */
void smtp_server_auth_start(smtp_server_t *s, const smtp_cmd_args_t *a, buf_t *out);
/* A line of the AUTH exchange, in one of the AUTH_* states. */
void smtp_server_auth_line(smtp_server_t *s, const char *line, buf_t *out);
/* A reply from a hook, checked in place: a code out of range becomes 451 4.3.0. */
void smtp_server_hook_check(smtp_reply_t *r);

#endif
