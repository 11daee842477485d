/*
 * codes: what a reply means, for the transcript's explanations. SMTP reply
 * codes (RFC 5321 4.2.2, 4.2.3), POP3 status indicators and response codes
 * (RFC 1939 3, RFC 2449 8), IMAP status responses and response codes
 * (RFC 3501 7.1), each in English and Greek.
 */
#ifndef MAILSIM_TUI_CODES_H
#define MAILSIM_TUI_CODES_H

#include <stddef.h>

/*
 * The meaning of a reply line of a protocol ("smtp", "pop3" or "imap"):
 * an SMTP line is looked up by its three digits (a code not in the table
 * by its first digit); POP3 by "+OK"/"-ERR" and a bracketed response code;
 * IMAP by its status word after the tag and a bracketed response code.
 * Writes "550: mailbox unavailable ..." into out (always NUL-terminated);
 * returns 0, or -1 when the line says nothing the table knows (out is then "").
 */
int tui_code_explain(const char *proto, const char *line, const char *lang, char *out,
                     size_t outlen);

/* The table's entry for one SMTP code, or NULL: "mailbox unavailable ...". */
const char *tui_smtp_code_meaning(int code, const char *lang);

#endif
