/*
 * codes: the reply code tables. SMTP's come from RFC 5321 4.2.2 (the codes
 * by function) and 4.2.1 (what the first digit says); POP3's from RFC 1939
 * and the response codes of RFC 2449 8 and RFC 3206; IMAP's from RFC 3501
 * 7.1 and RFC 4315 (UIDPLUS).
 */
#include "codes.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "text.h"

typedef struct code_entry {
    const char *code;
    const char *en;
    const char *el;
} code_entry_t;

static const code_entry_t smtp_codes[] = {
    {"211", "system status, or system help reply", "κατάσταση συστήματος ή βοήθεια"},
    {"214", "help message", "μήνυμα βοήθειας"},
    {"220", "service ready: the server greets the client",
     "η υπηρεσία είναι έτοιμη: ο server χαιρετά τον client"},
    {"221", "service closing the transmission channel: goodbye",
     "η υπηρεσία κλείνει το κανάλι μετάδοσης: αντίο"},
    {"235", "authentication succeeded (RFC 4954)", "η ταυτοποίηση πέτυχε (RFC 4954)"},
    {"250", "requested action okay, completed", "η ενέργεια που ζητήθηκε ολοκληρώθηκε"},
    {"251", "user not local; will forward", "ο χρήστης δεν είναι τοπικός· θα προωθηθεί"},
    {"252", "cannot verify the user, but will accept the message and attempt delivery",
     "ο χρήστης δεν επαληθεύεται, αλλά το μήνυμα γίνεται δεκτό για παράδοση"},
    {"334", "authentication challenge: the server waits for the next AUTH line",
     "πρόκληση ταυτοποίησης: ο server περιμένει την επόμενη γραμμή AUTH"},
    {"354", "start mail input; end with <CRLF>.<CRLF>",
     "ξεκινήστε το κείμενο του μηνύματος· τέλος με <CRLF>.<CRLF>"},
    {"421", "service not available, closing the channel (try again later)",
     "η υπηρεσία δεν είναι διαθέσιμη, το κανάλι κλείνει (δοκιμάστε αργότερα)"},
    {"450", "mailbox unavailable for now (busy or blocked): try again later",
     "η θυρίδα δεν είναι διαθέσιμη προς το παρόν: δοκιμάστε αργότερα"},
    {"451", "local error in processing: aborted, try again later",
     "τοπικό σφάλμα επεξεργασίας: δοκιμάστε αργότερα"},
    {"452", "insufficient system storage (or too many recipients): try again later",
     "ανεπαρκής χώρος (ή πάρα πολλοί παραλήπτες): δοκιμάστε αργότερα"},
    {"454", "temporary authentication failure", "προσωρινή αποτυχία ταυτοποίησης"},
    {"455", "server unable to accommodate parameters", "ο server δεν δέχεται τις παραμέτρους"},
    {"500", "syntax error, command unrecognised (or line too long)",
     "συντακτικό σφάλμα, άγνωστη εντολή (ή πολύ μεγάλη γραμμή)"},
    {"501", "syntax error in parameters or arguments",
     "συντακτικό σφάλμα στις παραμέτρους της εντολής"},
    {"502", "command not implemented", "η εντολή δεν υποστηρίζεται"},
    {"503", "bad sequence of commands", "λάθος σειρά εντολών"},
    {"504", "command parameter not implemented", "η παράμετρος της εντολής δεν υποστηρίζεται"},
    {"530", "authentication required", "απαιτείται ταυτοποίηση"},
    {"534", "authentication mechanism is too weak",
     "ο μηχανισμός ταυτοποίησης είναι πολύ αδύναμος"},
    {"535", "authentication credentials invalid", "λάθος στοιχεία ταυτοποίησης"},
    {"550", "mailbox unavailable (not found, no access, or relaying refused): not done",
     "η θυρίδα δεν είναι διαθέσιμη (δεν υπάρχει, ή δεν επιτρέπεται αναμετάδοση)"},
    {"551", "user not local; please try the forward-path given",
     "ο χρήστης δεν είναι τοπικός· δοκιμάστε τη διαδρομή που δίνεται"},
    {"552", "exceeded storage allocation (message too big or mailbox full)",
     "υπέρβαση χώρου (πολύ μεγάλο μήνυμα ή γεμάτη θυρίδα)"},
    {"553", "mailbox name not allowed (bad address syntax)",
     "μη αποδεκτό όνομα θυρίδας (λάθος σύνταξη διεύθυνσης)"},
    {"554", "transaction failed (or, at greeting, no SMTP service here)",
     "η συναλλαγή απέτυχε (ή, στο χαιρετισμό, καμία υπηρεσία SMTP εδώ)"},
    {"555", "MAIL FROM or RCPT TO parameters not recognised or not implemented",
     "άγνωστες παράμετροι στο MAIL FROM ή RCPT TO"},
};

