#!/usr/bin/env bash
# mailsim validate: every broken scenario in tests/scenarios/bad gives exactly
# its expected lines and exit 2; a good scenario gives exit 0 and no output.
set -u
MAILSIM=$(realpath "${MAILSIM:-build/mailsim}")
fail=0
pass=0
check() {
    if [ "$2" = 0 ]; then pass=$((pass + 1)); else echo "FAIL: $1"; fail=$((fail + 1)); fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(
    cd tests/scenarios/bad || exit 1
    for f in *.json; do
        name=${f%.json}
        "$MAILSIM" validate "$f" 2>"$tmp/$name.err" >/dev/null
        echo $? >"$tmp/$name.rc"
    done
)
for f in tests/scenarios/bad/*.json; do
    name=$(basename "$f" .json)
    [ "$(cat "$tmp/$name.rc")" = 2 ]; check "$name: exit 2" $?
    cmp -s "$tmp/$name.err" "tests/scenarios/bad/$name.expected"
    check "$name: the expected error lines ($(diff "$tmp/$name.err" "tests/scenarios/bad/$name.expected" | head -3 | tr '\n' ' '))" $?
done
cat >"$tmp/good.json" <<'JSON'
{
  "title": {"en": "Alice writes to Roberto", "el": "Η Αλίκη γράφει στον Ρομπέρτο"},
  "servers": [
    {"host": "mail.alice.example", "domains": ["alice.example"],
     "users": [{"user": "alice", "password": "wonderland"}]},
    {"host": "mail.roberto.example", "domains": ["roberto.example"],
     "users": [{"user": "roberto", "password": "secret", "name": "Ρομπέρτο"}]}
  ],
  "clients": [{"host": "alice-pc", "user": "alice@alice.example"},
              {"host": "roberto-pc", "user": "roberto@roberto.example"}],
  "timeline": [{"at": "0s", "send": {"id": "m1", "from": "alice@alice.example",
                "to": ["roberto@roberto.example"], "subject": "Γεια σου", "body": "…"}}],
  "expect": [{"name": "delivered", "mailbox": {"user": "roberto@roberto.example"}, "count": 1}]
}
JSON
out=$("$MAILSIM" validate "$tmp/good.json" 2>&1); rc=$?
[ "$rc" = 0 ] && [ -z "$out" ]; check "a good scenario: exit 0, no output ($out)" $?
"$MAILSIM" validate "$tmp/good.json" "$tmp/missing.json" 2>"$tmp/two.err"; rc=$?
[ "$rc" = 2 ] && grep -q "missing.json" "$tmp/two.err"; check "a missing file among good ones: exit 2, named" $?
"$MAILSIM" validate >/dev/null 2>&1; [ $? = 2 ]; check "no file: exit 2" $?
echo "validate: $pass passed, $fail failed"
[ "$fail" = 0 ]
