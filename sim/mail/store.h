/*
 * store: one mail server's disk. Users (name, password, display name, quota),
 * their folders (INBOX always there, "/" between hierarchy levels, UTF-8
 * names), subscriptions, and the messages in each folder with their UIDs,
 * flags, internal dates and sizes. A POP3 maildrop view (RFC 1939) sits on
 * top of INBOX. Pure data: no network, no clock (times come in as sim_time_t),
 * no trace events (an observer callback tells the node what changed).
 *
 * The store keeps a message as opaque bytes: whoever appends passes them in
 * the form the protocols count (CRLF line ends, so that a size is what POP3
 * LIST and IMAP RFC822.SIZE report). Copies and moves share the bytes through
 * a reference count instead of duplicating them.
 *
 * Lifetimes: users and folders live as long as the store; a deleted folder's
 * handle stays valid (store_folder_exists() is then false and every operation
 * on it answers STORE_NO_FOLDER), so a session that holds one never reads
 * freed memory. A const store_msg_t * is borrowed: valid until its folder
 * next gains or loses a message (append, copy or move into it, expunge,
 * delete, INBOX rename). A folder's name is valid until it is renamed.
 */
#ifndef MAILSIM_MAIL_STORE_H
#define MAILSIM_MAIL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bigblock.h"
#include "core/buf.h"
#include "core/time.h"

typedef struct store store_t;
typedef struct store_user store_user_t;
typedef struct store_folder store_folder_t;
typedef struct store_msg store_msg_t;

/* ---- errors ------------------------------------------------------------ */

#define STORE_ERRORS(X)                                                                            \
    X(OK, "ok")                                                                                    \
    X(NO_USER, "no such user")                                                                     \
    X(USER_EXISTS, "user already exists")                                                          \
    X(BAD_USER, "not a valid user name")                                                           \
    X(BAD_DOMAIN, "not a valid domain name")                                                       \
    X(BAD_NAME, "not a valid folder name")                                                         \
    X(NO_FOLDER, "no such folder")                                                                 \
    X(FOLDER_EXISTS, "folder already exists")                                                      \
    X(INBOX, "INBOX cannot be deleted")                                                            \
    X(HAS_CHILDREN, "folder has subfolders and holds no messages")                                 \
    X(NOSELECT, "folder only holds subfolders, not messages")                                      \
    X(RENAME_INTO_ITSELF, "a folder cannot be renamed to a name inside itself")                    \
    X(NO_MESSAGE, "no such message")                                                               \
    X(MSG_DELETED, "message already marked for deletion")                                          \
    X(BAD_KEYWORD, "not a valid keyword")                                                          \
    X(QUOTA, "over quota")                                                                         \
    X(UIDS_EXHAUSTED, "folder has used every UID")                                                 \
    X(LOCKED, "maildrop already locked by another session")                                        \
    X(NO_MAILDROP, "no such maildrop session")                                                     \
    X(NOT_SUBSCRIBED, "not subscribed")

typedef enum store_err {
#define X(id, text) STORE_##id,
    STORE_ERRORS(X)
#undef X
} store_err_t;

/* A fixed English sentence for an error, for logs and protocol replies. */
const char *store_strerror(store_err_t err);

/* ---- the store and its accounts ---------------------------------------- */

store_t *store_new(void);
/* Frees the store with every user, folder, message and open maildrop. */
void store_free(store_t *s);

/* Adds a domain this server hosts (case-insensitive; a repeat is harmless). */
store_err_t store_add_domain(store_t *s, const char *domain);
bool store_has_domain(const store_t *s, const char *domain);
size_t store_domain_count(const store_t *s);
const char *store_domain_at(const store_t *s, size_t i);

/*
 * Adds a user with an empty INBOX. name is the local name ("roberto": no "@",
 * no space or control character); display_name may be NULL. quota is in
 * bytes, 0 for none. The store copies every string. *out (may be NULL) gets
 * the user.
 */
store_err_t store_add_user(store_t *s, const char *name, const char *password,
                           const char *display_name, uint64_t quota, store_user_t **out);
/*
 * The user named by its local name ("roberto") or its full address
 * ("roberto@roberto.example", the domain one of store_add_domain's).
 * Case-insensitive. NULL when there is none.
 */
