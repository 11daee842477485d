/*
 * store: the store itself, its domains and users, the observer, system flag
 * names. Messages live in store_msg.c, their shared bodies in store_body.c,
 * folders in store_folder.c, the POP3 maildrop in store_maildrop.c.
 */
#include "mail/store.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "mail/store_private.h"

static const char *const error_texts[] = {
#define X(id, text) text,
    STORE_ERRORS(X)
#undef X
};

const char *store_strerror(store_err_t err)
{
    if ((size_t)err >= ARRAY_LEN(error_texts))
        return "unknown store error";
    return error_texts[err];
}

static const char *const change_names[] = {
#define X(id, text) text,
    STORE_CHANGE_KINDS(X)
#undef X
};

const char *store_change_kind_name(store_change_kind_t kind)
{
    if ((size_t)kind >= ARRAY_LEN(change_names))
        return "unknown";
    return change_names[kind];
}

/* ---- the store --------------------------------------------------------- */

store_t *store_new(void)
{
    store_t *s = xcalloc(1, sizeof *s);
    /* UIDVALIDITY from a store-wide counter: deterministic, and never the
     * same twice, so a folder recreated under an old name gets a new one
     * (RFC 3501 2.3.1.1). */
    s->next_uidvalidity = 1;
    s->next_maildrop_id = 1;
    return s;
}

static void user_free(store_user_t *u)
{
    for (size_t i = 0; i < u->nfolders; i++)
        store_folder_free(u->folders[i]);
    for (size_t i = 0; i < u->ngraveyard; i++)
        store_folder_free(u->graveyard[i]);
    for (size_t i = 0; i < u->nsubs; i++)
        free(u->subs[i]);
    free(u->folders);
    free(u->graveyard);
    free(u->subs);
    free(u->name);
    free(u->password);
    free(u->display_name);
    free(u);
}

void store_free(store_t *s)
{
    if (!s)
        return;
    store_maildrops_close_all(s);
    for (size_t i = 0; i < s->nusers; i++)
        user_free(s->users[i]);
    for (size_t i = 0; i < s->ndomains; i++)
        free(s->domains[i]);
    free(s->users);
    free(s->domains);
    free(s->domain_lens);
    free(s);
}

uint32_t store_new_uidvalidity(store_t *s)
{
    uint32_t v = s->next_uidvalidity++;
    if (s->next_uidvalidity == 0)
        s->next_uidvalidity = 1; /* 0 is not a valid UIDVALIDITY (RFC 3501 9) */
    return v;
}

void store_set_observer(store_t *s, store_observer_fn fn, void *ctx)
{
    s->observer = fn;
    s->observer_ctx = fn ? ctx : NULL;
}

void store_notify(store_user_t *u, store_change_kind_t kind, const char *folder,
                  const char *old_folder, uint32_t uid, const char *label)
{
    store_t *s = u->store;
    if (!s->observer)
        return;
    store_change_t c = {kind, u, u->name, folder, old_folder, uid, label};
    s->observer(s->observer_ctx, &c);
}

void store_crash(store_t *s)
{
    store_maildrops_close_all(s);
}

/* ---- domains ----------------------------------------------------------- */

static bool domain_valid(const char *d)
{
    if (!*d || strlen(d) > 253 || d[0] == '.' || d[0] == '-')
        return false;
    for (const char *p = d; *p; p++) {
        unsigned char c = (unsigned char)*p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.';
        if (!ok || (c == '.' && p[1] == '.'))
            return false;
    }
    return true;
}

store_err_t store_add_domain(store_t *s, const char *domain)
{
    if (!domain_valid(domain))
        return STORE_BAD_DOMAIN;
    if (store_has_domain(s, domain))
        return STORE_OK;
    if (s->ndomains == s->domains_cap) {
        s->domains_cap = s->domains_cap ? 2 * s->domains_cap : 4;
        s->domains = xrealloc(s->domains, s->domains_cap * sizeof *s->domains);
        s->domain_lens = xrealloc(s->domain_lens, s->domains_cap * sizeof *s->domain_lens);
    }
    s->domain_lens[s->ndomains] = strlen(domain);
    s->domains[s->ndomains++] = xstrdup(domain);
    return STORE_OK;
}

/* Names match without regard to case; most are written alike, which a plain compare sees fast. */
static bool same_name(const char *a, const char *b, size_t len)
{
    return memcmp(a, b, len) == 0 || str_ncasecmp(a, b, len) == 0;
}

bool store_has_domain(const store_t *s, const char *domain)
{
    size_t len = strlen(domain);
    for (size_t i = 0; i < s->ndomains; i++)
        if (s->domain_lens[i] == len && same_name(s->domains[i], domain, len))
            return true;
    return false;
}

size_t store_domain_count(const store_t *s)
{
    return s->ndomains;
}

const char *store_domain_at(const store_t *s, size_t i)
{
    return i < s->ndomains ? s->domains[i] : NULL;
}

