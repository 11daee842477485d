/*
 * imap_cmd_mailbox: the authenticated state's commands (RFC 3501 6.3):
 * SELECT, EXAMINE, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST,
 * LSUB, STATUS and APPEND. Folder names travel in modified UTF-7 (RFC 3501
 * 5.1.3) and are UTF-8 in the store; "/" separates hierarchy levels.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/imap_server_int.h"

bool imap_parse_mailbox(imap_parser_t *ps, imap_args_t *a)
{
    return imap_parse_sp(ps) && imap_parse_astring(ps, &a->s1);
}

bool imap_parse_two_mailboxes(imap_parser_t *ps, imap_args_t *a)
{
    return imap_parse_mailbox(ps, a) && imap_parse_sp(ps) && imap_parse_astring(ps, &a->s2);
}

bool imap_parse_list(imap_parser_t *ps, imap_args_t *a)
{
    return imap_parse_mailbox(ps, a) && imap_parse_sp(ps) && imap_parse_list_mailbox(ps, &a->s2);
}

static const char *const status_names[] = {"MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY",
                                           "UNSEEN"};

bool imap_parse_status(imap_parser_t *ps, imap_args_t *a)
{
    buf_t word = BUF_INIT;
    bool ok = imap_parse_mailbox(ps, a) && imap_parse_sp(ps) && imap_parse_char(ps, '(');
    while (ok) {
        ok = imap_parse_atom(ps, &word);
        size_t i = 0;
        while (ok && i < ARRAY_LEN(status_names) && str_casecmp(buf_cstr(&word), status_names[i]))
            i++;
        if (ok && (i == ARRAY_LEN(status_names) || a->status_count == ARRAY_LEN(a->status_items)))
            ok = false;
        if (ok)
            a->status_items[a->status_count++] = (unsigned)i;
        if (!ok || imap_parse_char(ps, ')'))
            break;
        ok = imap_parse_sp(ps);
    }
    buf_free(&word);
    if (!ok)
        ps->error = "STATUS mailbox (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)";
    return ok;
}

bool imap_parse_append(imap_parser_t *ps, imap_args_t *a)
{
    if (!imap_parse_mailbox(ps, a) || !imap_parse_sp(ps))
        return false;
    if (imap_parse_peek(ps) == '(' &&
        !(imap_parse_flags(ps, false, &a->flags) && imap_parse_sp(ps)))
        return false;
    if (imap_parse_peek(ps) == '"') {
        if (!imap_parse_date_time(ps, &a->date) || !imap_parse_sp(ps))
            return false;
        a->has_date = true;
    }
    return imap_parse_literal_ref(ps, &a->data, &a->data_len);
}

/* The store name for the client's name in buf, or NULL with res set to BAD. */
static char *mailbox_name(const buf_t *wire, imap_result_t *res)
{
    const char *why = "";
    char *name = imap_mailbox_decode(wire, &why);
    if (!name)
        imap_result_set(res, "BAD", "Mailbox name is not valid modified UTF-7 (RFC 3501 5.1.3): %s",
                        why);
    return name;
}

/* NO with the store's reason and the response code that fits it (RFC 5530). */
static void store_no(imap_result_t *res, store_err_t err)
{
    const char *code = "";
    switch (err) {
    case STORE_NO_FOLDER:
        code = "[NONEXISTENT] ";
        break;
    case STORE_FOLDER_EXISTS:
        code = "[ALREADYEXISTS] ";
        break;
    case STORE_QUOTA:
        code = "[OVERQUOTA] ";
        break;
    case STORE_BAD_NAME:
    case STORE_INBOX:
    case STORE_HAS_CHILDREN:
    case STORE_RENAME_INTO_ITSELF:
    case STORE_NOSELECT:
        code = "[CANNOT] ";
        break;
    case STORE_OK:
    case STORE_NO_USER:
    case STORE_USER_EXISTS:
    case STORE_BAD_USER:
    case STORE_BAD_DOMAIN:
    case STORE_NO_MESSAGE:
    case STORE_MSG_DELETED:
    case STORE_BAD_KEYWORD:
    case STORE_UIDS_EXHAUSTED:
    case STORE_LOCKED:
    case STORE_NO_MAILDROP:
    case STORE_NOT_SUBSCRIBED:
        break;
    }
    const char *text = store_strerror(err);
    char first = text[0] >= 'a' && text[0] <= 'z' ? (char)(text[0] - 'a' + 'A') : text[0];
    imap_result_set(res, "NO", "%s%c%s", code, first, text + 1);
}

