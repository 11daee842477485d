/*
 * utf7: the modified UTF-7 of RFC 3501 5.1.3, the form in which IMAP carries
 * mailbox names. The store keeps names in UTF-8 ("Σχολή"); the IMAP engine
 * converts at the wire ("&A6MDxwO,A7sDrg-").
 *
 * Printable US-ASCII stands for itself, "&" is written "&-", and everything
 * else is UTF-16 in base64 (with "," for "/") between "&" and "-".
 */
#ifndef MAILSIM_MAIL_UTF7_H
#define MAILSIM_MAIL_UTF7_H

/*
 * UTF-8 to modified UTF-7. Returns a fresh string (the caller frees it), or
 * NULL when utf8 is not valid UTF-8 (overlong forms, surrogates, code points
 * past U+10FFFF, U+0000); *error then says why (a static string). error may
 * be NULL.
 */
char *utf7_encode(const char *utf8, const char **error);

/*
 * Modified UTF-7 to UTF-8. Returns a fresh string (the caller frees it), or
 * NULL when mutf7 is not valid modified UTF-7: a byte outside printable
 * ASCII, an unterminated or empty shift, a bad base64 letter, leftover bits,
 * a lone surrogate, a printable ASCII character written in base64, or two
 * shifts back to back (RFC 3501 5.1.3 forbids null shifts). *error then says
 * why (a static string). error may be NULL.
 */
char *utf7_decode(const char *mutf7, const char **error);

#endif
