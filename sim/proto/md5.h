/*
 * md5: the MD5 message digest (RFC 1321), for POP3's APOP (RFC 1939 7). It is
 * here because APOP needs it, not because it is safe: MD5 collisions are
 * cheap to make, and a digest of a short password is quick to guess by brute
 * force. Nothing in mailsim uses it to protect anything.
 */
#ifndef MAILSIM_PROTO_MD5_H
#define MAILSIM_PROTO_MD5_H

#include <stddef.h>
#include <stdint.h>

#define MD5_DIGEST_SIZE 16
/* 32 lower-case hex digits and a NUL. */
#define MD5_HEX_SIZE 33

/* A digest being computed; a plain value the caller owns (no free). */
typedef struct md5_ctx {
    uint32_t state[4];
    uint64_t length; /* octets hashed so far */
    uint8_t block[64];
    size_t used; /* octets waiting in block */
} md5_ctx_t;

void md5_init(md5_ctx_t *ctx);
void md5_update(md5_ctx_t *ctx, const void *data, size_t len);
/* Writes the digest; ctx must be initialised again before any further use. */
void md5_final(md5_ctx_t *ctx, uint8_t digest[MD5_DIGEST_SIZE]);

/* The digest of data[0..len) in one call. */
void md5_digest(const void *data, size_t len, uint8_t digest[MD5_DIGEST_SIZE]);
/* The digest as 32 lower-case hex digits, NUL-terminated (RFC 1321 A.5's form). */
void md5_hex(const void *data, size_t len, char out[MD5_HEX_SIZE]);
/* Formats a digest as 32 lower-case hex digits, NUL-terminated. */
void md5_to_hex(const uint8_t digest[MD5_DIGEST_SIZE], char out[MD5_HEX_SIZE]);

#endif