static void select_folder(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res,
                          bool read_only)
{
    const char *verb = read_only ? "EXAMINE" : "SELECT";
    /* RFC 3501 6.3.1: a SELECT that fails leaves no folder selected. */
    imap_view_close(s);
    imap_server_set_state(s, IMAP_SERVER_AUTHENTICATED);
    res->no_sync = true;
    char *name = mailbox_name(&a->s1, res);
    if (!name)
        return;
    store_folder_t *f = store_folder_find(s->user, name);
    free(name);
    if (!f)
        store_no(res, STORE_NO_FOLDER);
    else if (!store_folder_selectable(f))
        store_no(res, STORE_NOSELECT);
    if (!f || !store_folder_selectable(f))
        return;
    imap_view_open(s, f, read_only, out);
    imap_server_set_state(s, IMAP_SERVER_SELECTED);
    imap_result_set(res, "OK", "[%s] %s completed", read_only ? "READ-ONLY" : "READ-WRITE", verb);
}

void imap_apply_select(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    select_folder(s, a, out, res, false);
}

void imap_apply_examine(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    select_folder(s, a, out, res, true);
}

void imap_apply_create(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    char *name = mailbox_name(&a->s1, res);
    if (!name)
        return;
    /* RFC 3501 6.3.3: a trailing separator only says that subfolders will follow. */
    size_t n = strlen(name);
    if (n > 1 && name[n - 1] == STORE_SEPARATOR)
        name[n - 1] = '\0';
    store_err_t err = store_folder_create(s->user, name, NULL);
    free(name);
    if (err)
        store_no(res, err);
    else
        imap_result_set(res, "OK", "CREATE completed");
}

void imap_apply_delete(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    char *name = mailbox_name(&a->s1, res);
    if (!name)
        return;
    store_err_t err = store_folder_delete(s->user, name);
    free(name);
    if (err)
        store_no(res, err);
    else
        imap_result_set(res, "OK", "DELETE completed");
}

void imap_apply_rename(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    char *from = mailbox_name(&a->s1, res);
    char *to = from ? mailbox_name(&a->s2, res) : NULL;
    store_err_t err = from && to ? store_folder_rename(s->user, from, to) : STORE_OK;
    if (from && to && err)
        store_no(res, err);
    else if (from && to)
        imap_result_set(res, "OK", "RENAME completed");
    free(from);
    free(to);
}

static void subscription(imap_server_t *s, imap_args_t *a, imap_result_t *res, bool on)
{
    char *name = mailbox_name(&a->s1, res);
    if (!name)
        return;
    store_err_t err = on ? store_subscribe(s->user, name) : store_unsubscribe(s->user, name);
    free(name);
    if (err)
        store_no(res, err);
    else
        imap_result_set(res, "OK", "%s completed", on ? "SUBSCRIBE" : "UNSUBSCRIBE");
}

void imap_apply_subscribe(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    subscription(s, a, res, true);
}

void imap_apply_unsubscribe(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    subscription(s, a, res, false);
}

static void send_list_item(imap_server_t *s, buf_t *out, const char *verb,
                           const store_list_item_t *it)
{
    imap_resp_t *r = &s->resp;
    imap_resp_reset(r);
    imap_resp_printf(r, "* %s (", verb);
    const char *sep = "";
    if (it->attrs & (STORE_LIST_NOSELECT | STORE_LIST_NONEXISTENT))
        imap_resp_printf(r, "\\Noselect"), sep = " ";
    /* RFC 3348: whether a folder has subfolders, so a client need not ask. */
    if (it->attrs & STORE_LIST_HAS_CHILDREN)
        imap_resp_printf(r, "%s\\HasChildren", sep);
    else if (it->attrs & STORE_LIST_HAS_NO_CHILDREN)
        imap_resp_printf(r, "%s\\HasNoChildren", sep);
    imap_resp_printf(r, ") \"/\" ");
    imap_resp_mailbox(r, it->name);
    imap_resp_send(s, r, out, "*", verb);
}

