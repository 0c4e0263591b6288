/** Jest runs the TypeScript sources through swc (decorator metadata on). */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest"] },
  testTimeout: 60000,
  maxWorkers: 2,
  // The long files first, so the two workers finish together (see the file).
  testSequencer: "<rootDir>/test/support/sequencer.js",
};
