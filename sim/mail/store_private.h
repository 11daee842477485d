/*
 * store_private: the structures the store's files share (store.c: accounts
 * and flags; store_msg.c: messages; store_folder.c: folders, listing and
 * subscriptions; store_maildrop.c: POP3; store_body.c: message bytes).
 * Nothing outside sim/mail/store* includes this.
 */
#ifndef MAILSIM_MAIL_STORE_PRIVATE_H
#define MAILSIM_MAIL_STORE_PRIVATE_H

#include "mail/store.h"

/*
 * The bytes of a message, shared by its copies (store_body.c). One piece of
 * memory: this header, skip octets a reservation did not use, size bytes, a
 * NUL, then (when has_label) the label and its NUL.
 */
struct store_body {
    uint32_t refs;
    bool has_label;
    uint8_t in_block; /* cut from a block, or malloc'd on its own */
    uint16_t skip;
    size_t size;
    char data[];
};

static inline char *store_body_bytes(const store_body_t *b)
{
    return (char *)b->data + b->skip;
}

/* Keywords are rare, so a message holds only a pointer, NULL when it has none. */
typedef struct store_keywords {
    size_t count;
    char *names[];
} store_keywords_t;

/* 32 bytes a message, plus its body. */
struct store_msg {
    store_body_t *body;
    store_keywords_t *keywords;
    sim_time_t internal_date;
    uint32_t uid;
    uint32_t flags;
};

struct store_folder {
    char *name;
    store_user_t *user;
    uint32_t uidvalidity;
    uint32_t uidnext;
    bool noselect;
    bool deleted;
    store_msg_t *msgs; /* ascending UIDs; index + 1 is the sequence number */
    uint32_t count, cap;
};

struct store_user {
    store_t *store;
    char *name;
    size_t name_len; /* strlen(name), for lookups */
    char *password;
    char *display_name;
    uint64_t quota;
    uint64_t used;
    bool maildrop_locked;
    store_folder_t **folders; /* list order: INBOX first, then by name */
    size_t nfolders, folders_cap;
    store_folder_t **graveyard; /* deleted folders, kept so handles stay valid */
    size_t ngraveyard, graveyard_cap;
    char **subs; /* byte order */
    size_t nsubs, subs_cap;
};

typedef struct store_maildrop store_maildrop_t;

struct store {
    char **domains;
    size_t *domain_lens; /* strlen of each, for lookups */
    size_t ndomains, domains_cap;
    store_user_t **users;
    size_t nusers, users_cap;
    uint32_t next_uidvalidity;
    store_maildrop_id_t next_maildrop_id;
    store_maildrop_t *maildrops; /* open ones, a list */
    store_observer_fn observer;
    void *observer_ctx;
};

/* store.c */
void store_notify(store_user_t *u, store_change_kind_t kind, const char *folder,
                  const char *old_folder, uint32_t uid, const char *label);
uint32_t store_new_uidvalidity(store_t *s);

/* store_body.c */
/* The body's label, or NULL. */
const char *store_body_label(const store_body_t *b);

/* store_msg.c */
/* Frees a message's keywords and drops its body reference. */
void store_msg_release(store_msg_t *m);
/* Frees every message of a folder (no notification) and gives back their bytes to the quota. */
void store_folder_clear(store_folder_t *f);
/* Appends an existing message record (takes its body reference and keywords). */
store_err_t store_folder_push(store_folder_t *f, store_msg_t *m);
/* Removes the messages whose UIDs are listed (ascending), notifying kind. */
void store_folder_remove_uids(store_folder_t *f, const uint32_t *uids, size_t n,
                              store_change_kind_t kind, store_expunged_t *out);

/* store_folder.c */
store_folder_t *store_folder_alloc(store_user_t *u, const char *name);
void store_folder_free(store_folder_t *f);

/* store_maildrop.c */
void store_maildrops_close_all(store_t *s);

#endif
