#!/usr/bin/env bash
# mailsim serve with real mail software over loopback (tests/tools/interop.py:
# smtplib, poplib, curl, swaks, aiosmtpd as an external server), and serve's
# usage errors. Bounded in time; every server started is stopped.
set -u
MAILSIM=$(realpath "${MAILSIM:-build/mailsim}")
fail=0
pass=0
check() { # name, condition result
    if [ "$2" = 0 ]; then pass=$((pass + 1)); else echo "FAIL: $1"; fail=$((fail + 1)); fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
WALK=scenarios/alice-to-roberto.json

# --- usage errors: exit 2 and a clear line, before anything listens ------------
usage() { # name, expected text, args...
    local name=$1 want=$2
    shift 2
    timeout 10 "$MAILSIM" serve "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" = 2 ] && grep -q -- "$want" "$tmp/err"
    check "serve $name: exit 2 and \"$want\" (got $rc: $(head -1 "$tmp/err"))" $?
}
usage "with no map" "nothing to serve" "$WALK"
usage "--map without =" "expected \[ADDR:\]PORT=HOST:PORT" "$WALK" --map 2525
usage "--map to an unknown host" "no host nowhere.example" "$WALK" --map 0=nowhere.example:25
usage "--map to an unknown service" "expected a port number, or smtp" "$WALK" \
    --map 0=mail.roberto.example:gopher
usage "--map off loopback" "not a loopback address" "$WALK" --map 192.0.2.1:0=mail.roberto.example:25
usage "--as an unknown host" "--as: no host nobody-pc" "$WALK" --map 0=mail.roberto.example:25 \
    --as nobody-pc
usage "--speed 0" "--speed: expected a number above 0" "$WALK" --speed 0
usage "two files" "serve runs one scenario" "$WALK" "$WALK"
"$MAILSIM" serve --help | grep -q -- "--map L=HOST:PORT"; check "serve --help shows --map" $?

# --- a short serve that stops by itself (--until), report as run writes it ------
timeout 20 "$MAILSIM" serve "$WALK" --map 0=mail.roberto.example:smtp --speed 20000 --until 3h \
    --format json --output "$tmp/until.json" 2>"$tmp/until.err"
rc=$?
[ "$rc" = 0 ]; check "serve --until 3h at speed 20000 ends by itself, exit 0 (got $rc)" $?
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["passed"] else 1)' \
    "$tmp/until.json"
check "its JSON report says passed" $?

# --- real software -----------------------------------------------------------------
# aiosmtpd is a Debian package (python3-aiosmtpd): use the Python that has it.
py=""
for p in /usr/bin/python3 python3; do
    if "$p" -c 'import aiosmtpd' 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then
    echo "FAIL: no python3 with aiosmtpd (install python3-aiosmtpd: make deps)"
    fail=$((fail + 1))
else
    timeout 120 "$py" tests/tools/interop.py "$MAILSIM"
    rc=$?
    check "interop.py (exit $rc)" $rc
fi

echo "interop.sh: $pass passed, $fail failed"
[ "$fail" = 0 ]