store_user_t *store_find_user(const store_t *s, const char *name);
size_t store_user_count(const store_t *s);
/* Users in the order they were added. */
store_user_t *store_user_at(const store_t *s, size_t i);

const char *store_user_name(const store_user_t *u);
/* The display name, or the user name when none was given. */
const char *store_user_display_name(const store_user_t *u);
/* The shared secret, for authentication mechanisms that need it (APOP, CRAM-MD5). */
const char *store_user_password(const store_user_t *u);
bool store_user_check_password(const store_user_t *u, const char *password);
uint64_t store_user_quota(const store_user_t *u);
void store_user_set_quota(store_user_t *u, uint64_t quota);
/* Bytes used: the sum of the sizes of every message in every folder. */
uint64_t store_user_used(const store_user_t *u);
/* True when size more bytes would go past the quota (SMTP answers 552 or 452). */
bool store_user_would_exceed_quota(const store_user_t *u, uint64_t size);
/* True while a POP3 maildrop session holds the user's lock. */
bool store_user_maildrop_locked(const store_user_t *u);

/*
 * The host crashed: the disk survives, sessions do not. Every open maildrop
 * is rolled back (nothing deleted) and its lock released; its id answers
 * STORE_NO_MAILDROP from then on. \Recent flags stay, as on a disk.
 */
void store_crash(store_t *s);

/* ---- change notifications ---------------------------------------------- */

#define STORE_CHANGE_KINDS(X)                                                                      \
    X(APPEND, "append")                                                                            \
    X(COPY, "copy")                                                                                \
    X(FLAGS, "flags")                                                                              \
    X(EXPUNGE, "expunge")                                                                          \
    X(DELETE, "delete")                                                                            \
    X(FOLDER_CREATE, "folder.create")                                                              \
    X(FOLDER_DELETE, "folder.delete")                                                              \
    X(FOLDER_RENAME, "folder.rename")

typedef enum store_change_kind {
#define X(id, text) STORE_CHANGE_##id,
    STORE_CHANGE_KINDS(X)
#undef X
} store_change_kind_t;

const char *store_change_kind_name(store_change_kind_t kind);

/*
 * One change. APPEND: a message stored (delivery or IMAP APPEND); COPY: a
 * message arrived by copy or move; FLAGS: a message's flags changed;
 * EXPUNGE: an IMAP expunge (or the source half of a move) removed a message;
 * DELETE: a POP3 maildrop commit removed a message; FOLDER_*: a folder was
 * created, deleted (its messages go with it) or renamed (one change per
 * folder, children included). Strings are borrowed for the callback only.
 */
typedef struct store_change {
    store_change_kind_t kind;
    const store_user_t *user;
    const char *user_name;
    const char *folder;     /* UTF-8; the new name for a rename */
    const char *old_folder; /* a rename's old name, else NULL */
    uint32_t uid;           /* message changes; 0 for folder changes */
    const char *label;      /* the message's label, or NULL */
} store_change_t;

/* Called after each change. It must not change the store. */
typedef void (*store_observer_fn)(void *ctx, const store_change_t *change);

/* Sets (or with fn NULL, clears) the one observer. */
void store_set_observer(store_t *s, store_observer_fn fn, void *ctx);

/* ---- flags ------------------------------------------------------------- */

/* System flags (RFC 3501 2.3.2) as bits; keywords are kept apart. */
enum {
    STORE_FLAG_SEEN = 1u << 0,
    STORE_FLAG_ANSWERED = 1u << 1,
    STORE_FLAG_FLAGGED = 1u << 2,
    STORE_FLAG_DELETED = 1u << 3,
    STORE_FLAG_DRAFT = 1u << 4,
    STORE_FLAG_RECENT = 1u << 5,
};
#define STORE_FLAGS_ALL 0x3fu

/* "\Seen" -> STORE_FLAG_SEEN (case-insensitive); 0 when name is no system flag. */
uint32_t store_flag_parse(const char *name);
/* "\Seen" for STORE_FLAG_SEEN; NULL for anything but one system flag bit. */
const char *store_flag_name(uint32_t bit);
/* Appends the names of the set flags, space-separated, in bit order. */
void store_flags_format(buf_t *out, uint32_t flags);
/* RFC 3501 9: a keyword is an atom (no "\", no space, no "(){%*\"]"). */
bool store_keyword_valid(const char *keyword);

