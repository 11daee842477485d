/*
 * imap_cmd_selected: the selected state's commands that change messages
 * (RFC 3501 6.4): CHECK, CLOSE, UNSELECT (RFC 3691), EXPUNGE and UID
 * EXPUNGE (RFC 4315), STORE, COPY with COPYUID, and MOVE (RFC 6851). The
 * EXPUNGE responses themselves come from the session's view
 * (imap_view_sync), after the store has changed.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/imap_server_int.h"

bool imap_parse_store(imap_parser_t *ps, imap_args_t *a)
{
    buf_t word = BUF_INIT;
    bool ok = imap_parse_sp(ps) && imap_parse_seqset(ps, &a->set) && imap_parse_sp(ps);
    a->op = imap_parse_char(ps, '+')   ? STORE_FLAGS_ADD
            : imap_parse_char(ps, '-') ? STORE_FLAGS_REMOVE
                                       : STORE_FLAGS_REPLACE;
    if (ok && imap_parse_atom(ps, &word)) {
        const char *w = buf_cstr(&word);
        a->silent = str_casecmp(w, "FLAGS.SILENT") == 0;
        if (!a->silent && str_casecmp(w, "FLAGS") != 0) {
            ps->error = "STORE seq [+|-]FLAGS[.SILENT] (flags)";
            ok = false;
        }
    } else if (ok) {
        ok = false;
    }
    ok = ok && imap_parse_sp(ps) && imap_parse_flags(ps, true, &a->flags);
    buf_free(&word);
    return ok;
}

bool imap_parse_copy(imap_parser_t *ps, imap_args_t *a)
{
    return imap_parse_sp(ps) && imap_parse_seqset(ps, &a->set) && imap_parse_sp(ps) &&
           imap_parse_astring(ps, &a->s1);
}

bool imap_parse_expunge(imap_parser_t *ps, imap_args_t *a)
{
    if (!a->uid)
        return imap_parse_no_args(ps, a);
    return imap_parse_sp(ps) && imap_parse_seqset(ps, &a->set);
}

void imap_apply_check(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    /* RFC 3501 6.4.1: the store is always on disk, so there is nothing to do. */
    imap_result_set(res, "OK", "CHECK completed");
}

static void deselect(imap_server_t *s, imap_result_t *res, const char *verb)
{
    imap_view_close(s);
    imap_server_set_state(s, IMAP_SERVER_AUTHENTICATED);
    res->no_sync = true;
    imap_result_set(res, "OK", "%s completed", verb);
}

void imap_apply_close(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    /* RFC 3501 6.4.2: CLOSE expunges silently, and only when read-write. */
    if (!s->view.read_only)
        store_expunge(s->view.folder, NULL, 0, NULL);
    deselect(s, res, "CLOSE");
}

void imap_apply_unselect(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    deselect(s, res, "UNSELECT");
}

/* The view indices named by a's set into *idx, or false with res set to BAD. */
static bool resolve(imap_server_t *s, imap_args_t *a, imap_result_t *res, uint32_t **idx, size_t *n)
{
    if (imap_view_resolve(s, &a->set, a->uid, idx, n))
        return true;
    imap_result_set(res, "BAD", "Invalid message sequence number: there are %u messages",
                    s->view.count);
    return false;
}

static bool read_only(imap_server_t *s, imap_result_t *res)
{
    if (!s->view.read_only)
        return false;
    imap_result_set(res, "NO", "[READ-ONLY] The mailbox was opened with EXAMINE");
    return true;
}

void imap_apply_expunge(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    if (a->uid && !(s->cfg.capabilities & IMAP_CAP_UIDPLUS)) {
        imap_result_set(res, "BAD", "Unknown command");
        return;
    }
    if (read_only(s, res))
        return;
    uint32_t *idx = NULL, *uids = NULL;
    size_t n = 0;
    if (a->uid) {
        resolve(s, a, res, &idx, &n);
        uids = xmalloc((n ? n : 1) * sizeof *uids);
        for (size_t i = 0; i < n; i++)
            uids[i] = s->view.msgs[idx[i]].uid;
    }
    /* RFC 4315 2.1: UID EXPUNGE removes only the listed messages marked \Deleted. */
    store_expunge(s->view.folder, uids, n, NULL);
    free(idx);
    free(uids);
    imap_result_set(res, "OK", "EXPUNGE completed");
}

