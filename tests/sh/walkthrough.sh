#!/usr/bin/env bash
# The mailsim command's walkthrough: the five SMTP steps in order, in both
# languages, the same bytes every run, and clear errors for bad arguments.
set -u
MAILSIM=${MAILSIM:-build/mailsim}
fail=0
pass=0
check() { # name, condition result
    if [ "$2" = 0 ]; then pass=$((pass + 1)); else echo "FAIL: $1"; fail=$((fail + 1)); fi
}
out=$(NO_COLOR=1 "$MAILSIM" --lang en); rc=$?
check "walkthrough exits 0" "$rc"
steps=$(printf '%s\n' "$out" | grep -o '^== Step [0-9]' | tr -d '\n')
[ "$steps" = "== Step 1== Step 2== Step 3== Step 4== Step 5== Step 6" ]; check "steps 1-6 in order (got '$steps')" $?
printf '%s\n' "$out" | grep -q "^score 10/10$"; check "the walkthrough's expectations all hold" $?
printf '%s\n' "$out" | grep -q 'pop3.command .*verb=RETR'; check "Roberto's client retrieves the message with POP3" $?
printf '%s\n' "$out" | grep -q 'smtp.command .*verb=DATA'; check "the DATA command is shown" $?
printf '%s\n' "$out" | grep -q $'\033'; [ $? -ne 0 ]; check "NO_COLOR gives no escape codes" $?
el=$(NO_COLOR=1 "$MAILSIM" --lang el)
printf '%s\n' "$el" | grep -q '== Βήμα 2: .*ουρά μηνυμάτων'; check "Greek narration uses the lecture's terms" $?
again=$(NO_COLOR=1 "$MAILSIM" --lang en)
[ "$out" = "$again" ]; check "two runs give identical output" $?
seg=$(NO_COLOR=1 "$MAILSIM" --segments | grep -c 'tcp.segment')
[ "$seg" -gt 20 ]; check "--segments shows the TCP segments ($seg)" $?
err=$("$MAILSIM" --lang fr 2>&1 >/dev/null); rc=$?
[ "$rc" = 2 ] && printf '%s' "$err" | grep -q 'expected en or el, got "fr"'; check "bad --lang: exit 2 and a clear message" $?
"$MAILSIM" --bogus >/dev/null 2>&1; [ $? = 2 ]; check "unknown argument: exit 2" $?
echo "walkthrough: $pass passed, $fail failed"
[ "$fail" = 0 ]