static void list(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res, bool lsub)
{
    const char *verb = lsub ? "LSUB" : "LIST";
    char *ref = mailbox_name(&a->s1, res);
    char *pattern = ref ? mailbox_name(&a->s2, res) : NULL;
    if (!ref || !pattern) {
        free(ref);
        return;
    }
    if (!lsub && pattern[0] == '\0') {
        /* RFC 3501 6.3.8: an empty pattern asks for the separator and the root. */
        imap_untagged(s, out, "LIST", "LIST (\\Noselect) \"/\" \"\"");
    } else {
        store_list_item_t *items = NULL;
        size_t n = lsub ? store_list_subscribed(s->user, ref, pattern, &items)
                        : store_list(s->user, ref, pattern, &items);
        for (size_t i = 0; i < n; i++) {
            store_list_item_t it = items[i];
            if (lsub)
                it.attrs &= STORE_LIST_NOSELECT | STORE_LIST_NONEXISTENT;
            send_list_item(s, out, verb, &it);
        }
        free(items);
    }
    free(ref);
    free(pattern);
    imap_result_set(res, "OK", "%s completed", verb);
}

void imap_apply_list(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    list(s, a, out, res, false);
}

void imap_apply_lsub(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    list(s, a, out, res, true);
}

void imap_apply_status(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    char *name = mailbox_name(&a->s1, res);
    if (!name)
        return;
    store_folder_t *f = store_folder_find(s->user, name);
    free(name);
    if (!f || !store_folder_selectable(f)) {
        store_no(res, f ? STORE_NOSELECT : STORE_NO_FOLDER);
        return;
    }
    store_status_t st;
    store_folder_status(f, &st);
    const uint32_t values[] = {st.messages, st.recent, st.uidnext, st.uidvalidity, st.unseen};
    imap_resp_t *r = &s->resp;
    imap_resp_reset(r);
    imap_resp_printf(r, "* STATUS ");
    imap_resp_mailbox(r, store_folder_name(f));
    imap_resp_printf(r, " (");
    for (size_t i = 0; i < a->status_count; i++)
        imap_resp_printf(r, "%s%s %u", i ? " " : "", status_names[a->status_items[i]],
                         values[a->status_items[i]]);
    imap_resp_printf(r, ")");
    imap_resp_send(s, r, out, "*", "STATUS");
    imap_result_set(res, "OK", "STATUS completed");
}

void imap_apply_append(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    char *name = mailbox_name(&a->s1, res);
    if (!name)
        return;
    store_folder_t *f = store_folder_find(s->user, name);
    free(name);
    if (!f) {
        /* RFC 3501 6.3.11: TRYCREATE tells the client that CREATE would help. */
        imap_result_set(res, "NO", "[TRYCREATE] No such mailbox");
        return;
    }
    store_append_t msg = {
        .data = a->data,
        .size = a->data_len,
        .internal_date = a->has_date    ? a->date
                         : s->hooks.now ? s->hooks.now(s->hooks.ctx)
                                        : 0,
        .flags = a->flags.system,
        .keywords = (const char *const *)a->flags.keywords,
        .keyword_count = a->flags.keyword_count,
    };
    uint32_t uid = 0;
    store_err_t err = store_append(f, &msg, &uid);
    if (err)
        store_no(res, err);
    else if (s->cfg.capabilities & IMAP_CAP_UIDPLUS)
        imap_result_set(res, "OK", "[APPENDUID %u %u] APPEND completed",
                        store_folder_uidvalidity(f), uid);
    else
        imap_result_set(res, "OK", "APPEND completed");
}
