/*
 * bounce: delivery status notifications (RFC 3464) in a multipart/report
 * (RFC 6522), from MAILER-DAEMON with the null sender, back to the original
 * sender. A failed message names each recipient, its status code and the
 * remote server's diagnostic; a delayed one says the server keeps trying.
 * A message whose sender is <> is never answered (RFC 5321 4.5.5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "mail/header.h"
#include "mail/message.h"
#include "node/node_private.h"

/* The original's header section, for the text/rfc822-headers part. */
static void append_original_headers(buf_t *out, const mail_msg_t *orig)
{
    header_t h;
    header_init(&h);
    size_t end = header_parse(orig->data.data, orig->data.len, &h);
    header_free(&h);
    if (end > orig->data.len)
        end = orig->data.len;
    buf_append(out, orig->data.data, end);
    if (end < 2 || orig->data.data[end - 1] != '\n')
        buf_puts(out, "\r\n");
}

static void build_dsn(mail_server_t *s, const mail_msg_t *orig, const bounce_rcpt_t *rcpts,
                      size_t n, bool delayed, const char *message_id, buf_t *out)
{
    world_t *w = s->world;
    char date[64];
    message_date_format(sim_now(w->sim), 0, date, sizeof date);
    char boundary[64];
    snprintf(boundary, sizeof boundary, "=_dsn_%llu_%s", (unsigned long long)w->message_counter,
             s->host_name);
    buf_printf(out, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n", s->host_name);
    buf_printf(out, "To: <%s>\r\n", orig->reverse_path);
    buf_printf(out, "Subject: %s\r\n",
               delayed ? "Delayed Mail (still being retried)" : "Undelivered Mail Returned to Sender");
    buf_printf(out, "Date: %s\r\nMessage-ID: %s\r\nAuto-Submitted: auto-replied\r\n", date,
               message_id);
    buf_printf(out, "MIME-Version: 1.0\r\nContent-Type: multipart/report; "
                    "report-type=delivery-status;\r\n\tboundary=\"%s\"\r\n\r\n",
               boundary);
    buf_printf(out, "This is a MIME-encapsulated message.\r\n\r\n--%s\r\n", boundary);
    buf_puts(out, "Content-Type: text/plain; charset=utf-8\r\n\r\n");
    buf_printf(out, "This is the mail system at host %s.\r\n\r\n", s->host_name);
    if (delayed)
        buf_puts(out, "Your message could not be delivered yet. The mail system will keep\r\n"
                      "trying; you do not need to send it again.\r\n\r\n");
    else
        buf_puts(out, "I'm sorry to have to inform you that your message could not\r\n"
                      "be delivered to one or more recipients.\r\n\r\n");
    for (size_t i = 0; i < n; i++)
        buf_printf(out, "<%s>: %s\r\n", rcpts[i].recipient, rcpts[i].diagnostic);
    buf_printf(out, "\r\n--%s\r\nContent-Type: message/delivery-status\r\n\r\n", boundary);
    buf_printf(out, "Reporting-MTA: dns; %s\r\nArrival-Date: %s\r\n", s->host_name, date);
    for (size_t i = 0; i < n; i++) {
        buf_printf(out, "\r\nFinal-Recipient: rfc822; %s\r\nAction: %s\r\nStatus: %s\r\n",
                   rcpts[i].recipient, delayed ? "delayed" : "failed", rcpts[i].status);
        if (rcpts[i].remote_mta)
            buf_printf(out, "Remote-MTA: dns; %s\r\n", rcpts[i].remote_mta);
        buf_printf(out, "Diagnostic-Code: smtp; %s\r\n", rcpts[i].diagnostic);
    }
    buf_printf(out, "\r\n--%s\r\nContent-Type: text/rfc822-headers\r\n\r\n", boundary);
    append_original_headers(out, orig);
    buf_printf(out, "\r\n--%s--\r\n", boundary);
}

void bounce_send(mail_server_t *s, const mail_msg_t *orig, const bounce_rcpt_t *rcpts, size_t n,
                 bool delayed)
{
    if (!orig->reverse_path[0] || n == 0)
        return; /* RFC 5321 4.5.5: never answer a notification with another */
    world_t *w = s->world;
    w->message_counter++;
    char message_id[256];
    message_id_make(w->message_counter, w->sim->seed, s->host_name, message_id,
                    sizeof message_id);
    buf_t data = BUF_INIT;
    build_dsn(s, orig, rcpts, n, delayed, message_id, &data);
    char label[300];
    snprintf(label, sizeof label, "%s-%s", delayed ? "delay" : "bounce", orig->label);
    world_register_label(w, message_id, label);
    mail_msg_t *dsn = mail_msg_new(label, "", data.data, data.len);
    buf_free(&data);
    const char *to = orig->reverse_path;
    server_take_message(s, dsn, &to, 1);
    mail_msg_unref(dsn);
}