typedef enum store_flag_op {
    STORE_FLAGS_REPLACE, /* IMAP STORE FLAGS */
    STORE_FLAGS_ADD,     /* +FLAGS */
    STORE_FLAGS_REMOVE,  /* -FLAGS */
} store_flag_op_t;

/* ---- folders ----------------------------------------------------------- */

#define STORE_SEPARATOR '/'
/* Longest folder name, in bytes of UTF-8. */
#define STORE_NAME_MAX 1024

/*
 * Checks a folder name and gives its canonical form (the caller frees
 * *canonical; may be NULL): valid UTF-8, no control character, no list
 * wildcard "*" or "%", no empty level ("/a", "a/", "a//b"); a first level
 * spelled "inbox" in any case becomes "INBOX" (RFC 3501 5.1).
 */
store_err_t store_folder_name_check(const char *name, char **canonical);

store_folder_t *store_inbox(store_user_t *u);
/* The folder with that name (INBOX in any case), or NULL. */
store_folder_t *store_folder_find(store_user_t *u, const char *name);
/* Folders in list order: INBOX first, then by name (byte order). */
size_t store_folder_count(const store_user_t *u);
store_folder_t *store_folder_at(const store_user_t *u, size_t i);

/*
 * RFC 3501 6.3.3: creates a folder, and any missing superior levels
 * ("a/b/c" creates "a" and "a/b"). Creating over a name that only holds
 * subfolders makes it hold messages again, with a new UIDVALIDITY. *out
 * (may be NULL) gets the folder.
 */
store_err_t store_folder_create(store_user_t *u, const char *name, store_folder_t **out);
/*
 * RFC 3501 6.3.4: deletes a folder and its messages. A folder with
 * subfolders stays as a name that only holds subfolders (\Noselect);
 * deleting such a name while it still has subfolders is an error
 * (STORE_HAS_CHILDREN). INBOX cannot be deleted. Subscriptions stay.
 */
store_err_t store_folder_delete(store_user_t *u, const char *name);
/*
 * RFC 3501 6.3.5: renames a folder with its subfolders, creating missing
 * superior levels of the new name. Renaming INBOX moves its messages to a
 * new folder (new UIDs from 1) and leaves INBOX empty, with its UIDVALIDITY
 * and UIDNEXT; INBOX's subfolders stay where they are.
 */
store_err_t store_folder_rename(store_user_t *u, const char *old_name, const char *new_name);

const char *store_folder_name(const store_folder_t *f);
store_user_t *store_folder_user(const store_folder_t *f);
/*
 * False once the folder was deleted (a folder created later under the same
 * name is another folder). A rename keeps the handle: it follows the folder.
 */
bool store_folder_exists(const store_folder_t *f);
/* False for a name that only holds subfolders (\Noselect). */
bool store_folder_selectable(const store_folder_t *f);
uint32_t store_folder_uidvalidity(const store_folder_t *f);
uint32_t store_folder_uidnext(const store_folder_t *f);
/* Messages in the folder; sequence numbers run 1..count. */
uint32_t store_folder_msg_count(const store_folder_t *f);

/* RFC 3501 6.3.10 STATUS items. */
typedef struct store_status {
    uint32_t messages, recent, uidnext, uidvalidity, unseen;
} store_status_t;
void store_folder_status(const store_folder_t *f, store_status_t *out);
/* Sequence number of the first message without \Seen, or 0 (SELECT's UNSEEN). */
uint32_t store_folder_first_unseen(const store_folder_t *f);

/* ---- listing and subscriptions ----------------------------------------- */

/*
 * RFC 3501 6.3.8: pattern matching for LIST and LSUB. "*" matches any run of
 * characters, "%" any run without the separator "/". Names and patterns are
 * UTF-8 (decode modified UTF-7 first); a first level "inbox" in any case
 * matches INBOX.
 */
bool store_list_match(const char *pattern, const char *name);

enum {
    STORE_LIST_NOSELECT = 1u << 0,
    STORE_LIST_HAS_CHILDREN = 1u << 1,
    STORE_LIST_HAS_NO_CHILDREN = 1u << 2,
    STORE_LIST_SUBSCRIBED = 1u << 3,
    STORE_LIST_NONEXISTENT = 1u << 4, /* LSUB of a subscribed name with no folder */
};

