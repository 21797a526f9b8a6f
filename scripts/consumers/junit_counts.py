"""Count a JUnit report's testcases the way Debian's python3-junitparser reads them.

    python3 junit_counts.py REPORT  ->  {"tests": N, "failures": N, "errors": N, "skipped": N}
"""
import json
import sys

from junitparser import Error, Failure, JUnitXml, Skipped

xml = JUnitXml.fromfile(sys.argv[1])
n = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
for suite in xml:
    for case in suite:
        n["tests"] += 1
        kinds = {type(r) for r in case.result}
        if Failure in kinds:
            n["failures"] += 1
        elif Error in kinds:
            n["errors"] += 1
        elif Skipped in kinds:
            n["skipped"] += 1
print(json.dumps(n))
