#!/usr/bin/env bash
# mailsim serve --tui in a real terminal (tmux on a private socket, 100x30):
# a real client (python3 smtplib) sends a message to the mapped port, its
# session shows live in the TUI, stepping keys are refused, q leaves the TUI
# cleanly and the report follows (after SIGTERM too); --tui with no
# terminal is a usage error.
# Every wait is bounded; the tmux server is killed at the end.
set -u
MAILSIM=${MAILSIM:-build/mailsim}
case "$MAILSIM" in /*) ;; *) MAILSIM="$PWD/$MAILSIM" ;; esac
WALK=$PWD/scenarios/alice-to-roberto.json
SOCKET=mailsim-serve-$$
TMP=$(mktemp -d)
tm() { tmux -L "$SOCKET" -f /dev/null "$@"; }
cleanup() {
    tm kill-server >/dev/null 2>&1
    rm -rf "$TMP"
    rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCKET"
}
trap cleanup EXIT
fail=0
pass=0
check() { # name, status
    if [ "$2" = 0 ]; then pass=$((pass + 1)); else echo "FAIL: $1"; fail=$((fail + 1)); fi
}
screen() { tm capture-pane -p -t t 2>/dev/null; }
# Waits (at most about 10 s) until the screen shows text (a fixed string).
wait_text() {
    local i
    for i in $(seq 200); do
        screen | grep -qF -- "$1" && return 0
        sleep 0.05
    done
    return 1
}

# --- without a terminal: a usage error ----------------------------------------
"$MAILSIM" serve "$WALK" --map 0=mail.roberto.example:smtp --tui </dev/null >"$TMP/out" 2>"$TMP/err"
rc=$?
[ "$rc" = 2 ] && grep -q -- "--tui needs a terminal" "$TMP/err"
check "--tui with no terminal: exit 2 and a message (got $rc: $(head -1 "$TMP/err"))" $?

# --- in a terminal -----------------------------------------------------------------
tm new-session -d -s t -x 100 -y 30 \
    "env -i PATH=\"$PATH\" HOME=\"$TMP\" TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 \
     NO_COLOR=1 PS1='$ ' sh"
tm set-option -t t status off >/dev/null
tm resize-window -t t -x 100 -y 30 >/dev/null 2>&1
wait_text '$'
tm send-keys -t t "$MAILSIM serve $WALK --map 127.0.0.1:0=mail.roberto.example:smtp --tui \
2>$TMP/serve.err; echo EXIT=\$?" Enter

port=""
for i in $(seq 200); do
    port=$(sed -n 's/^mailsim serve: 127\.0\.0\.1:\([0-9]*\) -> mail\.roberto\.example:25$/\1/p' \
        "$TMP/serve.err" 2>/dev/null)
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ]; check "serve prints the mapped port on standard error" $?
wait_text 'x1 serving'; check "the TUI opens live (status line)" $?
wait_text 'serving  ?'; check "the status line says serving" $?

tm send-keys -t t Space
wait_text 'not available while serving real clients'; check "Space is refused while serving" $?
tm send-keys -t t b
wait_text 'not available while serving real clients'; check "b is refused while serving" $?

timeout 10 python3 - "$port" >"$TMP/client.out" 2>&1 <<'EOF'
import smtplib, sys
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "tester@example.net"
m["To"] = "roberto@roberto.example"
m["Subject"] = "from a real client"
m.set_content("Hello from outside the simulation.\n")
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="realclient.test", timeout=8) as s:
    s.send_message(m)
print("sent")
EOF
grep -q sent "$TMP/client.out"; check "smtplib sends through the mapped port ($(tail -1 "$TMP/client.out"))" $?
wait_text 'SMTP closed: real-1 > mail.roberto.example'
check "the real peer's session shows live in the network pane" $?
wait_text '"from a'; check "its message shows in Roberto's mailbox" $?
# The transcript follows the latest lines; the log's filter finds the EHLO.
tm send-keys -t t / realclient Enter
wait_text 'C: ehlo realclient.test'; check "the real client's EHLO shows in the filtered log" $?

tm send-keys -t t q
wait_text 'EXIT='; check "q leaves the TUI" $?
rc=$(screen | sed -n 's/^EXIT=\([0-9]*\)$/\1/p')
[ "$rc" = 0 ] || [ "$rc" = 1 ]; check "exit 0 or 1 (got $rc)" $?
screen | grep -q '^alice-to-roberto: Alice writes to Roberto'
check "the report follows the TUI" $?
! screen | grep -qE 'Network|Events|serving|Transcript|not available'
check "no TUI left on the screen" $?
grep -q 'mailsim serve: stopped: 1 connections in' "$TMP/serve.err"
check "the stop line counts the real connection" $?

# --- SIGTERM while the TUI is open: the same clean end and report ---------------
tm send-keys -t t clear Enter
tm send-keys -t t "$MAILSIM serve $WALK --map 127.0.0.1:0=mail.roberto.example:smtp --tui \
2>$TMP/serve2.err; echo EXIT=\$?" Enter
wait_text 'x1 serving'; check "the TUI opens again" $?
shell=$(tm list-panes -t t -F '#{pane_pid}')
server=""
for i in $(seq 100); do
    server=$(pgrep -P "$shell" -x mailsim)
    [ -n "$server" ] && break
    sleep 0.05
done
[ -n "$server" ] && kill -TERM "$server"
wait_text 'EXIT='; check "SIGTERM leaves the TUI" $?
screen | grep -q '^alice-to-roberto: Alice writes to Roberto'
check "the report follows after SIGTERM" $?
! screen | grep -qE 'Network|Events|serving|Transcript'
check "no TUI left after SIGTERM" $?

echo "serve_tui: $pass passed, $fail failed"
[ "$fail" = 0 ]
