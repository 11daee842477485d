/*
 * An agent's message goes out as its header and the world's shared text
 * entity: what the server stores must be what message_build writes for the
 * same message, whether the text memo served it or not, and whatever the
 * memo went on to hold while the message was on its way.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "mail/message.h"
#include "node/node_private.h"
#include "node_fixture.h"
#include "proto/smtp_ext.h"

static const agent_attachment_t attachment = {"notes.txt", "text/plain", "some notes\n", 0};
static const agent_header_t extra = {"X-Course", "Internet mail"};

typedef struct sent {
    const char *id;
    const char *subject;
    const char *body;
    bool attach; /* an attachment: the memo does not serve it */
    bool header; /* an extra header field */
} sent_t;

/* Sent all at once: the memo changes while earlier ones hold their texts. */
static const sent_t sends[] = {
    {"t1", "plain", "Hi Roberto,\nlunch at noon?\n", false, false},
    {"t2", "8-bit", "Καλημέρα Ρομπέρτο!\n", false, false},
    {"t3", "dots", ".\n..\n.hidden line\nend\n", false, false},
    {"t1-again", "plain again", "Hi Roberto,\nlunch at noon?\n", false, false},
    {"att", "attached", "See attached.\n", true, false},
    {"hdr", "a field", "Hi Roberto,\nlunch at noon?\n", false, true},
    {"empty", "nothing", "", false, false},
    {"bare", "bare line ends", "a\rb\r\nc\nd", false, false},
};

/* The value of the first field called name in data (unfolded, short), into out. */
static void field_value(const char *data, const char *name, char *out, size_t size)
{
    char key[64];
    snprintf(key, sizeof key, "\r\n%s: ", name);
    const char *p = strstr(data, key);
    ck_assert_msg(p != NULL, "no %s field", name);
    p += strlen(key);
    size_t n = strcspn(p, "\r\n");
    ck_assert(n < size);
    memcpy(out, p, n);
    out[n] = '\0';
}

/* The stored message of label, from its Date field (after the trace fields) on. */
static const char *stored_message(mail_server_t *s, const char *label, size_t *len)
{
    store_user_t *u = store_find_user(server_store(s), "roberto");
    store_folder_t *inbox = store_inbox(u);
    for (uint32_t seq = 1; seq <= store_folder_msg_count(inbox); seq++) {
        const store_msg_t *m = store_msg_by_seq(inbox, seq);
        if (strcmp(store_msg_label(m), label) != 0)
            continue;
        const char *data = (const char *)store_msg_data(m);
        const char *date = strstr(data, "\r\nDate: ");
        ck_assert_msg(date != NULL, "%s: no Date field", label);
        *len = store_msg_size(m) - (size_t)(date + 2 - data);
        return date + 2;
    }
    ck_abort_msg("no message %s", label);
    return NULL;
}

/* What message_build writes for what the agent was asked to send (number n, 1 first). */
static void reference(world_t *w, const sent_t *s, uint64_t n, const char *stored, buf_t *out)
{
    char from[256], id[256];
    field_value(stored - 2, "From", from, sizeof from);
    field_value(stored - 2, "Message-ID", id, sizeof id);
    static const char *const to[] = {"roberto@roberto.example"};
    mime_attachment_t att = {attachment.name, attachment.type, (const uint8_t *)attachment.text,
                             strlen(attachment.text)};
    message_field_t field = {extra.name, extra.value};
    message_spec_t spec = {
        .from = from,
        .to = to,
        .to_count = 1,
        .subject = s->subject,
        .text = s->body,
        .attachments = s->attach ? &att : NULL,
        .attachment_count = s->attach ? 1 : 0,
        .fields = s->header ? &field : NULL,
        .field_count = s->header ? 1 : 0,
        .message_id = id,
        .counter = n,
        .seed = world_sim(w)->seed,
        .allow_8bit = true,
    };
    message_build(&spec, out);
}

static void send_all(fixture_t *f)
{
    for (size_t i = 0; i < ARRAY_LEN(sends); i++) {
        const char *to = "roberto@roberto.example";
        agent_send_t m = {.id = sends[i].id,
                          .to = &to,
                          .nto = 1,
                          .subject = sends[i].subject,
                          .body = sends[i].body,
                          .attachments = sends[i].attach ? &attachment : NULL,
                          .nattachments = sends[i].attach ? 1 : 0,
                          .headers = sends[i].header ? &extra : NULL,
                          .nheaders = sends[i].header ? 1 : 0};
        char err[200];
        ck_assert_msg(agent_send(f->alice_pc, &m, err, sizeof err), "%s", err);
    }
}

/*
 * Every message arrives as message_build writes it, texts the memo served
 * and texts it did not, the memo changing under the ones in flight; with
 * 8BITMIME all the way, and with Roberto's server without it (Alice's
 * server then converts on the relay).
 */
START_TEST(test_stored_as_built)
{
    unsigned ext = _i ? SMTP_EXT_DEFAULT & ~SMTP_EXT_8BITMIME : SMTP_EXT_DEFAULT;
    fixture_t f;
    fixture_init(&f, ext);
    send_all(&f);
    world_run_until(f.w, SIM_HOUR);
    ck_assert_uint_eq(inbox_count(f.roberto_srv, "roberto"), ARRAY_LEN(sends));
    for (size_t i = 0; i < ARRAY_LEN(sends); i++) {
        if (_i && strcmp(sends[i].subject, "8-bit") == 0)
            continue; /* converted on the way: not what was built */
        size_t len;
        const char *got = stored_message(f.roberto_srv, sends[i].id, &len);
        buf_t want = BUF_INIT;
        reference(f.w, &sends[i], i + 1, got, &want);
        ck_assert_msg(len == want.len && memcmp(got, want.data, len) == 0,
                      "%s: stored\n%.*s\nbuilt\n%s", sends[i].id, (int)len, got, buf_cstr(&want));
        buf_free(&want);
    }
    /* every submission has let go of its text: the memo's reference is the last */
    ck_assert_ptr_nonnull(f.w->text_memo.entity);
    ck_assert_uint_eq(f.w->text_memo.entity->shared.refs, 1);
    ck_assert(accounting_ok(f.w));
    fixture_free(&f);
}
END_TEST

/*
 * The world goes while submissions still hold their texts (the server
 * down, nothing delivered): the blocks go with the last of them.
 */
START_TEST(test_freed_in_flight)
{
    fixture_t f;
    fixture_init(&f, SMTP_EXT_DEFAULT);
    world_host_down(f.w, "mail.alice.example");
    send_all(&f);
    world_run_until(f.w, SIM_SEC);
    ck_assert_uint_gt(f.w->text_memo.entity->shared.refs, 1);
    fixture_free(&f);
}
END_TEST

Suite *agent_pieces_suite(void)
{
    Suite *s = suite_create("agent_pieces");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_stored_as_built, 0, 2);
    tcase_add_test(tc, test_freed_in_flight);
    suite_add_tcase(s, tc);
    return s;
}
