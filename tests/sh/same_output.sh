#!/usr/bin/env bash
# tests/tools/same_output.sh, the check that speed work changed no output:
# a build against itself is the same; against a binary that writes nothing, or
# with a scenario whose outputs differ, it says so and exits 1; bad use exits 2.
set -u
MAILSIM=${MAILSIM:-build/mailsim}
TOOL=tests/tools/same_output.sh
fail=0
pass=0
check() { # name, condition result
    if [ "$2" = 0 ]; then pass=$((pass + 1)); else echo "FAIL: $1"; fail=$((fail + 1)); fi
}
out=$("$TOOL" "$MAILSIM" "$MAILSIM" scenarios/seven-bit.json scenarios/lossy-link.json); rc=$?
check "a build against itself: exit 0 (got $rc)" "$rc"
printf '%s' "$out" | grep -q "same output: 2 scenarios, 3 seeds"; check "it says how much it compared" $?
out=$("$TOOL" "$MAILSIM" /bin/true scenarios/seven-bit.json); rc=$?
[ "$rc" = 1 ]; check "a binary that writes nothing: exit 1 (got $rc)" $?
printf '%s' "$out" | grep -q "seven-bit-1.pcap"; check "the missing pcap is named" $?
# A wrapper that runs every scenario with another seed: same files, other bytes.
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf '#!/bin/sh\nexec "%s" "$@" --seed 99\n' "$(cd "$(dirname "$MAILSIM")" && pwd)/$(basename "$MAILSIM")" >"$dir/other"
chmod +x "$dir/other"
out=$("$TOOL" "$MAILSIM" "$dir/other" scenarios/lossy-link.json); rc=$?
[ "$rc" = 1 ]; check "other bytes: exit 1 (got $rc)" $?
printf '%s' "$out" | grep -q "lossy-link-1.pcap differ"; check "the differing pcap is named" $?
"$TOOL" "$MAILSIM" >/dev/null 2>&1; [ $? = 2 ]; check "one argument: exit 2" $?
echo "same_output: $pass passed, $fail failed"
[ "$fail" = 0 ]
