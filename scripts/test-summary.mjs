// Prints the closing lines for the whole suite ("N passed, N failed, N skipped", and the security
// suite's figures: attempts, refused, got through) from the JSON reports of vitest (feature tests and
// security suite) and Playwright, so CI and people read one set of figures instead of three formats.
// Exits non-zero when anything failed, a report is missing, or an attack got through.
import { existsSync, readFileSync } from 'node:fs';

// Positional: vitest.json playwright.json security.json security-attempts.jsonl [faults.json faults.jsonl]
const [vitestFile, playwrightFile, securityFile, attemptsFile, faultsFile, faultFiguresFile] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;

function addVitest(file, what) {
  if (!file) return;
  if (!existsSync(file)) {
    console.log(`missing report: ${what} (${file})`);
    failed += 1;
    return;
  }
  const v = JSON.parse(readFileSync(file, 'utf8'));
  passed += v.numPassedTests ?? 0;
  // A file that fails to load has no failed tests but a failed suite: count it.
  failed += (v.numFailedTests ?? 0) + (v.numFailedTests ? 0 : (v.numFailedTestSuites ?? 0));
  skipped += (v.numPendingTests ?? 0) + (v.numTodoTests ?? 0);
}

addVitest(vitestFile, 'unit and integration tests');
addVitest(securityFile, 'security suite');
addVitest(faultsFile, 'fault-injection suite');

if (playwrightFile && existsSync(playwrightFile)) {
  const p = JSON.parse(readFileSync(playwrightFile, 'utf8'));
  passed += (p.stats?.expected ?? 0) + (p.stats?.flaky ?? 0);
  failed += p.stats?.unexpected ?? 0;
  skipped += p.stats?.skipped ?? 0;
} else {
  console.log(`missing report: browser tests (${playwrightFile})`);
  failed += 1;
}

if (attemptsFile) {
  const lines = existsSync(attemptsFile)
    ? readFileSync(attemptsFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
  const areas = new Map();
  for (const a of lines) {
    const x = areas.get(a.area) ?? { attempts: 0, refused: 0, through: [] };
    x.attempts++;
    if (a.outcome === 'refused') x.refused++;
    else x.through.push(a.attempt);
    areas.set(a.area, x);
  }
  const total = { attempts: lines.length, refused: lines.filter((a) => a.outcome === 'refused').length };
  console.log(`security suite: ${total.attempts} attacks, ${total.refused} refused, ${total.attempts - total.refused} got through`);
  for (const [area, x] of [...areas].sort()) {
    console.log(
      `  ${area.padEnd(14)} ${String(x.attempts).padStart(5)} attempts, ${String(x.refused).padStart(5)} refused${x.through.length ? `, GOT THROUGH: ${x.through.slice(0, 5).join('; ')}` : ''}`,
    );
  }
  if (total.attempts === 0) {
    console.log('security suite: no attempts were recorded');
    failed += 1;
  }
  if (total.attempts > total.refused) failed += 1;
}

// The fault-injection suite's figures: for each fault, how long until the API said the truth and how
// long until everything worked again once the fault ended.
if (faultFiguresFile) {
  const faults = existsSync(faultFiguresFile)
    ? readFileSync(faultFiguresFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
  const ms = (v) => (v === null || v === undefined ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(0)} s` : `${(v / 1000).toFixed(1)} s`);
  console.log(`fault-injection suite: ${faults.length} faults injected`);
  console.log(`  ${'fault'.padEnd(52)} ${'truth in'.padStart(9)} ${'recovered in'.padStart(13)}  what the API said`);
  for (const f of faults) {
    console.log(
      `  ${String(f.fault).slice(0, 52).padEnd(52)} ${ms(f.truthMs).padStart(9)} ${ms(f.recoveryMs).padStart(13)}  ${String(f.truth).slice(0, 90)}`,
    );
  }
  if (faults.length === 0) {
    console.log('fault-injection suite: no faults were recorded');
    failed += 1;
  }
}

console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
