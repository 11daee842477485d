/*
 * MIME parsing speed: a 1 MB multipart/mixed message (a text part and three
 * base64 attachments) parsed into its part tree and freed, again and again
 * for about a second. Prints megabytes (10^6 octets) of message per second.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/rng.h"
#include "mail/message.h"
#include "mail/mime.h"

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* About 1 MB once base64 grows the attachments by a third. */
static void build_message(buf_t *out)
{
    enum { ATTACHMENT = 245000 };
    static uint8_t data[3][ATTACHMENT];
    rng_t rng;
    rng_seed(&rng, 1);
    for (size_t a = 0; a < 3; a++)
        for (size_t i = 0; i < ATTACHMENT; i++)
            data[a][i] = (uint8_t)rng_next(&rng);
    const mime_attachment_t attachments[] = {
        {"photo.jpg", "image/jpeg", data[0], ATTACHMENT},
        {"notes.pdf", "application/pdf", data[1], ATTACHMENT},
        {"data.bin", NULL, data[2], ATTACHMENT},
    };
    buf_t text = BUF_INIT;
    for (int i = 0; i < 200; i++)
        buf_puts(&text, "Dear Roberto, here are the files from the lab. Γεια σου!\n");
    const char *to[] = {"Roberto <roberto@roberto.example>"};
    message_spec_t spec = {.from = "Alice <alice@alice.example>",
                           .to = to,
                           .to_count = 1,
                           .subject = "Lab files",
                           .text = buf_cstr(&text),
                           .attachments = attachments,
                           .attachment_count = 3,
                           .allow_8bit = true};
    message_build(&spec, out);
    buf_free(&text);
}

int main(void)
{
    buf_t msg = BUF_INIT;
    build_message(&msg);
    mime_part_t *check = mime_parse(msg.data, msg.len);
    if (check->child_count != 4 || mime_tree_defects(check) != 0) {
        fprintf(stderr, "bench_mime: the message did not parse as expected\n");
        return 1;
    }
    mime_free(check);
    /* warm up, then run for about a second */
    for (int i = 0; i < 20; i++)
        mime_free(mime_parse(msg.data, msg.len));
    size_t rounds = 0;
    double t0 = wall_seconds(), dt = 0;
    while (dt < 1.0) {
        for (int i = 0; i < 50; i++)
            mime_free(mime_parse(msg.data, msg.len));
        rounds += 50;
        dt = wall_seconds() - t0;
    }
    double mb = (double)msg.len * (double)rounds / 1e6;
    printf("BENCH mime_parse_mb_per_s %.0f MB/s\n", mb / dt);
    fprintf(stderr, "bench_mime: %zu-octet message, %zu parses in %.2f s\n", msg.len, rounds, dt);
    buf_free(&msg);
    return 0;
}
