#!/usr/bin/env bash
# docs/seed-coverage.md stays true: every scenario it names is shipped, and
# every expectation it quotes is an expectation of that scenario.
set -u
python3 - <<'PY'
import json, re, sys
passed = failed = 0
for line in open("docs/seed-coverage.md", encoding="utf-8"):
    if not line.startswith("|") or "`" not in line:
        continue
    files = re.findall(r"`([a-z0-9-]+\.json)`", line)
    if not files:
        continue
    try:
        s = json.load(open("scenarios/" + files[0], encoding="utf-8"))
    except OSError:
        print("FAIL: docs/seed-coverage.md names a missing scenario", files[0]); failed += 1
        continue
    names = {e["name"] for e in s.get("expect", [])}
    for quoted in re.findall(r'"([^"]+)"', line.split("|")[-2]):
        if quoted in names:
            passed += 1
        else:
            print(f"FAIL: {files[0]} has no expectation named {quoted!r}"); failed += 1
print(f"seed-coverage: {passed} passed, {failed} failed")
sys.exit(1 if failed or not passed else 0)
PY