/* ---- users ------------------------------------------------------------- */

static bool user_name_valid(const char *name)
{
    if (!*name || strlen(name) > 64) /* RFC 5321 4.5.3.1.1: local part */
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p <= 0x20 || *p == 0x7f || *p == '@')
            return false;
    return true;
}

/* ASCII upper case to lower, other octets as they are. */
static inline unsigned char ascii_fold(char c)
{
    return (unsigned char)(c - 'A') < 26 ? (unsigned char)(c + ('a' - 'A')) : (unsigned char)c;
}

static store_user_t *find_local(const store_t *s, const char *name, size_t len)
{
    /* Most names are told apart by their first octet, with no call. */
    unsigned char first = len ? ascii_fold(name[0]) : 0;
    for (size_t i = 0; i < s->nusers; i++) {
        const char *n = s->users[i]->name;
        if (s->users[i]->name_len == len && (!len || ascii_fold(n[0]) == first) &&
            same_name(n, name, len))
            return s->users[i];
    }
    return NULL;
}

store_err_t store_add_user(store_t *s, const char *name, const char *password,
                           const char *display_name, uint64_t quota, store_user_t **out)
{
    if (!user_name_valid(name))
        return STORE_BAD_USER;
    if (find_local(s, name, strlen(name)))
        return STORE_USER_EXISTS;
    store_user_t *u = xcalloc(1, sizeof *u);
    u->store = s;
    u->name = xstrdup(name);
    u->name_len = strlen(name);
    u->password = xstrdup(password ? password : "");
    u->display_name = display_name ? xstrdup(display_name) : NULL;
    u->quota = quota;
    if (s->nusers == s->users_cap) {
        s->users_cap = s->users_cap ? 2 * s->users_cap : 8;
        s->users = xrealloc(s->users, s->users_cap * sizeof *s->users);
    }
    s->users[s->nusers++] = u;
    store_folder_t *inbox = NULL;
    if (store_folder_create(u, "INBOX", &inbox) != STORE_OK)
        panic("store: cannot create INBOX for %s", name);
    if (out)
        *out = u;
    return STORE_OK;
}

store_user_t *store_find_user(const store_t *s, const char *name)
{
    const char *at = strrchr(name, '@');
    if (!at)
        return find_local(s, name, strlen(name));
    if (!store_has_domain(s, at + 1))
        return NULL;
    return find_local(s, name, (size_t)(at - name));
}

size_t store_user_count(const store_t *s)
{
    return s->nusers;
}

store_user_t *store_user_at(const store_t *s, size_t i)
{
    return i < s->nusers ? s->users[i] : NULL;
}

const char *store_user_name(const store_user_t *u)
{
    return u->name;
}

const char *store_user_display_name(const store_user_t *u)
{
    return u->display_name ? u->display_name : u->name;
}

const char *store_user_password(const store_user_t *u)
{
    return u->password;
}

bool store_user_check_password(const store_user_t *u, const char *password)
{
    return password && strcmp(u->password, password) == 0;
}

uint64_t store_user_quota(const store_user_t *u)
{
    return u->quota;
}

void store_user_set_quota(store_user_t *u, uint64_t quota)
{
    u->quota = quota;
}

uint64_t store_user_used(const store_user_t *u)
{
    return u->used;
}

bool store_user_would_exceed_quota(const store_user_t *u, uint64_t size)
{
    return u->quota != 0 && (size > u->quota || u->used > u->quota - size);
}

bool store_user_maildrop_locked(const store_user_t *u)
{
    return u->maildrop_locked;
}

/* ---- flags ------------------------------------------------------------- */

static const char *const flag_names[] = {"\\Seen",    "\\Answered", "\\Flagged",
                                         "\\Deleted", "\\Draft",    "\\Recent"};

uint32_t store_flag_parse(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(flag_names); i++)
        if (str_casecmp(name, flag_names[i]) == 0)
            return 1u << i;
    return 0;
}

const char *store_flag_name(uint32_t bit)
{
    for (size_t i = 0; i < ARRAY_LEN(flag_names); i++)
        if (bit == 1u << i)
            return flag_names[i];
    return NULL;
}

void store_flags_format(buf_t *out, uint32_t flags)
{
    bool first = true;
    for (size_t i = 0; i < ARRAY_LEN(flag_names); i++) {
        if (!(flags & (1u << i)))
            continue;
        if (!first)
            buf_putc(out, ' ');
        buf_puts(out, flag_names[i]);
        first = false;
    }
}

bool store_keyword_valid(const char *keyword)
{
    /* RFC 3501 9: flag-keyword = atom; atom-specials are "(" ")" "{" SP CTL
     * "%" "*" DQUOTE "\" "]". Past 128 bytes it is no sensible keyword. */
    size_t len = strlen(keyword);
    if (len == 0 || len > 128)
        return false;
    for (const unsigned char *p = (const unsigned char *)keyword; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || strchr("(){%*\"\\]", *p))
            return false;
    return true;
}
