#!/usr/bin/env bash
# mailsim run and mailsim list: exit codes 0/1/2, every report format parses,
# --output, --log (text and jsonl), --pcap read back with tshark, --seed,
# --until, --lang, several files, byte-identical reruns, clear usage errors,
# and the built-in walkthrough scenario.
set -u
MAILSIM=$(realpath "${MAILSIM:-build/mailsim}")
DIR=tests/scenarios/run
WALK=scenarios/alice-to-roberto.json
fail=0
pass=0
check() { # name, condition result
    if [ "$2" = 0 ]; then pass=$((pass + 1)); else echo "FAIL: $1"; fail=$((fail + 1)); fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export NO_COLOR=1

# --- the built-in scenario and the shipped one --------------------------------
out=$("$MAILSIM" run 2>"$tmp/builtin.err"); rc=$?
check "run with no file: exit 0 (got $rc)" "$([ "$rc" = 0 ]; echo $?)"
printf '%s\n' "$out" | grep -q '^alice-to-roberto: Alice writes to Roberto (seed 1)$'
check "run with no file runs the built-in walkthrough ($(printf '%s' "$out" | head -1))" $?
printf '%s\n' "$out" | grep -q '^score 10/10$'; check "the walkthrough scores 10/10" $?
[ ! -s "$tmp/builtin.err" ]; check "nothing on stderr: every action runs ($(head -2 "$tmp/builtin.err" | tr '\n' ' '))" $?
"$MAILSIM" run "$WALK" >"$tmp/walk.txt" 2>/dev/null; rc=$?
[ "$rc" = 0 ]; check "run $WALK: exit 0 (got $rc)" $?
grep -q $'\033' "$tmp/walk.txt"; [ $? -ne 0 ]; check "no escape codes when not a terminal" $?
"$MAILSIM" validate "$WALK"; check "$WALK is valid" $?

out=$("$MAILSIM" list); rc=$?
[ "$rc" = 0 ] && printf '%s\n' "$out" | grep -q '^  alice-to-roberto  *Alice writes to Roberto$'
check "list shows the built-in scenario with its title ($out)" $?
printf '%s\n' "$out" | grep -q '^  alice-to-roberto.json  *Alice writes to Roberto$'
check "list shows the shipped scenarios/ files" $?
"$MAILSIM" list --lang el | grep -q 'Η Αλίκη γράφει στον Ρομπέρτο'; check "list --lang el: Greek titles" $?

# --- formats --------------------------------------------------------------------
"$MAILSIM" run --format json "$WALK" >"$tmp/walk.json" 2>/dev/null
python3 - "$tmp/walk.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["scenario"] == "alice-to-roberto" and r["seed"] == 1, r
assert r["passed"] is True and r["score"] == 10 and r["max_score"] == 10, r
assert [e["max_points"] for e in r["expectations"]] == [3, 2, 1, 1, 1, 2], r
assert r["stats"]["virtual_us"] == 3 * 3600 * 10**6 and r["stats"]["wall_ms"] == 0, r
assert r["stats"]["delivered"] == 1 and r["stats"]["queued"] == 0 and r["stats"]["events"] > 50, r
assert r["accounting"] == {"ok": True}, r
PY
check "--format json parses and holds the contract's keys" $?
"$MAILSIM" run --format=junit "$WALK" 2>/dev/null | python3 -c '
import sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
suite = root.find("testsuite")
assert root.tag == "testsuites" and suite.get("name") == "alice-to-roberto", root
cases = suite.findall("testcase")
assert len(cases) == 7 and cases[-1].get("name") == "accounting", [c.get("name") for c in cases]
assert root.get("failures") == "0", root.attrib
'
check "--format junit parses as XML with a test case per expectation and accounting" $?
"$MAILSIM" run --format gradescope "$WALK" 2>/dev/null | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["score"] == 10 and len(r["tests"]) == 7, r
assert all(t["status"] == "passed" for t in r["tests"]), r
assert "execution_time" not in r, r
'
check "--format gradescope parses with the score and one test per expectation" $?
out=$("$MAILSIM" run --format json --output "$tmp/out.json" "$WALK" 2>/dev/null); rc=$?
[ "$rc" = 0 ] && [ -z "$out" ] && cmp -s "$tmp/out.json" "$tmp/walk.json"
check "--output writes the report to the file and nothing to stdout" $?
"$MAILSIM" run --lang el "$WALK" 2>/dev/null | grep -q '^alice-to-roberto: Η Αλίκη γράφει στον Ρομπέρτο'
check "--lang el: the title in Greek" $?
"$MAILSIM" run --format json --wall-clock "$WALK" 2>/dev/null |
    python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["stats"]["wall_ms"] >= 0'
check "--wall-clock: the report still parses" $?

# --- seed and until -------------------------------------------------------------
"$MAILSIM" run --format json --seed 42 "$WALK" >"$tmp/seed42.json" 2>/dev/null
python3 - "$tmp/walk.json" "$tmp/seed42.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert b["seed"] == 42, b["seed"]
a.pop("seed"); b.pop("seed")
assert a == b, (a, b)
PY
check "--seed is echoed and changes nothing else in a scenario without randomness" $?
"$MAILSIM" run --format json --until 1m "$WALK" 2>/dev/null |
    python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["stats"]["virtual_us"] == 60 * 10**6, r'
check "--until stops the run there" $?

# --- logs, pcap, determinism ----------------------------------------------------
for i in 1 2; do
    "$MAILSIM" run --format json --log "$tmp/busy$i.jsonl" --log-format jsonl --pcap "$tmp/busy$i.pcap" \
        "$DIR/busy.json" >"$tmp/busy$i.json" 2>/dev/null
done
cmp -s "$tmp/busy1.json" "$tmp/busy2.json"; check "two runs: byte-identical JSON reports" $?
cmp -s "$tmp/busy1.jsonl" "$tmp/busy2.jsonl"; check "two runs: byte-identical logs" $?
cmp -s "$tmp/busy1.pcap" "$tmp/busy2.pcap"; check "two runs: byte-identical pcaps" $?
"$MAILSIM" run --log "$tmp/busy9.jsonl" --log-format jsonl --seed 9 "$DIR/busy.json" >/dev/null 2>&1
cmp -s "$tmp/busy1.jsonl" "$tmp/busy9.jsonl"; [ $? -ne 0 ]
check "another --seed changes a scenario with traffic and loss" $?
python3 - "$tmp/busy1.jsonl" <<'PY'
import json, sys
kinds = set()
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    assert isinstance(e["t"], int) and "kind" in e, e
    kinds.add(e["kind"])
for k in ("user.send", "tcp.segment", "smtp.command", "queue.enqueue", "mailbox.store", "host.down"):
    assert k in kinds, (k, kinds)
PY
check "--log-format jsonl: every line is a JSON event" $?
python3 - "$tmp/busy1.jsonl" >"$tmp/log-verbs" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    if e["kind"] == "smtp.command" and e.get("port") in (25, 587) and "verb" in e:
        print(e["verb"])
PY
tshark -r "$tmp/busy1.pcap" -Y smtp -T fields -e smtp.req.command 2>/dev/null | tr ',' '\n' | grep . \
    >"$tmp/pcap-verbs"
[ -s "$tmp/log-verbs" ] && cmp -s "$tmp/log-verbs" "$tmp/pcap-verbs"
check "--pcap: tshark reads the same SMTP commands as the log ($(wc -l <"$tmp/log-verbs") vs $(wc -l <"$tmp/pcap-verbs"))" $?
"$MAILSIM" run --log "$tmp/walk.log" "$WALK" >/dev/null 2>&1
head -1 "$tmp/walk.log" | grep -q '^0:00:00.000000 alice-pc  *user.send '
check "--log defaults to text lines ($(head -1 "$tmp/walk.log"))" $?
[ "$(grep -c ' walkthrough.step ' "$tmp/walk.log")" = 6 ]; check "the log records steps 1-6" $?

# --- failing and invalid scenarios ------------------------------------------------
out=$("$MAILSIM" run "$DIR/roberto-down.json" 2>/dev/null); rc=$?
[ "$rc" = 1 ]; check "a failing expectation: exit 1 (got $rc)" $?
printf '%s\n' "$out" | grep -A1 '^  FAIL  delivered within 1h (0/2)$' | grep -q 'found 0'
check "the failure says what was found ($out)" $?
"$MAILSIM" run --format json "$DIR/roberto-down.json" 2>/dev/null | python3 -c '
import json, sys
r = json.load(sys.stdin)
e = r["expectations"][0]
assert r["passed"] is False and not e["passed"] and "found 0" in e["detail"], r
'
check "the JSON report has the failed expectation and its detail" $?
out=$("$MAILSIM" run "$DIR/invalid.json" 2>"$tmp/invalid.err"); rc=$?
"$MAILSIM" validate "$DIR/invalid.json" 2>"$tmp/validate.err"
[ "$rc" = 2 ] && [ -z "$out" ] && [ -s "$tmp/invalid.err" ] && cmp -s "$tmp/invalid.err" "$tmp/validate.err"
check "an invalid scenario: exit 2, the validate lines, no report (rc $rc)" $?
grep -qx "$DIR/invalid.json: \$.servers\[0\].queue.retry: expected a duration like \"30m\", got \"30 minutes\"" \
    "$tmp/invalid.err"
check "the error names the file, the path and what is wrong" $?
out=$("$MAILSIM" run "$WALK" "$DIR/invalid.json" 2>/dev/null); rc=$?
[ "$rc" = 2 ] && [ -z "$out" ]; check "one invalid file among good ones: exit 2, nothing runs" $?
"$MAILSIM" run "$tmp/missing.json" 2>"$tmp/missing.err" >/dev/null; rc=$?
[ "$rc" = 2 ] && grep -q missing.json "$tmp/missing.err"; check "a missing file: exit 2, named" $?

# --- several files ------------------------------------------------------------------
mkdir "$tmp/logs"
"$MAILSIM" run --format json --log "$tmp/logs/run.jsonl" --log-format jsonl --pcap "$tmp/logs/run.pcap" \
    "$WALK" "$DIR/roberto-down.json" >"$tmp/two.json" 2>/dev/null; rc=$?
[ "$rc" = 1 ]; check "two files, one failing: exit 1 (got $rc)" $?
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert [x["scenario"] for x in r["runs"]] == ["alice-to-roberto", "roberto-down"], r
assert r["passed"] is False and r["score"] == 11 and r["max_score"] == 13, r
' "$tmp/two.json"
check "two files: one JSON report with both runs" $?
[ -s "$tmp/logs/alice-to-roberto-run.jsonl" ] && [ -s "$tmp/logs/roberto-down-run.jsonl" ] &&
    [ -s "$tmp/logs/alice-to-roberto-run.pcap" ] && [ -s "$tmp/logs/roberto-down-run.pcap" ] &&
    [ ! -e "$tmp/logs/run.jsonl" ]
check "two files: --log and --pcap write NAME-FILE per scenario ($(ls "$tmp/logs" | tr '\n' ' '))" $?
cp "$WALK" "$tmp/logs/"
err=$("$MAILSIM" run --log "$tmp/x.log" "$WALK" "$tmp/logs/alice-to-roberto.json" 2>&1 >/dev/null); rc=$?
[ "$rc" = 2 ] && printf '%s' "$err" | grep -q 'both named "alice-to-roberto"'
check "two files with one name and --log: exit 2, said ($err)" $?

# --- usage errors -------------------------------------------------------------------
usage() { # name, expected message, arguments...
    local name=$1 want=$2
    shift 2
    local err
    err=$("$MAILSIM" run "$@" 2>&1 >/dev/null)
    local rc=$?
    [ "$rc" = 2 ] && printf '%s' "$err" | grep -qF -- "$want"
    check "$name: exit 2 and '$want' (got $rc: $err)" $?
}
usage "bad --format" '--format: expected text, json, junit or gradescope, got "xml"' --format xml "$WALK"
usage "bad --log-format" '--log-format: expected text or jsonl, got "csv"' --log x --log-format csv "$WALK"
usage "--log-format alone" '--log-format needs --log FILE' --log-format jsonl "$WALK"
usage "bad --seed" '--seed: expected a whole number from 0, got "-3"' --seed -3 "$WALK"
usage "bad --until" '--until: expected a duration like "3h" or "30m", got "soon"' --until soon "$WALK"
usage "bad --lang" '--lang: expected en or el, got "fr"' --lang fr "$WALK"
usage "unknown option" 'unknown option "--colour"' --colour "$WALK"
usage "missing value" '--output needs a value' "$WALK" --output
usage "unwritable log" 'cannot create the log file' --log /nonexistent/dir/run.log "$WALK"
usage "unwritable report" '--output: cannot create /nonexistent/dir/r.json' --output /nonexistent/dir/r.json "$WALK"
"$MAILSIM" run --help | grep -q '^usage: mailsim run'; check "run --help" $?

echo "run: $pass passed, $fail failed"
[ "$fail" = 0 ]
