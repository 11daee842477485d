#!/usr/bin/env bash
# The TUI in a real terminal: tmux on a private socket, at 100x30 and 80x24.
# Start, step to each of the six walkthrough steps with n and compare the
# screen text with tests/tui/golden/; switch language; resize; answer a key
# within a bound while running a busy scenario at full speed; click and
# scroll with the mouse; quit with the terminal restored and exit status 0.
# UPDATE_GOLDEN=1 rewrites the golden files instead of comparing.
set -u
MAILSIM=${MAILSIM:-build/mailsim}
case "$MAILSIM" in /*) ;; *) MAILSIM="$PWD/$MAILSIM" ;; esac
GOLDEN=tests/tui/golden
UPDATE=${UPDATE_GOLDEN:-0}
SOCKET=mailsim-test-$$
RUNS=0
TMP=$(mktemp -d)
# One tmux server per program run, each on its own private socket.
tm() { tmux -L "$SOCKET-$RUNS" -f /dev/null "$@"; }
cleanup() {
    tm kill-server >/dev/null 2>&1
    rm -rf "$TMP"
    rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCKET"-*
}
trap cleanup EXIT
fail=0
pass=0
check() { # name, status
    if [ "$2" = 0 ]; then pass=$((pass + 1)); else echo "FAIL: $1"; fail=$((fail + 1)); fi
}
screen() { tm capture-pane -p -t t 2>/dev/null; }
# Waits (at most about 5 s) until the screen shows text, then until it stops changing.
wait_for() {
    local i prev="" cur
    for i in $(seq 50); do
        screen | grep -qF -- "$1" && break
        sleep 0.1
    done
    for i in $(seq 20); do
        cur=$(screen)
        [ -n "$prev" ] && [ "$cur" = "$prev" ] && break
        prev=$cur
        sleep 0.05
    done
    screen | grep -qF -- "$1"
}
# Waits (at most about 5 s) until what a function prints matches: function,
# grep's kind of pattern (-F, -E), pattern.
wait_grep() {
    local i
    for i in $(seq 250); do
        "$1" | grep -q "$2" -- "$3" && return 0
        sleep 0.02
    done
    return 1
}
# Waits until the screen shows text; for a screen still changing.
wait_text() { wait_grep screen -F "$1"; }
golden() { # name: compare the screen with GOLDEN/name.txt
    local file="$GOLDEN/$1.txt"
    if [ "$UPDATE" = 1 ]; then
        mkdir -p "$GOLDEN"
        screen >"$file"
        return 0
    fi
    screen >"$TMP/got.txt"
    if ! diff -u "$file" "$TMP/got.txt" >"$TMP/diff.txt" 2>&1; then
        cat "$TMP/diff.txt"
        return 1
    fi
}
# A shell in a fresh window of cols x rows, running a command line.
start() { # cols rows command...
    local cols=$1 rows=$2
    shift 2
    tm kill-server >/dev/null 2>&1
    RUNS=$((RUNS + 1))
    tm new-session -d -s t -x "$cols" -y "$rows" \
        "env -i PATH=\"$PATH\" HOME=\"$TMP\" TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 \
         NO_COLOR=1 PS1='$ ' sh"
    tm set-option -t t status off >/dev/null
    tm resize-window -t t -x "$cols" -y "$rows" >/dev/null 2>&1
    wait_for '$'
    tm send-keys -t t "$*; echo EXIT=\$?" Enter
}
quit_clean() { # name
    tm send-keys -t t q
    wait_for 'EXIT='
    screen | grep -qx 'EXIT=0'; check "$1: q exits 0" $?
    ! screen | grep -qE 'Network|Events|Step [0-9]|Βήμα|Spc step'; check "$1: no TUI left on the screen" $?
}

walk_steps() { # size
    local size=$1 k
    wait_for 'press n'; check "$size: opens on the walkthrough" $?
    golden "$size-start"; check "$size: start screen" $?
    for k in 1 2 3 4 5 6; do
        tm send-keys -t t n
        wait_for "Step $k of 6"; check "$size: n reaches step $k" $?
        golden "$size-step$k"; check "$size: step $k screen" $?
    done
    tm send-keys -t t l
    wait_for 'Βήμα 6 από 6'; check "$size: l switches to Greek" $?
    golden "$size-step6-el"; check "$size: Greek step 6 screen" $?
    tm send-keys -t t l
    wait_for 'Step 6 of 6'; check "$size: l switches back to English" $?
}

start 100 30 "$MAILSIM" tui scenarios/alice-to-roberto.json
walk_steps 100x30
quit_clean 100x30

start 80 24 "$MAILSIM" tui scenarios/alice-to-roberto.json
walk_steps 80x24
# Step back once and forward again: the same screen.
tm send-keys -t t b
wait_for 'Step 5 of 6'; check "80x24: b steps back before step 6" $?
tm send-keys -t t Space
wait_for 'Step 6 of 6'; check "80x24: Space steps forward to step 6 again" $?
golden 80x24-step6; check "80x24: back then forward gives the same screen" $?
# Grown to 100x30, the screen is the one drawn at that size.
tm resize-window -t t -x 100 -y 30
wait_for 'Step 6 of 6'
golden 100x30-step6; check "resize 80x24 to 100x30 redraws at the new size" $?
quit_clean 80x24

# `mailsim` with no argument on a terminal opens the TUI on the built-in walkthrough.
start 80 24 "$MAILSIM" --lang el
wait_for 'Η Αλίκη γράφει στον Ρομπέρτο: πατήστε n'; check "mailsim alone opens the TUI (Greek)" $?
tm send-keys -t t '?'
wait_for 'Πλήκτρα'; check "? shows the keys" $?
tm send-keys -t t Escape
wait_for 'Spc βήμα'; check "Esc closes the help" $?
quit_clean "mailsim alone"

# The mouse, as a terminal reports it (xterm's X10 form, which ncurses reads
# through kmous): a click focuses the pane under it and selects the line; the
# wheel moves the selection, and scrolls an inspector longer than the screen.
mouse() { # button x y (0-based cells): 0 press, 3 release, 64 wheel up, 65 wheel down
    tm send-keys -t t -l "$(printf '\033[M%b%b%b' "$(printf '\\0%03o' $((32 + $1)))" \
        "$(printf '\\0%03o' $((33 + $2)))" "$(printf '\\0%03o' $((33 + $3)))")"
}
click() { mouse 0 "$1" "$2"; mouse 3 "$1" "$2"; }
row_of() { # the 0-based screen row of the first line with text
    echo $(($(screen | grep -n -F -- "$1" | head -1 | cut -d: -f1) - 1))
}
# The screen with its attributes: a selected line is in reverse video, a
# focused pane's title in bold reverse video.
attr_screen() { tm capture-pane -p -e -t t 2>/dev/null; }
ESC=$(printf '\033')
selected() { echo "$ESC\\[([0-9]+;)*7m$1"; }
focused() { echo "$ESC\\[([0-9]+;)*1;7m($ESC\\[[0-9;]*m)* $1"; }
wait_attr() { wait_grep attr_screen -E "$1"; } # an extended regex over attr_screen

start 100 30 "$MAILSIM" tui scenarios/alice-to-roberto.json
wait_for 'press n'
tm send-keys -t t n
wait_for 'Step 1 of 6'
click 10 "$(row_of 'mail.roberto.example 198.51.100.20')"
wait_attr "$(focused Network)"; check "mouse: a click focuses the network pane" $?
wait_attr "$(selected 'up   mail.roberto.example')"; check "mouse: and selects the host" $?
! attr_screen | grep -qE -- "$(focused Events)"; check "mouse: the event log is not in focus" $?
y=$(row_of 'alice-pc user.send')
click 10 "$y"
wait_attr "$(focused Events)"; check "mouse: a click focuses the event log" $?
wait_attr "$(selected '0:00:00.000000 alice-pc user.send')"
check "mouse: and selects the event under it" $?
! attr_screen | grep -qE -- "$(focused Network)"; check "mouse: the network pane lost the focus" $?
mouse 65 10 "$y"
mouse 65 10 "$y"
wait_attr "$(selected '0:00:00.000000 alice-pc tcp.connect')"
check "mouse: the wheel down selects the events after it" $?
mouse 64 10 "$y"
wait_attr "$(selected '0:00:00.000000 alice-pc walkthrough.step')"
check "mouse: the wheel up the one before" $?
quit_clean mouse

start 80 24 "$MAILSIM" tui scenarios/alice-to-roberto.json
wait_for 'press n'
for k in 1 2 3 4 5 6; do
    tm send-keys -t t n
    wait_for "Step $k of 6"
done
click 50 "$(row_of '1 m1 \Recent')"
tm send-keys -t t Enter
wait_for 'Message: mail.roberto.example roberto INBOX uid 1'
check "mouse: Enter inspects the message clicked" $?
tm resize-window -t t -x 80 -y 16
wait_for 'From: Alice'
screen >"$TMP/top.txt"
mouse 65 40 8
mouse 65 40 8
wait_for 'Subject:'; check "mouse: the wheel scrolls the inspector down" $?
! screen | grep -qF 'MIME structure'; check "mouse: its first lines scroll away" $?
mouse 64 40 8
mouse 64 40 8
wait_for 'MIME structure'; check "mouse: the wheel scrolls it back up" $?
screen | cmp -s - "$TMP/top.txt"; check "mouse: back at the top, the same screen" $?
tm send-keys -t t Escape
wait_for 'Step 6 of 6'
quit_clean "mouse inspector"

# A busy scenario (about 380,000 events) at full speed: a key is answered quickly.
cat >"$TMP/busy.json" <<'EOF'
{"seed": 1, "servers": [
 {"host": "mail.alice.example", "domains": ["alice.example"],
  "users": [{"user": "alice", "password": "w"}]},
 {"host": "mail.roberto.example", "domains": ["roberto.example"],
  "users": [{"user": "roberto", "password": "s"}]}],
 "clients": [{"host": "alice-pc", "user": "alice@alice.example"}],
 "timeline": [{"at": "0s", "traffic": {"messages": 4000, "from": ["alice@alice.example"],
  "to": ["roberto@roberto.example"], "over": "1h"}}]}
EOF
start 100 30 "$MAILSIM" tui "$TMP/busy.json"
wait_for 'press n'
tm send-keys -t t + + + + + r
wait_text 'max running'; check "busy: runs at full speed" $?
t0=$(date +%s%N)
tm send-keys -t t '?'
wait_text 'Space       run one event'; check "busy: ? answered while running" $?
ms=$((($(date +%s%N) - t0) / 1000000))
echo "tui: key answered in ${ms} ms while running at full speed"
[ "$ms" -lt 1000 ]; check "busy: key answered within 1 s (got ${ms} ms)" $?
tm send-keys -t t Escape
wait_text 'max running'; check "busy: Esc closes the help, still running" $?
tm send-keys -t t r
wait_for 'max paused'; check "busy: r pauses" $?
quit_clean busy

echo "tui: $pass passed, $fail failed"
[ "$fail" = 0 ]