typedef struct store_list_item {
    const char *name; /* borrowed until the folders or subscriptions change */
    unsigned attrs;   /* STORE_LIST_* */
} store_list_item_t;

/*
 * LIST reference pattern: the folders whose names match reference followed
 * by pattern, in list order. *out is a fresh array the caller frees (not the
 * names); returns its length (and *out NULL for 0). The separator query
 * LIST "" "" is the IMAP engine's to answer ("/" is STORE_SEPARATOR).
 */
size_t store_list(const store_user_t *u, const char *reference, const char *pattern,
                  store_list_item_t **out);
/* LSUB: the same over subscribed names, existing folders or not. */
size_t store_list_subscribed(const store_user_t *u, const char *reference, const char *pattern,
                             store_list_item_t **out);

/* RFC 3501 6.3.6: a subscription is a name; the folder need not exist. */
store_err_t store_subscribe(store_user_t *u, const char *name);
store_err_t store_unsubscribe(store_user_t *u, const char *name);
bool store_is_subscribed(const store_user_t *u, const char *name);
size_t store_subscription_count(const store_user_t *u);
/* Subscribed names in byte order. */
const char *store_subscription_at(const store_user_t *u, size_t i);

/* ---- messages ---------------------------------------------------------- */

/* What store_append takes; the store copies the bytes, keywords and label. */
typedef struct store_append {
    const void *data;
    size_t size;
    sim_time_t internal_date;
    uint32_t flags; /* STORE_FLAG_*; \Recent is always set on a new message */
    const char *const *keywords;
    size_t keyword_count;
    const char *label; /* the scenario's message id ("m1"), or NULL */
} store_append_t;

/*
 * Appends a message; *uid_out (may be NULL) gets its UID. Refused with
 * STORE_QUOTA when the user's quota would be passed, STORE_NOSELECT
 * on a name that only holds subfolders.
 */
store_err_t store_append(store_folder_t *f, const store_append_t *msg, uint32_t *uid_out);
/* Local delivery: appends to the user's INBOX with no flag but \Recent. */
store_err_t store_deliver(store_user_t *u, const void *data, size_t size, sim_time_t internal_date,
                          const char *label, uint32_t *uid_out);
/*
 * The same with head[0..head_size) in front of data, as one message: the
 * trace field of final delivery (Return-Path) without a copy of the message
 * to put it in.
 */
store_err_t store_deliver_parts(store_user_t *u, const void *head, size_t head_size,
                                const void *data, size_t size, sim_time_t internal_date,
                                const char *label, uint32_t *uid_out);

/*
 * A message's bytes, built once by the caller and shared, not copied, by
 * the messages delivered from it (a server's many local recipients, and its
 * queue, which may point into it). Reference-counted.
 */
typedef struct store_body store_body_t;
/*
 * A body of size octets, for the caller to write at *data before anything
 * reads it, and label (copied; may be NULL). The caller holds one reference.
 *
 * Bodies of up to STORE_BODY_BIG octets in all (header, data, NUL and label)
 * are cut one after another from blocks of STORE_BODY_BLOCK octets, each
 * mapped at once (a huge page where the system gives one) instead of a
 * malloc and fresh pages per message; larger ones are malloc'd. The cost: a
 * freed body's room is not used again until every body of its block is
 * freed (then the block goes back, or is cut again from its start if it is
 * the one being cut from), so a block lives as long as its last body. At
 * worst each live small body holds a whole block; at best a block holds
 * STORE_BODY_BLOCK / STORE_BODY_BIG = 32 or more of them. Bodies belong to
 * one thread (the simulator's).
 */
#define STORE_BODY_BLOCK BIGBLOCK_SIZE
#define STORE_BODY_BIG ((size_t)64 << 10)
store_body_t *store_body_new(size_t size, const char *label, uint8_t **data);
/*
 * How long a body is likely to live. Those that pass (a message queued for
 * other servers only, gone once it is relayed) are cut from blocks of their
 * own, apart from those that stay in mailboxes: mixed, the first, freed,
 * would leave holes that keep the second's blocks half empty.
 * store_body_new's bodies stay.
 */
