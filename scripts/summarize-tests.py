#!/usr/bin/python3
"""Print 'N passed, N failed[, N skipped]' for a meson test run.

Counts TAP subtests (each g_test case is one line of TAP), so a test
program with five cases counts five.  A program that failed without
reporting a failing case (crash, timeout) counts one failure more.

Usage: summarize-tests.py TESTLOG.json [...]
Exit status: 0 if nothing failed and something ran, 1 otherwise.
"""

import json
import re
import sys

TAP_OK = re.compile(r'^ok \d+')
TAP_NOT_OK = re.compile(r'^not ok \d+')
TAP_SKIP = re.compile(r'#\s*skip', re.IGNORECASE)


def main():
    passed = failed = skipped = 0
    for path in sys.argv[1:]:
        with open(path, encoding='utf-8') as f:
            for line in f:
                t = json.loads(line)
                out = t.get('stdout') or ''
                p = f_ = s = 0
                for tap in out.splitlines():
                    if TAP_NOT_OK.match(tap):
                        f_ += 1
                    elif TAP_OK.match(tap):
                        if TAP_SKIP.search(tap):
                            s += 1
                        else:
                            p += 1
                result = t.get('result')
                if result in ('FAIL', 'ERROR', 'TIMEOUT') and f_ == 0:
                    f_ = 1
                if result == 'SKIP' and p + f_ + s == 0:
                    s = 1
                if result == 'OK' and p + f_ + s == 0:
                    p = 1
                passed += p
                failed += f_
                skipped += s
    line = f'{passed} passed, {failed} failed'
    if skipped:
        line += f', {skipped} skipped'
    print(line)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == '__main__':
    sys.exit(main())
