// Builds multiple-cucumber-html-reporter's HTML report from a directory of
// Cucumber JSON files and prints the scenario counts the report shows:
//   node cucumber-counts.js JSON_DIR REPORT_DIR  ->  {"passed":N,"failed":N,"skipped":N,...}
const reporter = require('multiple-cucumber-html-reporter');
const fs = require('fs');
const path = require('path');
reporter.generate({ jsonDir: process.argv[2], reportPath: process.argv[3], saveCollectedJSON: true, disableLog: true });
const enriched = JSON.parse(fs.readFileSync(path.join(process.argv[3], 'enriched-output.json'), 'utf8'));
const s = enriched.scenarios;
console.log(JSON.stringify({ total: s.total, passed: s.passed, failed: s.failed, skipped: s.skipped,
  pending: s.pending, notDefined: s.notDefined, ambiguous: s.ambiguous }));