/* RFC 5321 4.2.1: the first digit alone says how the reply went. */
static const code_entry_t smtp_classes[] = {
    {"2", "positive completion: the action succeeded", "θετική ολοκλήρωση: η ενέργεια πέτυχε"},
    {"3", "positive intermediate: send more", "θετική ενδιάμεση απάντηση: στείλτε τη συνέχεια"},
    {"4", "transient failure: try again later", "προσωρινή αποτυχία: δοκιμάστε αργότερα"},
    {"5", "permanent failure: do not repeat as is", "μόνιμη αποτυχία: μην επαναλάβετε το ίδιο"},
};

static const code_entry_t pop3_codes[] = {
    {"+OK", "positive: the command succeeded", "θετική απάντηση: η εντολή πέτυχε"},
    {"-ERR", "negative: the command failed", "αρνητική απάντηση: η εντολή απέτυχε"},
    {"[IN-USE]", "the maildrop is locked by another session",
     "η θυρίδα είναι κλειδωμένη από άλλη συνεδρία"},
    {"[LOGIN-DELAY]", "logging in again this soon is not allowed",
     "δεν επιτρέπεται νέα σύνδεση τόσο σύντομα"},
    {"[SYS/TEMP]", "a temporary system problem", "προσωρινό πρόβλημα του συστήματος"},
    {"[SYS/PERM]", "a permanent system problem", "μόνιμο πρόβλημα του συστήματος"},
    {"[AUTH]", "the credentials were wrong", "λάθος στοιχεία ταυτοποίησης"},
};

static const code_entry_t imap_codes[] = {
    {"OK", "the command completed", "η εντολή ολοκληρώθηκε"},
    {"NO", "the command failed (an operational error)", "η εντολή απέτυχε (λειτουργικό σφάλμα)"},
    {"BAD", "the command was not understood (a protocol error)",
     "η εντολή δεν έγινε κατανοητή (σφάλμα πρωτοκόλλου)"},
    {"BYE", "the server is closing the connection", "ο server κλείνει τη σύνδεση"},
    {"PREAUTH", "greeting: already authenticated", "χαιρετισμός: ήδη ταυτοποιημένος"},
    {"+", "continue: the server waits for more (a literal, IDLE)",
     "συνέχεια: ο server περιμένει κι άλλο (literal, IDLE)"},
    {"[ALERT]", "a message the user must see", "μήνυμα που πρέπει να δει ο χρήστης"},
    {"[TRYCREATE]", "the target folder does not exist: create it first",
     "ο φάκελος προορισμού δεν υπάρχει: δημιουργήστε τον πρώτα"},
    {"[READ-ONLY]", "the folder is selected read-only", "ο φάκελος επιλέχθηκε μόνο για ανάγνωση"},
    {"[READ-WRITE]", "the folder is selected for reading and writing",
     "ο φάκελος επιλέχθηκε για ανάγνωση και εγγραφή"},
    {"[UIDVALIDITY", "the folder's UID validity value", "η τιμή UIDVALIDITY του φακέλου"},
    {"[UIDNEXT", "the UID the next message will get", "το UID που θα πάρει το επόμενο μήνυμα"},
    {"[UNSEEN", "the first unseen message", "το πρώτο μη αναγνωσμένο μήνυμα"},
    {"[PERMANENTFLAGS", "the flags that can be changed for good", "οι σημαίες που αλλάζουν μόνιμα"},
    {"[CAPABILITY", "what the server can do", "τι υποστηρίζει ο server"},
    {"[APPENDUID", "the UID the appended message got (RFC 4315)",
     "το UID του μηνύματος που προστέθηκε (RFC 4315)"},
    {"[COPYUID", "the UIDs the copies got (RFC 4315)", "τα UID των αντιγράφων (RFC 4315)"},
};

