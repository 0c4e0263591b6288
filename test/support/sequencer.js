/**
 * Runs the longest test files first. Without a timing cache (every fresh CI clone) Jest
 * orders files by size, so the identity-quality evaluation, a small file that runs for
 * minutes, started last and ran alone while the other worker sat idle. Files listed here
 * go first, longest first; the rest keep Jest's own order.
 */
const Sequencer = require("@jest/test-sequencer").default;

const LONGEST_FIRST = [
  "identity-quality.test.ts",
  "crash.test.ts",
  "fuzz.test.ts",
  "docs.test.ts",
  "services.test.ts",
  "demo.test.ts",
  "logs.test.ts",
];

const rank = (test) => {
  const i = LONGEST_FIRST.findIndex((name) => test.path.endsWith(`/${name}`));
  return i === -1 ? LONGEST_FIRST.length : i;
};

class LongestFirst extends Sequencer {
  async sort(tests) {
    const ordered = await super.sort(tests);
    // Array.prototype.sort is stable: within a rank Jest's order stays.
    return [...ordered].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = LongestFirst;