typedef enum { STORE_BODY_STAYS, STORE_BODY_PASSES } store_body_life_t;
/*
 * A body whose bytes arrive piece by piece and are written in place, not
 * copied in at the end: room octets at *data for the data, its NUL and the
 * label with its NUL, and head_room octets (at most 65,535) in front for a
 * head that is known last. Nothing reads it until store_body_finish. The
 * caller holds one reference; store_body_unref gives back a reservation
 * that is not to be finished.
 */
store_body_t *store_body_reserve(size_t head_room, size_t room, store_body_life_t life,
                                uint8_t **data);
/*
 * Makes the reservation r the body of head_len octets of head (for the
 * caller to write at *head) then the size octets of data written at its
 * room, and label (copied; may be NULL). False, r as it was, when they do
 * not fit what was reserved. Room left unused stays in its block until the
 * block goes back, unless nothing was cut after it.
 */
bool store_body_finish(store_body_t *r, size_t head_len, size_t size, const char *label,
                       uint8_t **head);
store_body_t *store_body_ref(store_body_t *b);
/* Drops a reference; the last one frees the body. NULL does nothing. */
void store_body_unref(store_body_t *b);
/* The body's bytes (NUL after them) and their count. */
const uint8_t *store_body_data(const store_body_t *b);
size_t store_body_size(const store_body_t *b);
/* store_deliver of a body's bytes and label; the message takes a reference of its own. */
store_err_t store_deliver_body(store_user_t *u, store_body_t *b, sim_time_t internal_date,
                               uint32_t *uid_out);

/* What the bodies of this thread hold now, for tests and reports. */
typedef struct store_body_stats {
    size_t blocks;    /* blocks mapped */
    size_t in_blocks; /* live bodies cut from them */
    size_t big;       /* live bodies malloc'd on their own */
} store_body_stats_t;
void store_body_stats(store_body_stats_t *out);

/* The message with that sequence number (1-based), or NULL. */
const store_msg_t *store_msg_by_seq(const store_folder_t *f, uint32_t seq);
/* The message with that UID, or NULL; *seq_out (may be NULL) gets its sequence number. */
const store_msg_t *store_msg_by_uid(const store_folder_t *f, uint32_t uid, uint32_t *seq_out);

uint32_t store_msg_uid(const store_msg_t *m);
/* STORE_FLAG_* bits. */
uint32_t store_msg_flags(const store_msg_t *m);
sim_time_t store_msg_internal_date(const store_msg_t *m);
size_t store_msg_size(const store_msg_t *m);
/* The bytes, store_msg_size() of them, followed by a NUL not counted in the size. */
const uint8_t *store_msg_data(const store_msg_t *m);
/* The label given at append (kept through copy and move), or NULL. */
const char *store_msg_label(const store_msg_t *m);
size_t store_msg_keyword_count(const store_msg_t *m);
const char *store_msg_keyword(const store_msg_t *m, size_t i);
bool store_msg_has_keyword(const store_msg_t *m, const char *keyword);

/*
 * IMAP STORE on one message: replaces, adds or removes system flags and
 * keywords (keywords compare case-insensitively). STORE_NO_MESSAGE when
 * no message has that UID, STORE_BAD_KEYWORD for a keyword that is not an
 * atom (nothing changes then).
 */
store_err_t store_flags_change(store_folder_t *f, uint32_t uid, store_flag_op_t op, uint32_t flags,
                               const char *const *keywords, size_t keyword_count);

/*
 * RFC 3501 \Recent: clears it on every message of the folder and returns how
 * many had it; *uids_out (may be NULL) gets their UIDs, ascending, in a fresh
 * array the caller frees (NULL for none). The IMAP server calls this when a
 * session selects the folder, and tells that session only.
 */
size_t store_folder_take_recent(store_folder_t *f, uint32_t **uids_out);

/* What an expunge removed, for IMAP's EXPUNGE responses or VANISHED. */
typedef struct store_expunged {
    uint32_t *seqs; /* as IMAP reports them, in order: each counts the ones before it gone */
    uint32_t *uids; /* ascending */
    size_t count;
} store_expunged_t;
void store_expunged_free(store_expunged_t *e);

/*
 * RFC 3501 6.4.3: removes every message marked \Deleted; with only_uids
 * (RFC 4315 UID EXPUNGE), only those among the given UIDs. out (may be NULL)
 * gets what went; RFC 3501 7.4.1: removing 3, 4, 7 and 11 reports 3, 3, 5, 8.
 */