static const char *entry_text(const code_entry_t *e, const char *lang)
{
    return tui_lang_is_greek(lang) ? e->el : e->en;
}

static const code_entry_t *lookup(const code_entry_t *table, size_t n, const char *code, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(table[i].code) == len && str_ncasecmp(table[i].code, code, len) == 0)
            return &table[i];
    return NULL;
}

const char *tui_smtp_code_meaning(int code, const char *lang)
{
    char digits[8];
    snprintf(digits, sizeof digits, "%d", code);
    const code_entry_t *e = lookup(smtp_codes, ARRAY_LEN(smtp_codes), digits, strlen(digits));
    return e ? entry_text(e, lang) : NULL;
}

static int explain_smtp(const char *line, const char *lang, char *out, size_t outlen)
{
    if (strlen(line) < 3 || !isdigit((unsigned char)line[0]) || !isdigit((unsigned char)line[1]) ||
        !isdigit((unsigned char)line[2]))
        return -1;
    const char *meaning = tui_smtp_code_meaning(atoi(line), lang);
    if (!meaning) {
        const code_entry_t *c = lookup(smtp_classes, ARRAY_LEN(smtp_classes), line, 1);
        if (!c)
            return -1;
        meaning = entry_text(c, lang);
    }
    snprintf(out, outlen, "%.3s: %s", line, meaning);
    return 0;
}

/* The bracketed response code after the status, "[IN-USE]" or "[UIDNEXT 4]". */
static const code_entry_t *bracket_code(const code_entry_t *table, size_t n, const char *rest)
{
    while (*rest == ' ')
        rest++;
    if (*rest != '[')
        return NULL;
    size_t len = strcspn(rest, " ]");
    if (rest[len] == ']')
        len++;
    return lookup(table, n, rest, len);
}

static void put_explained(char *out, size_t outlen, const char *word, size_t wlen,
                          const code_entry_t *status, const code_entry_t *code, const char *lang)
{
    if (code)
        snprintf(out, outlen, "%.*s: %s; %s: %s", (int)wlen, word, entry_text(status, lang),
                 code->code, entry_text(code, lang));
    else
        snprintf(out, outlen, "%.*s: %s", (int)wlen, word, entry_text(status, lang));
}

static int explain_pop3(const char *line, const char *lang, char *out, size_t outlen)
{
    size_t len = strcspn(line, " ");
    const code_entry_t *status = lookup(pop3_codes, 2, line, len);
    if (!status)
        return -1;
    const code_entry_t *code = bracket_code(pop3_codes, ARRAY_LEN(pop3_codes), line + len);
    put_explained(out, outlen, line, len, status, code, lang);
    return 0;
}

/* "a1 OK [READ-WRITE] done", "* BYE ...", "+ idling". */
static int explain_imap(const char *line, const char *lang, char *out, size_t outlen)
{
    const char *word = line;
    if (strncmp(line, "+", 1) != 0) {
        word = strchr(line, ' ');
        if (!word)
            return -1;
        word++;
    }
    size_t len = strcspn(word, " ");
    const code_entry_t *status = lookup(imap_codes, 6, word, len);
    if (!status)
        return -1;
    const code_entry_t *code = bracket_code(imap_codes, ARRAY_LEN(imap_codes), word + len);
    put_explained(out, outlen, word, len, status, code, lang);
    return 0;
}

int tui_code_explain(const char *proto, const char *line, const char *lang, char *out,
                     size_t outlen)
{
    int rc = -1;
    if (outlen)
        out[0] = '\0';
    if (!proto || !line || outlen == 0)
        return -1;
    if (strcmp(proto, "smtp") == 0)
        rc = explain_smtp(line, lang, out, outlen);
    else if (strcmp(proto, "pop3") == 0)
        rc = explain_pop3(line, lang, out, outlen);
    else if (strcmp(proto, "imap") == 0)
        rc = explain_imap(line, lang, out, outlen);
    if (rc != 0)
        out[0] = '\0';
    return rc;
}
