// Counts a JUnit report's testcases the way junit2json reads them:
//   node junit-counts.js REPORT  ->  {"tests":N,"failures":N,"errors":N,"skipped":N}
// ovacts' own code never runs here: the counts are junit2json's parse.
const { parse } = require('junit2json');
const fs = require('fs');
parse(fs.readFileSync(process.argv[2], 'utf8')).then((doc) => {
  const n = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const suite of doc.testsuite || []) {
    for (const tc of suite.testcase || []) {
      n.tests++;
      if (tc.failure) n.failures++;
      else if (tc.error) n.errors++;
      else if (tc.skipped) n.skipped++;
    }
  }
  console.log(JSON.stringify(n));
}).catch((e) => { console.error(String(e)); process.exit(1); });