store_err_t store_expunge(store_folder_t *f, const uint32_t *only_uids, size_t n_only,
                          store_expunged_t *out);

/* RFC 4315 COPYUID: source UIDs and the UIDs their copies got, pairwise. */
typedef struct store_uid_map {
    uint32_t uidvalidity; /* the destination's */
    uint32_t *src_uids;
    uint32_t *dst_uids;
    size_t count;
} store_uid_map_t;
void store_uid_map_free(store_uid_map_t *m);

/*
 * RFC 3501 6.4.7: copies the messages with the given UIDs (in any order;
 * missing ones are skipped) to dst in ascending UID order, with their flags
 * and \Recent set, sharing the bytes. All or nothing: refused with
 * STORE_QUOTA when the copies would pass dst's user's quota. map (may be
 * NULL) gets the UIDPLUS mapping.
 */
store_err_t store_copy(store_folder_t *src, const uint32_t *uids, size_t n, store_folder_t *dst,
                       store_uid_map_t *map);
/*
 * RFC 6851 MOVE: a copy, then the originals are expunged whatever their
 * flags. map and expunged may be NULL.
 */
store_err_t store_move(store_folder_t *src, const uint32_t *uids, size_t n, store_folder_t *dst,
                       store_uid_map_t *map, store_expunged_t *expunged);

/* Inspection: the first message after sequence number after_seq with that label. */
const store_msg_t *store_folder_find_label(const store_folder_t *f, const char *label,
                                           uint32_t after_seq, uint32_t *seq_out);
/* How many messages in the folder carry the label. */
size_t store_folder_count_label(const store_folder_t *f, const char *label);

/* ---- POP3 maildrop (RFC 1939) ------------------------------------------ */

/* Names one open maildrop; 0 is never one. Ids are not reused. */
typedef uint32_t store_maildrop_id_t;

/*
 * Opens the user's maildrop: locks it (STORE_LOCKED when another session
 * holds it) and takes a snapshot of INBOX numbered 1..n. Messages appended
 * later are not in it; a message expunged through IMAP meanwhile can still be
 * retrieved (the snapshot holds its bytes).
 */
store_err_t store_maildrop_open(store_t *s, store_user_t *u, store_maildrop_id_t *id_out);

typedef struct store_maildrop_stat {
    uint32_t messages;    /* in the snapshot: message numbers are 1..messages */
    uint32_t live;        /* not marked deleted: STAT's count */
    uint64_t live_octets; /* STAT's size */
} store_maildrop_stat_t;
store_err_t store_maildrop_stat(const store_t *s, store_maildrop_id_t id,
                                store_maildrop_stat_t *out);

/* UIDL strings are 16 hex digits: UIDVALIDITY then UID, stable across sessions. */
#define STORE_UIDL_SIZE 17
void store_uidl_format(uint32_t uidvalidity, uint32_t uid, char out[STORE_UIDL_SIZE]);

typedef struct store_maildrop_msg {
    uint32_t uid;
    size_t size;
    const uint8_t *data; /* borrowed until the maildrop closes */
    const char *label;   /* or NULL */
    char uidl[STORE_UIDL_SIZE];
} store_maildrop_msg_t;
/*
 * Message msgno of the snapshot. STORE_NO_MESSAGE outside 1..messages,
 * STORE_MSG_DELETED when it is marked deleted (out is still filled).
 */
store_err_t store_maildrop_msg(const store_t *s, store_maildrop_id_t id, uint32_t msgno,
                               store_maildrop_msg_t *out);
/* DELE: marks a message; STORE_MSG_DELETED when it already is. */
store_err_t store_maildrop_delete(store_t *s, store_maildrop_id_t id, uint32_t msgno);
/* RSET: unmarks every message; the session stays open. */
store_err_t store_maildrop_reset(store_t *s, store_maildrop_id_t id);
/*
 * QUIT in the TRANSACTION state (the UPDATE state): removes the marked
 * messages still in INBOX, releases the lock and closes the maildrop.
 * *deleted_out (may be NULL) gets how many went.
 */
store_err_t store_maildrop_commit(store_t *s, store_maildrop_id_t id, uint32_t *deleted_out);
/* The connection was lost: nothing is deleted; the lock goes and the maildrop closes. */
store_err_t store_maildrop_rollback(store_t *s, store_maildrop_id_t id);

#endif
