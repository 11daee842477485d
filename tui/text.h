/*
 * text: every word the TUI shows of its own, in English and Greek. The
 * narration comes from the scenario and the code meanings from codes.h;
 * this table holds the rest: pane titles, states, the status line, help.
 */
#ifndef MAILSIM_TUI_TEXT_H
#define MAILSIM_TUI_TEXT_H

#include <stdbool.h>

#define TUI_TEXTS(X)                                                                               \
    X(TITLE_NETWORK, "Network", "Δίκτυο")                                                          \
    X(TITLE_TRANSCRIPT, "Transcript", "Διάλογος")                                                  \
    X(TITLE_QUEUES, "Queues", "Ουρές")                                                             \
    X(TITLE_MAILBOXES, "Mailboxes", "Θυρίδες")                                                     \
    X(TITLE_LOG, "Events", "Συμβάντα")                                                             \
    X(TITLE_HELP, "Keys", "Πλήκτρα")                                                               \
    X(HOST_UP, "up", "πάνω")                                                                       \
    X(HOST_DOWN, "DOWN", "ΚΑΤΩ")                                                                   \
    X(ROLE_SERVER, "mail server", "mail server")                                                   \
    X(ROLE_CLIENT, "user agent", "mail client")                                                    \
    X(ROLE_OTHER, "host", "υπολογιστής")                                                           \
    X(CONNECTIONS, "Connections", "Συνδέσεις")                                                     \
    X(NO_CONNECTIONS, "(none yet)", "(καμία ακόμη)")                                               \
    X(CONN_CONNECTING, "connecting", "σύνδεση...")                                                 \
    X(CONN_OPEN, "open", "ανοιχτή")                                                                \
    X(CONN_CLOSED, "closed", "κλειστή")                                                            \
    X(CONN_RESET, "reset", "reset")                                                                \
    X(CONN_REFUSED, "refused", "απορρίφθηκε")                                                      \
    X(CONN_TIMEOUT, "timed out", "έληξε ο χρόνος")                                                 \
    X(NOTES, "Notes", "Σημειώσεις")                                                                \
    X(NO_SESSION, "(no session yet)", "(καμία συνεδρία ακόμη)")                                    \
    X(SESSION, "session", "συνεδρία")                                                              \
    X(NO_LINES, "(no lines yet)", "(καμία γραμμή ακόμη)")                                          \
    X(QUEUE_EMPTY, "empty", "άδεια")                                                               \
    X(QUEUE_WAITING, "waiting", "σε αναμονή")                                                      \
    X(QUEUE_TRY, "tries", "προσπάθειες")                                                           \
    X(QUEUE_SENDING, "sending now", "αποστέλλεται τώρα")                                           \
    X(QUEUE_DUE, "due now", "τώρα")                                                                \
    X(QUEUE_NEXT_IN, "next in", "επόμενη σε")                                                      \
    X(QUEUE_LAST, "last", "τελευταία")                                                             \
    X(MAILBOX_EMPTY, "empty", "άδειο")                                                             \
    X(MESSAGES, "messages", "μηνύματα")                                                            \
    X(MESSAGE, "message", "μήνυμα")                                                                \
    X(FETCHED, "fetched by the client", "στον υπολογιστή του χρήστη")                              \
    X(REMOVED_POP3, "removed by POP3", "διαγράφηκε με POP3")                                       \
    X(REMOVED_IMAP, "expunged by IMAP", "διαγράφηκε με IMAP")                                      \
    X(NO_EVENTS, "(no events yet: press Space or n)", "(κανένα συμβάν ακόμη: Space ή n)")          \
    X(NO_MATCH, "(no event matches the filter)", "(κανένα συμβάν δεν ταιριάζει στο φίλτρο)")       \
    X(FILTER, "filter", "φίλτρο")                                                                  \
    X(STEP, "Step", "Βήμα")                                                                        \
    X(OF, "of", "από")                                                                             \
    X(START_HINT, "press n to go to the first step, ? for help",                                   \
      "πατήστε n για το πρώτο βήμα, ? για βοήθεια")                                                \
    X(NO_STEPS, "no narration in this scenario: Space steps, r runs",                              \
      "το σενάριο δεν έχει αφήγηση: Space ένα βήμα, r εκτέλεση")                                   \
    X(PAUSED, "paused", "παύση")                                                                   \
    X(RUNNING, "running", "τρέχει")                                                                \
    X(SEEKING, "working", "υπολογισμός")                                                           \
    X(FINISHED, "finished", "τέλος")                                                               \
    X(EVENTS, "events", "συμβάντα")                                                                \
    X(HINTS, "? help  q quit  Spc step  n next  r run  b back",                                    \
      "? βοήθεια  q έξοδος  Spc βήμα  n επόμενο  r τρέξε  b πίσω")                                 \
    X(PROMPT_FILTER,                                                                               \
      "filter (host=H kind=K -kind=K word): ", "φίλτρο (host=H kind=K -kind=K λέξη): ")            \
    X(PROMPT_TIME, "go to time (10m, 1h30m): ", "μετάβαση στο χρόνο (10m, 1h30m): ")               \
    X(BAD_TIME, "not a time: write it as 30s, 10m or 1h30m",                                       \
      "δεν είναι χρόνος: γράψτε 30s, 10m ή 1h30m")                                                 \
    X(CLOSE_HINT, "Esc or q closes", "Esc ή q για κλείσιμο")                                       \
    X(INSPECT_MESSAGE, "Message", "Μήνυμα")                                                        \
    X(INSPECT_SOURCE, "Source", "Πηγαίο κείμενο")                                                  \
    X(INSPECT_MIME, "MIME structure", "Δομή MIME")                                                 \
    X(INSPECT_EVENT, "Event", "Συμβάν")                                                            \
    X(INSPECT_SEGMENT, "TCP segment header", "Κεφαλίδα τμήματος TCP")                              \
    X(INSPECT_PAYLOAD, "Payload (first bytes)", "Δεδομένα (τα πρώτα bytes)")                       \
    X(INSPECT_CODE, "Reply code", "Κωδικός απάντησης")                                             \
    X(INSPECT_QUEUE, "Queue entry", "Εγγραφή ουράς")                                               \
    X(INSPECT_HOST, "Host", "Υπολογιστής")                                                         \
    X(INSPECT_NOTHING, "Nothing to inspect here.", "Τίποτα για εξέταση εδώ.")                      \
    X(MESSAGE_GONE, "The message is no longer there.", "Το μήνυμα δεν υπάρχει πια.")               \
    X(CODE_UNKNOWN, "no explanation for this reply", "καμία εξήγηση για αυτή την απάντηση")        \
    X(CLIENT_SAYS, "the client", "ο client")                                                       \
    X(SERVER_SAYS, "the server", "ο server")                                                       \
    X(SERVING, "serving", "σε λειτουργία")                                                         \
    X(LIVE_NOT_AVAILABLE, "not available while serving real clients",                             \
      "δεν γίνεται όσο εξυπηρετούνται πραγματικοί clients")                                        \
    X(LIVE_HINTS, "? help  q quit and report  Tab pane  / filter  Enter inspect",                  \
      "? βοήθεια  q έξοδος και αναφορά  Tab πλαίσιο  / φίλτρο  Enter εξέταση")                     \
    X(LIVE_START, "serving real clients: their sessions show here; q ends and writes the report",  \
      "εξυπηρέτηση πραγματικών clients: οι συνεδρίες τους φαίνονται εδώ· q για τέλος και αναφορά") \
    X(LIVE_NO_EVENTS, "(no events yet: connect a real client to a mapped port)",                   \
      "(κανένα συμβάν ακόμη: συνδέστε έναν πραγματικό client σε μια θύρα)")

typedef enum tui_text_id {
#define X(id, en, el) TUI_T_##id,
    TUI_TEXTS(X)
#undef X
        TUI_T_COUNT
} tui_text_id_t;

/* The text in lang ("el" gives Greek; anything else English). Static storage. */
const char *tui_text(tui_text_id_t id, const char *lang);
/* True for "el". */
bool tui_lang_is_greek(const char *lang);

/* The help screen: one line per entry, NULL-terminated, static storage. */
const char *const *tui_help_lines(const char *lang);

#endif
