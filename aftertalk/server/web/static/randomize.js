// Randomized response on the phone: the answer is scrambled here, before it leaves the phone. The same
// rule, draw for draw, as `randomize_answer` in aftertalk/privacy.py (tests/test_randomizer_js.py holds
// them together). A plain script for old phones (ES5, no modules): the page loads it before app.js and
// finds it as window.AftertalkRandomizer; node's tests load it with require().
(function (root) {
  "use strict";
  var PREFER_NOT_TO_SAY = "prefer_not_to_say";

  // "Prefer not to say" is never scrambled: it is sent as it is, and the server keeps it as a skip.
  function declined(chosen) {
    return chosen.length === 1 && chosen[0] === PREFER_NOT_TO_SAY;
  }

  // What the phone sends for `chosen` (option ids). `design` is the page's data-design: the method, its
  // probabilities and the question's option ids. `unit()` gives a number in [0, 1) per coin.
  function randomize(design, chosen, unit) {
    if (declined(chosen)) { return chosen.slice(); }
    var ids = design.options;
    if (design.method === "forced") {  // yes/no: forced "yes", forced "no", or the truth
      var roll = unit();
      if (roll < design.p_yes) { return [ids[0]]; }
      return roll < design.p_yes + design.p_no ? [ids[1]] : chosen.slice();
    }
    if (design.method === "grr") {  // one of k: the truth with probability p, else another at random
      if (unit() < design.p) { return chosen.slice(); }
      var others = ids.filter(function (id) { return id !== chosen[0]; });
      return [others[Math.floor(unit() * others.length)]];
    }
    return ids.filter(function (id) {  // multi-select: every box on its own, "None of these" too
      return unit() < (chosen.indexOf(id) >= 0 ? design.p : design.q);
    });
  }

  var api = { randomize: randomize, declined: declined };
  if (typeof module !== "undefined" && module.exports) { module.exports = api; } else { root.AftertalkRandomizer = api; }
})(this);
