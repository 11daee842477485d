/*
 * text: the TUI's own words in English and Greek, from one X-macro table so
 * a text cannot exist in one language only.
 */
#include "text.h"

#include <string.h>

static const char *const texts_en[] = {
#define X(id, en, el) en,
    TUI_TEXTS(X)
#undef X
};

static const char *const texts_el[] = {
#define X(id, en, el) el,
    TUI_TEXTS(X)
#undef X
};

bool tui_lang_is_greek(const char *lang)
{
    return lang && strcmp(lang, "el") == 0;
}

const char *tui_text(tui_text_id_t id, const char *lang)
{
    if ((unsigned)id >= TUI_T_COUNT)
        return "";
    return tui_lang_is_greek(lang) ? texts_el[id] : texts_en[id];
}

static const char *const help_en[] = {
    "Space       run one event (one thing that happens)",
    "n           run to the next step of the walkthrough",
    "r           run or pause (at the speed shown)",
    "+ / -       faster / slower",
    "b           one event back (the run is replayed from the start)",
    "g           go to a virtual time (10m, 1h30m)",
    "Tab         move to the next pane (Shift-Tab: back)",
    "arrows      choose a line; PgUp PgDn Home End scroll",
    "Enter       inspect: a message's source and MIME tree, a segment's",
    "            header, a reply code's meaning, a connection's transcript",
    "Left/Right  in the transcript: the previous or next session",
    "/           filter the event log (host=H kind=K -kind=K word)",
    "s           in the event log: show or hide TCP segments",
    "e           in the transcript: explain every reply code",
    "l           English / Ελληνικά",
    "?           this help",
    "q           quit",
    NULL,
};

static const char *const help_el[] = {
    "Space       εκτέλεση ενός συμβάντος",
    "n           μετάβαση στο επόμενο βήμα του παραδείγματος",
    "r           εκτέλεση ή παύση (με την ταχύτητα που φαίνεται)",
    "+ / -       ταχύτερα / πιο αργά",
    "b           ένα συμβάν πίσω (η εκτέλεση ξαναγίνεται από την αρχή)",
    "g           μετάβαση σε εικονικό χρόνο (10m, 1h30m)",
    "Tab         στο επόμενο πλαίσιο (Shift-Tab: πίσω)",
    "βέλη        επιλογή γραμμής· PgUp PgDn Home End κύλιση",
    "Enter       εξέταση: πηγαίο κείμενο και δομή MIME μηνύματος, κεφαλίδα",
    "            τμήματος TCP, σημασία κωδικού, διάλογος μιας σύνδεσης",
    "Αρ./Δεξ.    στο διάλογο: η προηγούμενη ή η επόμενη συνεδρία",
    "/           φίλτρο συμβάντων (host=H kind=K -kind=K λέξη)",
    "s           στα συμβάντα: εμφάνιση ή απόκρυψη τμημάτων TCP",
    "e           στο διάλογο: εξήγηση κάθε κωδικού απάντησης",
    "l           English / Ελληνικά",
    "?           αυτή η βοήθεια",
    "q           έξοδος",
    NULL,
};

const char *const *tui_help_lines(const char *lang)
{
    return tui_lang_is_greek(lang) ? help_el : help_en;
}
