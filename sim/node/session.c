/*
 * session: a hand-typed session, as a student types at telnet. The agent
 * connects to a server's port and sends each line once the reply to the
 * previous one is complete. What "complete" means depends on the protocol
 * the port speaks: SMTP's last line of a multi-line reply has a space after
 * the code; POP3 answers one line, or a dot-terminated block after +OK to
 * LIST, UIDL, RETR, TOP and CAPA; IMAP's reply ends with the line tagged
 * like the command. The server's side traces every command and reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "node/node_private.h"

typedef enum session_proto { PROTO_SMTP, PROTO_POP3, PROTO_IMAP } session_proto_t;

typedef struct typed_session {
    agent_conn_t ac; /* first: the connection, the output and the silence watchdog */
    session_proto_t proto;
    char **lines;
    size_t nlines, next;
    buf_t in;              /* bytes of the reply being read */
    bool greeted;          /* the greeting has been read */
    bool multiline;        /* POP3: the reply to this command is a block */
    bool in_block;         /* POP3: +OK seen, reading the block */
    bool in_data;          /* SMTP: after 354, lines go without waiting, up to "." */
    bool closing;          /* every line sent and answered */
    char tag[64];          /* IMAP: the tag of the command sent */
} typed_session_t;

static bool pop3_block_command(const char *line)
{
    static const char *const verbs[] = {"RETR ", "TOP ", "CAPA"};
    for (size_t i = 0; i < ARRAY_LEN(verbs); i++)
        if (str_has_prefix_ci(line, verbs[i]))
            return true;
    /* LIST and UIDL answer a block without an argument, one line with one. */
    return str_casecmp(line, "LIST") == 0 || str_casecmp(line, "UIDL") == 0;
}

static void send_line(buf_t *out, const char *line)
{
    buf_append(out, line, strlen(line));
    buf_append(out, "\r\n", 2);
}

/* The next line, or every message line after 354, into out; closing once
 * every line is answered (agent_conn_flush then closes). */
static void send_next(typed_session_t *t, buf_t *out)
{
    /* RFC 5321 4.1.1.4: after 354 the message lines get no reply until the lone dot. */
    while (t->in_data && t->next < t->nlines) {
        const char *line = t->lines[t->next++];
        send_line(out, line);
        if (strcmp(line, ".") == 0) {
            t->in_data = false;
            return;
        }
    }
    if (t->next >= t->nlines) {
        t->closing = true;
        return;
    }
    const char *line = t->lines[t->next++];
    t->multiline = t->proto == PROTO_POP3 && pop3_block_command(line);
    t->in_block = false;
    size_t taglen = strcspn(line, " ");
    str_copy(t->tag, taglen + 1 < sizeof t->tag ? taglen + 1 : sizeof t->tag, line);
    send_line(out, line);
}

/* True when this line (no CRLF) ends the reply being read. */
static bool line_ends_reply(typed_session_t *t, const char *line)
{
    switch (t->proto) {
    case PROTO_SMTP:
        if (strlen(line) >= 4 && line[3] == '-')
            return false;
        t->in_data = strncmp(line, "354", 3) == 0;
        return true;
    case PROTO_POP3:
        if (t->in_block)
            return strcmp(line, ".") == 0;
        if (t->greeted && t->multiline && strncmp(line, "+OK", 3) == 0) {
            t->in_block = true;
            return false;
        }
        return true;
    case PROTO_IMAP:
        if (!t->greeted)
            return true;
        return strncmp(line, t->tag, strlen(t->tag)) == 0 && line[strlen(t->tag)] == ' ';
    }
    return true;
}

/* The session's feed (agent_conn_ops_t): each complete reply is answered
 * with the next line. */
static void typed_feed(agent_conn_t *ac, const uint8_t *data, size_t len, buf_t *out)
{
    typed_session_t *t = (typed_session_t *)ac;
    if (t->closing)
        return;
    buf_append(&t->in, data, len);
    while (!t->closing) {
        uint8_t *nl = memchr(t->in.data, '\n', t->in.len);
        if (!nl)
            return;
        size_t n = (size_t)(nl - t->in.data) + 1;
        char *line = xstrndup((const char *)t->in.data, n);
        line[strcspn(line, "\r\n")] = '\0';
        buf_consume(&t->in, n);
        bool done = line_ends_reply(t, line);
        free(line);
        if (done) {
            t->greeted = true;
            send_next(t, out);
        }
    }
}

static bool typed_done(const agent_conn_t *ac)
{
    return ((const typed_session_t *)ac)->closing;
}

/* Nothing to report: the server's side traces the session. */
static void typed_lost(agent_conn_t *ac)
{
    (void)ac;
}

static void typed_free(agent_conn_t *ac)
{
    typed_session_t *t = (typed_session_t *)ac;
    for (size_t i = 0; i < t->nlines; i++)
        free(t->lines[i]);
    free(t->lines);
    buf_free(&t->in);
    free(t);
}

/* No silence hook: a server gone quiet ends the session. */
static const agent_conn_ops_t typed_ops = {
    .feed = typed_feed,
    .done = typed_done,
    .lost = typed_lost,
    .free = typed_free,
};

bool agent_session(user_agent_t *a, const char *server_host, uint16_t port,
                   const char *const *lines, size_t nlines, char *err, size_t errlen)
{
    world_t *w = agent_world(a);
    host_t *to = net_host_by_name(w->net, server_host);
    if (!to) {
        snprintf(err, errlen, "no host %s", server_host);
        return false;
    }
    typed_session_t *t = xcalloc(1, sizeof *t);
    t->proto = PROTO_SMTP;
    mail_server_t *s = world_server_by_host(w, server_host);
    if (s && port == s->cfg.pop3_port)
        t->proto = PROTO_POP3;
    else if (s && port == s->cfg.imap_port)
        t->proto = PROTO_IMAP;
    t->lines = xcalloc(nlines + 1, sizeof *t->lines);
    for (size_t i = 0; i < nlines; i++)
        t->lines[i] = xstrdup(lines[i]);
    t->nlines = nlines;
    agent_conn_open(&t->ac, a, &typed_ops, to, port);
    return true;
}
