// The phone's randomizer (aftertalk/server/web/static/randomize.js) under node's own test runner.
//
// tests/test_randomizer_js.py runs this with AFTERTALK_RANDOMIZER_CASES naming a JSON file it wrote from
// aftertalk.privacy: designs, answers and the exact probability of everything the phone may send, plus
// numbers fed to Python's randomize_answer with the answers it gave. Here the same designs go through the
// phone's code with a seeded random source: the frequencies must match the probabilities, and the same
// numbers must give the same answers.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

const SCRIPT = path.join(__dirname, "..", "..", "aftertalk", "server", "web", "static", "randomize.js");
const { randomize, declined } = require(SCRIPT);
const CASES_FILE = process.env.AFTERTALK_RANDOMIZER_CASES;
const NO_CASES = CASES_FILE ? false : "AFTERTALK_RANDOMIZER_CASES is not set: run `pytest tests/test_randomizer_js.py`";
const suite = CASES_FILE ? JSON.parse(fs.readFileSync(CASES_FILE, "utf8")) : { cases: [] };

// mulberry32, seeded from the case's name (FNV-1a): every run draws the same numbers, in [0, 1).
function seeded(text) {
  let state = 2166136261;
  for (let i = 0; i < text.length; i++) { state = Math.imul(state ^ text.charCodeAt(i), 16777619) >>> 0; }
  return function unit() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A source that hands out the given numbers in order, and counts them.
function tape(numbers) {
  const source = function unit() {
    assert.ok(source.used < numbers.length, "the randomizer drew more numbers than Python's did");
    return numbers[source.used++];
  };
  source.used = 0;
  return source;
}

for (const item of suite.cases) {
  test(`${item.name}: sent at the design's probabilities`, () => {
    const unit = seeded(item.name);
    const counts = new Map();
    for (let i = 0; i < suite.draws; i++) {
      const key = JSON.stringify(randomize(item.design, item.chosen.slice(), unit));
      counts.set(key, (counts.get(key) || 0) + 1);
    }
    const expected = new Map(item.sent.map((s) => [JSON.stringify(s.answer), s.probability]));
    const errors = [];
    for (const key of new Set([...counts.keys(), ...expected.keys()])) {
      const count = counts.get(key) || 0;
      const chance = expected.get(key) || 0;
      const mean = suite.draws * chance;
      const spread = Math.sqrt(suite.draws * chance * (1 - chance));
      if (Math.abs(count - mean) > suite.sigmas * spread + 1e-9) {
        errors.push(`${key} sent ${count} times in ${suite.draws}, expected ${mean.toFixed(1)} +- ${spread.toFixed(1)}`);
      }
    }
    assert.deepEqual(errors, []);
  });

  test(`${item.name}: the same numbers give Python's answers`, () => {
    const unit = tape(item.replay.units);
    const answers = item.replay.answers.map(() => randomize(item.design, item.chosen.slice(), unit));
    assert.deepEqual(answers, item.replay.answers);
    assert.equal(unit.used, item.replay.used, "the randomizer drew fewer numbers than Python's did");
  });
}

test("the cases came from Python", { skip: NO_CASES }, () => {
  assert.ok(suite.cases.length > 0, "the case file holds no case");
});

test("prefer not to say is sent as it is, without a draw", () => {
  const unit = tape([]);
  const design = { method: "grr", p: 0.9, q: 0.05, options: ["a", "b", "c"] };
  assert.equal(declined(["prefer_not_to_say"]), true);
  assert.deepEqual(randomize(design, ["prefer_not_to_say"], unit), ["prefer_not_to_say"]);
  assert.equal(unit.used, 0);
});

test("in a browser it is a plain script that leaves window.AftertalkRandomizer for app.js", () => {
  const window = {};
  vm.runInNewContext(fs.readFileSync(SCRIPT, "utf8"), window, { filename: SCRIPT });
  assert.equal(typeof window.AftertalkRandomizer.randomize, "function");
  assert.equal(typeof window.AftertalkRandomizer.declined, "function");
});

test("it is ES5 for old phones: no let, const, arrow functions, template strings, classes or modules", () => {
  const code = fs.readFileSync(SCRIPT, "utf8").replace(/\/\/.*$/gm, "");
  for (const [what, pattern] of [["let", /\blet\s/], ["const", /\bconst\s/], ["an arrow function", /=>/],
    ["a template string", /`/], ["a class", /\bclass\s/], ["import or export", /^\s*(import|export)\b/m]]) {
    assert.doesNotMatch(code, pattern, `randomize.js uses ${what}`);
  }
});
