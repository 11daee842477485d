#!/usr/bin/env bash
# Every shipped scenario: valid by mailsim and by the JSON Schema, English and
# Greek texts, every expectation holds, and two runs give byte-identical
# reports, logs and pcaps.
set -u
MAILSIM=${MAILSIM:-build/mailsim}
fail=0
pass=0
check() {
    if [ "$2" = 0 ]; then pass=$((pass + 1)); else echo "FAIL: $1"; fail=$((fail + 1)); fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 tests/tools/schema_check.py docs/scenario.schema.json scenarios/*.json
check "every shipped scenario matches docs/scenario.schema.json" $?
python3 tests/tools/schema_check.py docs/scenario.schema.json tests/scenarios/bad/bad-durations.json \
    >/dev/null
[ $? = 1 ]; check "the schema check can fail: a broken scenario is refused" $?
for f in scenarios/*.json; do
    name=$(basename "$f" .json)
    "$MAILSIM" validate "$f"; check "$name: mailsim validate" $?
    python3 - "$f" <<'PY'
import json, sys
s = json.load(open(sys.argv[1], encoding="utf-8"))
assert s.get("$schema") == "../docs/scenario.schema.json", "names the schema"
for text in [s["title"], s["description"]] + [n["say"] for n in s.get("narration", [])]:
    assert isinstance(text, dict) and text.get("en") and text.get("el"), text
assert s.get("expect"), "has expectations"
assert s.get("narration"), "has narration"
PY
    check "$name: names the schema, English and Greek texts, narration, expectations" $?
    for i in 1 2; do
        "$MAILSIM" run --format json --log "$tmp/$name$i.jsonl" --log-format jsonl \
            --pcap "$tmp/$name$i.pcap" "$f" >"$tmp/$name$i.json" 2>"$tmp/$name$i.err"
        echo $? >"$tmp/$name$i.rc"
    done
    [ "$(cat "$tmp/${name}1.rc")" = 0 ]
    check "$name: every expectation holds ($(grep -o '"detail": "[^"]*"' "$tmp/${name}1.json" | head -0))$(python3 -c '
import json,sys
r=json.load(open(sys.argv[1]))
print("".join(" ["+e["name"]+": "+e["detail"]+"]" for e in r["expectations"] if not e["passed"]))' "$tmp/${name}1.json" 2>/dev/null)" $?
    [ ! -s "$tmp/${name}1.err" ]; check "$name: nothing on stderr ($(head -1 "$tmp/${name}1.err"))" $?
    steps=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["narration"]))' "$f")
    reached=$(grep -c '"kind":"walkthrough.step"' "$tmp/${name}1.jsonl")
    [ "$steps" = "$reached" ]; check "$name: every narration step is reached ($reached of $steps)" $?
    cmp -s "$tmp/${name}1.json" "$tmp/${name}2.json" && cmp -s "$tmp/${name}1.jsonl" "$tmp/${name}2.jsonl" &&
        cmp -s "$tmp/${name}1.pcap" "$tmp/${name}2.pcap"
    check "$name: two runs give identical reports, logs and pcaps" $?
    NO_COLOR=1 "$MAILSIM" run --lang el "$f" >"$tmp/$name.el" 2>&1
    [ $? = 0 ]; check "$name: runs in Greek" $?
done
echo "scenarios: $pass passed, $fail failed"
[ "$fail" = 0 ]
