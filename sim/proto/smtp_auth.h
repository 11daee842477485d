/*
 * smtp_auth: the SASL pieces SMTP AUTH needs (RFC 4954): base64 as AUTH
 * carries it, the PLAIN message (RFC 4616: authzid NUL authcid NUL passwd) and
 * the LOGIN prompts. Base64 is an encoding, not encryption: whoever sees the
 * line sees the password.
 */
#ifndef MAILSIM_PROTO_SMTP_AUTH_H
#define MAILSIM_PROTO_SMTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* The LOGIN mechanism's prompts: base64 of "Username:" and "Password:". */
#define SMTP_AUTH_LOGIN_USER_PROMPT "VXNlcm5hbWU6"
#define SMTP_AUTH_LOGIN_PASS_PROMPT "UGFzc3dvcmQ6"

/* Appends the base64 (RFC 4648 4, padded, one line) of in[0..len) to out. */
void smtp_auth_b64_encode(const uint8_t *in, size_t len, buf_t *out);
/*
 * Appends the decoded bytes of a base64 string to out. Returns false, with
 * out unchanged, when s is not base64 (bad character, bad padding or length).
 * "=" alone decodes to nothing (RFC 4954 4: an empty initial response).
 */
bool smtp_auth_b64_decode(const char *s, buf_t *out);

/*
 * Splits a decoded PLAIN message into user and password. The user is the
 * authentication identity; an authorization identity, when given, must be
 * the same (mailsim has no proxy authorization). The caller frees both
 * strings. false on a malformed message.
 */
bool smtp_auth_plain_split(const uint8_t *msg, size_t len, char **user, char **password);
/* Appends the base64 PLAIN response "\0user\0password" to out. */
void smtp_auth_plain_encode(const char *user, const char *password, buf_t *out);

#endif
