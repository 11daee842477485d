#!/bin/bash
# same_output.sh OLD NEW [SCENARIO...]
#
# For speed work: runs every shipped scenario (or the ones named) with seeds
# 1, 2 and 3 through two mailsim binaries, the one before a change and the one
# after, and compares the JSON report, the JSONL log, the text log and the pcap
# byte for byte. Prints the first differences and exits 1 when any output
# differs; exits 0 when all are identical.
#
#   git stash; make; cp build/mailsim /tmp/mailsim-before; git stash pop; make
#   tests/tools/same_output.sh /tmp/mailsim-before build/mailsim
set -u
if [ $# -lt 2 ]; then
    echo "usage: $0 OLD_MAILSIM NEW_MAILSIM [SCENARIO...]" >&2
    exit 2
fi
old=$1 new=$2
shift 2
here=$(cd "$(dirname "$0")/../.." && pwd)
if [ $# -gt 0 ]; then scenarios=("$@"); else scenarios=("$here"/scenarios/*.json); fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

outputs() { # BINARY DIR
    mkdir -p "$2"
    for f in "${scenarios[@]}"; do
        n=$(basename "$f" .json)
        for seed in 1 2 3; do
            "$1" run "$f" --seed $seed --format json --output "$2/$n-$seed.json" \
                --log "$2/$n-$seed.jsonl" --log-format jsonl --pcap "$2/$n-$seed.pcap" \
                >/dev/null 2>&1
            echo "$n seed $seed: exit $?" >>"$2/exits"
            "$1" run "$f" --seed $seed --format text --log "$2/$n-$seed.log" \
                >"$2/$n-$seed.txt" 2>&1
        done
    done
}

outputs "$old" "$work/old"
outputs "$new" "$work/new"
if diff -rq "$work/old" "$work/new" >/dev/null; then
    echo "same output: ${#scenarios[@]} scenarios, 3 seeds, every file identical"
    exit 0
fi
echo "outputs differ:"
diff -rq "$work/old" "$work/new" | head -20
exit 1