void imap_apply_store(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    uint32_t *idx;
    size_t n;
    if (read_only(s, res) || !resolve(s, a, res, &idx, &n))
        return;
    bool gone = false;
    for (size_t k = 0; k < n; k++) {
        if (imap_view_msg(s, idx[k]))
            store_flags_change(s->view.folder, s->view.msgs[idx[k]].uid, a->op, a->flags.system,
                               (const char *const *)a->flags.keywords, a->flags.keyword_count);
    }
    /* A new keyword is named in FLAGS before a FETCH shows it. */
    imap_view_announce_keywords(s, out);
    for (size_t k = 0; k < n; k++) {
        uint32_t i = idx[k];
        const store_msg_t *m = imap_view_msg(s, i);
        if (!m) {
            gone = true;
            continue;
        }
        /* RFC 3501 6.4.6: .SILENT: the client trusts its change; nothing is echoed. */
        if (a->silent) {
            imap_view_flags(s, i, m, NULL);
            continue;
        }
        imap_resp_t *r = &s->resp;
        imap_resp_reset(r);
        imap_resp_printf(r, "* %u FETCH (FLAGS ", i + 1);
        imap_view_flags(s, i, m, r);
        /* RFC 3501 6.4.8: the UID form reports the UID with every FETCH. */
        if (a->uid)
            imap_resp_printf(r, " UID %u", s->view.msgs[i].uid);
        imap_resp_printf(r, ")");
        imap_resp_send(s, r, out, "*", "FETCH");
    }
    free(idx);
    /* RFC 2180 4.2.1: a message expunged by another session cannot be changed. */
    if (gone)
        imap_result_set(res, "NO", "[EXPUNGEISSUED] Some of the messages no longer exist");
    else
        imap_result_set(res, "OK", "STORE completed");
}

/* The UIDs of the live messages a's set names, and the destination folder; false with res. */
static bool copy_source(imap_server_t *s, imap_args_t *a, imap_result_t *res, uint32_t **uids,
                        size_t *n, store_folder_t **dst)
{
    uint32_t *idx;
    size_t count;
    if (!resolve(s, a, res, &idx, &count))
        return false;
    const char *why = "";
    char *name = imap_mailbox_decode(&a->s1, &why);
    bool decoded = name != NULL;
    *dst = name ? store_folder_find(s->user, name) : NULL;
    free(name);
    if (!*dst) {
        /* RFC 3501 6.4.7: TRYCREATE when the destination does not exist. */
        if (!decoded)
            imap_result_set(res, "BAD", "Mailbox name is not valid modified UTF-7: %s", why);
        else
            imap_result_set(res, "NO", "[TRYCREATE] No such mailbox");
        free(idx);
        return false;
    }
    *uids = xmalloc((count ? count : 1) * sizeof **uids);
    *n = 0;
    for (size_t k = 0; k < count; k++)
        if (imap_view_msg(s, idx[k]))
            (*uids)[(*n)++] = s->view.msgs[idx[k]].uid;
    free(idx);
    return true;
}

static void copy_or_move(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res,
                         bool move)
{
    const char *verb = move ? "MOVE" : "COPY";
    uint32_t *uids;
    size_t n;
    store_folder_t *dst;
    if ((move && read_only(s, res)) || !copy_source(s, a, res, &uids, &n, &dst))
        return;
    store_uid_map_t map;
    store_err_t err = move ? store_move(s->view.folder, uids, n, dst, &map, NULL)
                           : store_copy(s->view.folder, uids, n, dst, &map);
    free(uids);
    buf_t code = BUF_INIT;
    if (!err && map.count > 0 && (s->cfg.capabilities & IMAP_CAP_UIDPLUS)) {
        /* RFC 4315 3: COPYUID destination-UIDVALIDITY source-UIDs destination-UIDs. */
        buf_printf(&code, "[COPYUID %u ", map.uidvalidity);
        imap_seqset_format(map.src_uids, map.count, &code);
        buf_puts(&code, " ");
        imap_seqset_format(map.dst_uids, map.count, &code);
        buf_puts(&code, "] ");
    }
    store_uid_map_free(&map);
    if (err) {
        imap_result_set(res, "NO", "%s failed: %s", verb, store_strerror(err));
    } else if (move) {
        /* RFC 6851 4.3: COPYUID goes in an untagged OK before the EXPUNGEs. */
        if (code.len)
            imap_untagged(s, out, "OK", "OK %sMoved", buf_cstr(&code));
        imap_result_set(res, "OK", "MOVE completed");
    } else {
        imap_result_set(res, "OK", "%sCOPY completed", buf_cstr(&code));
    }
    buf_free(&code);
}

void imap_apply_copy(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    copy_or_move(s, a, out, res, false);
}

void imap_apply_move(imap_server_t *s, imap_args_t *a, buf_t *out, imap_result_t *res)
{
    copy_or_move(s, a, out, res, true);
}
