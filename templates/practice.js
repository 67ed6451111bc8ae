// The practice page's marking: an interpreter of the marking scheme that KEY.json carries.
// It mirrors symbackprop/scheme.py rule for rule; no marking rule lives only here. A
// differential test runs both on the same answers and requires the same verdicts.
"use strict";

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const FRACTION = /^([+-]?\d+)\/(\d+)$/;
const LONGEST = 40;
const LARGEST = 1e15;

function clip(text) {
  return text.length <= LONGEST ? text : text.slice(0, LONGEST) + "...";
}

// A student's number, as check.parse_number reads it; {value} or {error}.
// what is taken off around a number: the same set as check's (marking/check.py _AROUND)
const AROUND = /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+|[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+$/g;

function parseNumber(raw) {
  // the sheet's own minus sign (U+2212) and a phone's dash for a hyphen (U+2013) are a minus
  let text = raw.replace(AROUND, "").replace(/[\u2212\u2013]/g, "-");
  if (/^[+-]?\d+,\d+(?:[eE][+-]?\d+)?$/.test(text)) text = text.replace(",", ".");
  if (!/^[\x00-\x7f]*$/.test(text)) {
    return {error: `'${clip(text)}' has characters that are not plain digits`,
            kind: "not_plain", text: clip(text)};
  }
  if (text.length > LONGEST) {
    return {error: `'${clip(text)}' is longer than ${LONGEST} characters: not a number a ` +
                   "worksheet asks for", kind: "too_long", text: clip(text)};
  }
  let value = null;
  if (NUMBER.test(text)) {
    value = Number(text);
  } else {
    const m = FRACTION.exec(text);
    if (!m) {
      return {error: `'${clip(text)}' is not a number (write 0.25, 2.5e-3 or 1/4)`,
              kind: "not_number", text: clip(text)};
    }
    if (BigInt(m[2]) === 0n) return {error: `'${text}' divides by zero`, kind: "zero", text};
    value = Number(m[1]) / Number(m[2]);
  }
  if (!(Math.abs(value) <= LARGEST)) {
    return {error: `'${text}' is too large for any answer on a worksheet`, kind: "too_large",
            text};
  }
  return {value: value, places: NUMBER.test(text) ? placesOf(text) : null};
}

const OPS = {
  add: (a) => a.reduce((s, v) => s + v, 0),  // left to right, as scheme.py adds
  mul: (a) => a.reduce((p, v) => p * v, 1),
  sub: (a) => a[0] - a[1],
  div: (a) => a[0] / a[1],
  neg: (a) => -a[0],
  exp: (a) => Math.exp(a[0]),
  log: (a) => Math.log(a[0]),
  tanh: (a) => Math.tanh(a[0]),
  max: (a) => Math.max(...a),
  step: (a) => (a[0] > 0 ? 1 : 0),
  nonzero: (a) => (a[0] !== 0 ? a[0] : null),
  abs: (a) => Math.abs(a[0]),
  round: (a) => Math.floor(a[0] + 0.5),  // as scheme.py: to the nearest whole number, a half up
  // a[1] a whole number 0..8 (keys.py checks it), multiplied out as scheme.py does
  pow: (a) => Array(a[1]).fill(a[0]).reduce((p, v) => p * v, 1),
};

// The value of an expression tree; `get` gives a quantity by name. Null where undefined.
function evaluate(tree, get) {
  if (typeof tree === "number") return tree;
  const [op, ...args] = tree;
  if (op === "ref") return get(args[0]);
  const values = args.map((a) => evaluate(a, get));
  if (values.some((v) => v === null)) return null;
  if (op === "log" && !(values[0] > 0)) return null;
  if (op === "div" && values[1] === 0) return null;
  const v = OPS[op](values);
  return v !== null && Number.isFinite(v) ? v : null;
}

function fixed(value, decimals) {
  return value.toFixed(decimals);
}

// One mark per blank, in the scheme's order, from {label or name: number}; `places` gives the
// decimals each answer was typed with, by label, where its text is known.
function mark(scheme, given, places = {}) {
  const byName = {};
  const placesByName = {};
  for (const b of scheme.blanks) {
    const v = given[b.label] !== undefined ? given[b.label] : given[b.name];
    if (v !== undefined) byName[b.name] = v;
    const p = places[b.label] !== undefined ? places[b.label] : places[b.name];
    if (p !== undefined && p !== null) placesByName[b.name] = p;
  }
  const keyValue = (name) => (name in scheme.values ? scheme.values[name] : null);
  const own = (name) => (name in byName ? byName[name] : keyValue(name));
  const signed = {};
  for (const b of scheme.blanks) {
    if (b.mistakes.some((r) => r.diagnosis === "sign")) signed[b.name] = b.value;
  }
  const carry = !noWork(scheme, byName);
  return scheme.blanks.map((b) => judge(scheme, b, byName[b.name], own, placesByName[b.name],
                                        signAs(scheme, b, byName, signed), carry));
}

// A sheet whose wrong answers (3 or more) show no work of the student's own: half of them one
// number, or the key's values of other blanks (the key copied one line off), or the key's
// values times one factor (every sign flipped); a wrong answer worked from the student's own
// earlier ones is no evidence, nor is one the loss's sign slipped explains; 3 alike at least.
// It earns no follow-through (marking/scheme.py no_work, the same rule; a page knows no other
// version).
function noWork(scheme, byName) {
  const d = scheme.decimals;
  const r = (v) => Number(v.toFixed(Math.min(d, 100)));
  const own = (name) => (name in byName ? byName[name] : (name in scheme.values ?
                                                          scheme.values[name] : null));
  const wrong = [];
  for (const b of scheme.blanks) {
    const v = byName[b.name];
    if (v === undefined || within(v, b.tolerance.lo, b.tolerance.hi, b.tolerance.half) ||
        (v === 0 && zeroAt(b, d)) || worked(b, v, own)) continue;
    wrong.push([b, r(v)]);
  }
  if (wrong.length < 3) return false;
  const telling = wrong.filter(([b, v]) => ![...explanations(b, v, own, b.tolerance)].some(
    ([diagnosis]) => diagnosis === "sign"));
  const most = Math.max(0, ...telling.map(([, v]) => telling.filter(([, w]) => w === v).length));
  const keyed = new Map();
  for (const b of scheme.blanks) {
    const k = r(b.value);
    if (!keyed.has(k)) keyed.set(k, new Set());
    keyed.get(k).add(b.name);
  }
  const moved = telling.filter(([b, v]) => keyed.has(v) &&
                               [...keyed.get(v)].some((m) => m !== b.name)).length;
  const evidence = Math.max(most, moved, scaled(telling, d));
  return evidence >= 3 && 2 * evidence >= wrong.length;
}

// The answer is what the blank's step gives from the student's own answers (as scheme._worked).
function worked(blank, given, own) {
  if (blank.recompute === null) return false;
  const carried = evaluate(blank.recompute, own);
  return carried !== null && reaches(given, carried, blank.tolerance.carry);
}

// The most wrong answers that are their keys' values times one factor, each within a unit of
// its last decimal (as scheme.scaled).
function scaled(wrong, decimals) {
  const unit = Math.pow(10, -decimals) * (1 + 1e-9);
  const keyed = [];
  for (const [b, v] of wrong) {
    const k = Number(b.value.toFixed(Math.min(decimals, 100)));
    if (k !== 0) keyed.push([v, k]);
  }
  return Math.max(0, ...keyed.map(([v, k]) => keyed.filter(
    ([w, key]) => Math.abs(w - v / k * key) <= unit).length));
}

// What the loss's sign carried through is said as at this blank (as scheme.sign_as): null as
// it is; where the student wrote a step it is worked from with the key's sign, "sign_here".
function signAs(scheme, blank, byName, signed) {
  if (!(blank.name in signed) || !refsOf(blank.recompute).some(
    (n) => n in signed && n in byName && byName[n] * signed[n] > 0)) return null;
  for (const d of ["sign_here", "opposite_sign"]) if (d in scheme.messages) return d;
  return "";
}

// The one rule, simplest explanation first, as scheme.judge: an answer honest rounding
// reaches; the same with fewer decimals; right from the student's own earlier answers (where
// they differ from the key's); cut off instead of rounded; then each known mistake in order.
function judge(scheme, blank, given, own, places, sign = null, carry = true) {
  const m = {label: blank.label, name: blank.name, given: given === undefined ? null : given,
             places: places === undefined ? null : places, expected: blank.value,
             verdict: "missing", diagnosis: null, also: null, message: ""};
  if (given === undefined) return m;
  const tol = blank.tolerance;
  const decimals = scheme.decimals;
  const p = m.places !== null ? m.places : decimalsOf(given);
  // −0 or −0.0000 for a value that is 0 at the sheet's decimals is right (as scheme.zero_at)
  if (within(given, tol.lo, tol.hi, tol.half) || (given === 0 && zeroAt(blank, decimals))) {
    return Object.assign(m, {verdict: "correct", message: "correct"});
  }
  // a whole number is never the right value with fewer decimals (1 for 0.5487), as in check
  if (tol.half && p > 0 && p < decimals && given !== tol.before &&
      within(given, tol.lo, tol.hi, 0.5 * Math.pow(10, -p))) {
    Object.assign(m, {verdict: "too_few_decimals", message:
      `${scheme.messages.too_few_decimals} (${fixed(m.expected, decimals)} to ${decimals} ` +
      "decimals)"});
    return also(scheme, m, explanations(blank, given, own, tol, sign), "too_few_decimals");
  }
  const carried = blank.recompute === null ? null : evaluate(blank.recompute, own);
  const key = (name) => (name in scheme.values ? scheme.values[name] : null);
  const keys = blank.recompute === null ? null : evaluate(blank.recompute, key);
  if (carry && carried !== null && reaches(given, carried, tol.carry) &&
      !same(carried, keys) &&
      !trivial(carried, blank, decimals, own, key)) {
    return Object.assign(m, {verdict: "carried_forward", message:
      `wrong against the key (${fixed(blank.value, decimals)}), but right from your ` +
      `own earlier answers (${fixed(carried, decimals)}): error carried forward`});
  }
  const found = explanations(blank, given, own, tol, sign);
  if (tol.half && p <= decimals && given !== 0 && cutWithin(given, p, tol.from, tol.to)) {
    return also(scheme, incorrect(m, scheme, "cut_off"), found, "cut_off");
  }
  const first = found.next();
  if (first.done) return incorrect(m, scheme, null);
  return also(scheme, incorrect(m, scheme, ...first.value), found, first.value[0]);
}

// Each known mistake whose value the answer reaches, [diagnosis, term], simplest first (as
// scheme.explanations), lazily.
function* explanations(blank, given, own, tol, sign = null) {
  for (const rule of blank.mistakes) {
    const diagnosis = sign === null || rule.diagnosis !== "sign" ? rule.diagnosis : sign;
    if (!diagnosis) continue;
    for (const candidate of rule.candidates) {
      const v = evaluate(candidate, own);
      if (v === null) continue;
      const allowed = rule.slack === undefined ? tol.near : evaluate(rule.slack, own);
      if (allowed !== null && reaches(given, v, Math.max(allowed, tol.near))) {
        yield [diagnosis, rule.term];
        break;
      }
    }
  }
}

// Two explanations of one answer in one sentence, the simplest first (as scheme.EITHER).
const EITHER = "either {first}, or {second}";
const SLIP = "a rounding slip";
const BOTH = " \u2014 ";

function either(words, first, second) {
  return say(words, "either", {first: first, second: second});
}

function reason(scheme, diagnosis, term) {
  return scheme.messages[diagnosis] + (term ? ": " + term : "");
}

// A second mistake, other than the one named, that explains the same answer: both named in one
// sentence (as scheme._also).
function also(scheme, m, found, named) {
  for (const [diagnosis, term] of found) {
    if (diagnosis === named) continue;
    m.also = diagnosis;
    m.alsoTerm = term || null;
    const second = reason(scheme, diagnosis, term);
    m.message = m.verdict === "too_few_decimals"
      ? m.message + BOTH + either(ENGLISH, SLIP, second)
      : `expected ${fixed(m.expected, scheme.decimals)}` + BOTH +
        either(ENGLISH, reason(scheme, m.diagnosis, m.term), second);
    break;
  }
  return m;
}

// The blank's value, or its exact value, rounds to 0 at the sheet's decimals (scheme.zero_at).
function zeroAt(blank, decimals) {
  const half = 0.5 * Math.pow(10, -decimals);
  return Math.abs(blank.value) < half || Math.abs(blank.exact) < half;
}

// A carried-forward value that does no arithmetic with the student's own numbers where the
// key's does: 0, 1 or −1 (0 · 0 · 0, 1 · 1 · 1), or one of the step's own quantities unchanged
// (w − η · 0 = w) where the key's value is not that quantity's: no follow-through
// (marking/scheme.py trivial, the same rule)
function trivial(carried, blank, decimals, own, key) {
  const half = 0.5 * Math.pow(10, -decimals);
  const near = (a, b) => Math.abs(a - b) < half;
  if ([0, 1, -1].some((v) => near(carried, v) && !near(blank.value, v))) return true;
  return operands(blank.recompute, own, key).some(([mine, theirs]) =>
    mine !== null && mine !== undefined && theirs !== null && theirs !== undefined &&
    near(carried, mine) && !near(blank.value, theirs));
}

// Each quantity a step is worked from, as [the student's value, the key's]: its earlier steps
// by name, and the numbers printed in it (a given weight, the rate), the same in both
function operands(tree, own, key) {
  const out = [...new Set(refsOf(tree))].map((n) => [own(n), key(n)]);
  const walk = (t) => {
    if (typeof t === "number") out.push([t, t]);
    else if (Array.isArray(t) && t[0] !== "ref") t.slice(1).forEach(walk);
  };
  walk(tree);
  return out;
}

function same(a, b) {
  return b !== null && Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));
}

// `given` is within `tolerance` of `value`, with Moodle's float epsilon (as scheme.reaches).
function reaches(given, value, tolerance) {
  return Math.abs(given - value) <= tolerance + 1e-14 * Math.max(tolerance, Math.abs(value), 1e-14);
}

// `given`, rounded to the decimals `half` is half a unit of, is one of lo..hi.
function within(given, lo, hi, half) {
  const slack = half * (1 + 1e-9) + 1e-15;
  return lo - slack <= given && given <= hi + slack;
}

// `given` (with `places` decimals) is a value between low and high cut off, not rounded.
function cutWithin(given, places, low, high) {
  const scale = Math.pow(10, Math.min(places, 300));
  const k = given * scale;
  const cut = [low, high].map((v) => Math.trunc(v * scale + (v < 0 ? -1e-9 : 1e-9)));
  const whole = Math.round(k);  // k is within 1e-6 of a whole number or refused: no halves
  return Math.abs(k - whole) < 1e-6 && cut[0] <= whole && whole <= cut[1] &&
    !within(given, low, high, 0.5 / scale);
}

// Decimals of a number as written: '0.30' -> 2, '3.51e-5' -> 7 (as definition.Printed).
function placesOf(text) {
  const m = /^[+-]?\d*(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  return Math.max(0, (m[1] || "").length - (m[2] ? Number(m[2]) : 0));
}

// Decimals of a number without its text, from its shortest form (as Python's repr): 0.2306 -> 4.
function decimalsOf(x) {
  if (x === 0) return 0;
  const [mantissa, exponent] = Math.abs(x).toExponential().split("e");
  const digits = mantissa.replace(".", "").replace(/0+$/, "");
  return Math.max(0, digits.length - 1 - Number(exponent));
}

function incorrect(m, scheme, diagnosis, term) {
  m.verdict = "incorrect";
  m.diagnosis = diagnosis;
  m.term = term || null;
  m.message = `expected ${fixed(m.expected, scheme.decimals)}` +
    (diagnosis ? `: ${scheme.messages[diagnosis]}` : "") + (term ? `: ${term}` : "");
  return m;
}

// --- the page ---------------------------------------------------------------------------

// What the page says, in the sheet's language: the words the page carries (formats/html.py
// page_words, from the catalogs), else these, English.
const ENGLISH = {
  correct: "Correct", too_few_decimals: "Too few decimals", carried_forward: "Carried forward",
  incorrect: "Incorrect", missing: "Not answered", unreadable: "Not a number",
  with_reason: "{verdict}: {reason}", either: EITHER, slip: SLIP,
  carried_hint: "wrong against the key, but right from your own earlier answers",
  too_few_hint: "{message} (it asks for {decimals})",
  score_correct: "{n} correct, ", score_too_few: "{n} with too few decimals, ",
  score_rest: "{carried} carried forward, {incorrect} incorrect, {missing} missing (of {total})",
  stale: " (before your changes: press Check again)",
  not_plain: "'{text}' has characters that are not plain digits",
  too_long: "'{text}' is longer than {longest} characters: not a number a worksheet asks for",
  not_number: "'{text}' is not a number (write 0.25, 2.5e-3 or 1/4)",
  zero: "'{text}' divides by zero", too_large: "'{text}' is too large for any answer on a worksheet",
  part: "{earned} of {points} points", part_one: "{earned} of 1 point", decimal_sign: ".",
};

// the part of its blank's points a right value with too few decimals earns (as `check` and
// `mark` give it: marking/gradebook.py share)
const ROUNDED_SHARE = 0.5;

// " (0.5 of 1 point)" where a verdict earns part of the points the key gives its blank
function part(m, scheme, words) {
  if (m.verdict !== "too_few_decimals") return "";
  const blank = scheme.blanks.find((b) => b.label === m.label);
  const points = blank && typeof blank.points === "number" ? blank.points : 1;
  const earned = points * ROUNDED_SHARE;
  if (!(earned > 0 && earned < points)) return "";
  const shown = (v) => String(v).replace(".", words.decimal_sign);
  return " (" + say(words, points === 1 ? "part_one" : "part",
                    {earned: shown(earned), points: shown(points)}) + ")";
}

function said() {
  const block = typeof document !== "undefined" && document.getElementById("words");
  return Object.assign({}, ENGLISH, block ? JSON.parse(block.textContent) : {});
}

function say(words, key, values) {
  return words[key].replace(/\{(\w+)\}/g, (whole, name) => String(values[name]));
}

// What a page inside an LMS adds (scorm.js, in SCORM packages only): `storage`, where the
// answers are kept instead of the browser's local storage, and `checked`, told each Check's
// marks. A page on its own has none.
function hooks() {
  return (typeof window !== "undefined" && window.symbackpropHooks) || {};
}

function page() {
  const scheme = JSON.parse(document.getElementById("scheme").textContent);
  const store = "symbackprop:" + scheme.id;
  const storage = hooks().storage || localStorage;
  const inputs = Array.from(document.querySelectorAll("input[data-label]"));
  const saved = JSON.parse(storage.getItem(store) || "{}");
  for (const input of inputs) {
    if (saved[input.dataset.label] !== undefined) input.value = saved[input.dataset.label];
    input.addEventListener("input", () => {
      saved[input.dataset.label] = input.value;
      storage.setItem(store, JSON.stringify(saved));
      unjudge(input);  // a verdict belongs to the answer it was given for, not the next one
    });
  }
  const checked = store + ":checked";
  const checkNow = () => {
    storage.setItem(checked, "1");  // a reload shows the verdicts again, not bare blanks
    check(scheme, inputs);
  };
  document.getElementById("check").addEventListener("click", checkNow);
  for (const input of inputs) {  // Enter in a blank checks, as in a form
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") checkNow();
    });
  }
  if (storage.getItem(checked) === "1") check(scheme, inputs);
  for (const button of document.querySelectorAll("button.reveal")) {
    button.addEventListener("click", () => {
      const working = document.getElementById("working-" + button.dataset.for);
      working.hidden = !working.hidden;
      button.setAttribute("aria-expanded", String(!working.hidden));
      button.textContent = working.hidden ? button.dataset.show : button.dataset.hide;
      reachScrollers();  // the working shown may scroll sideways too
    });
  }
}

// A blank edited since Check: its verdict, its mistake and its working go until the next
// Check, and the score says it is out of date.
function unjudge(input) {
  const label = input.dataset.label;
  const where = document.querySelector(`[data-verdict-for="${label}"]`);
  if (where && where.dataset.verdict) {
    where.dataset.verdict = "";
    where.dataset.diagnosis = "";
    where.className = "verdict";
    where.textContent = "";
    input.setAttribute("aria-invalid", "false");
    const reveal = document.querySelector(`button.reveal[data-for="${label}"]`);
    const working = document.getElementById("working-" + label);
    if (reveal) {
      reveal.hidden = true;
      reveal.setAttribute("aria-expanded", "false");
      reveal.textContent = reveal.dataset.show;
    }
    if (working) working.hidden = true;
    const summary = document.getElementById("score");
    if (summary.textContent && !summary.dataset.stale) {
      summary.dataset.stale = "1";
      summary.textContent += said().stale;
    }
  }
}

function check(scheme, inputs) {
  const given = {};
  const places = {};
  const problems = {};
  for (const input of inputs) {
    if (!input.value.replace(AROUND, "")) continue;  // blank as check reads it
    const parsed = parseNumber(input.value);
    if ("error" in parsed) {
      problems[input.dataset.label] = parsed;
    } else {
      given[input.dataset.label] = parsed.value;
      places[input.dataset.label] = parsed.places;
    }
  }
  const marks = mark(scheme, given, places);
  const score = {correct: 0, too_few_decimals: 0, carried_forward: 0, incorrect: 0, missing: 0};
  const own = ownAnswers(scheme, given);
  for (const m of marks) {
    score[m.verdict] += 1;
    show(scheme, m, problems[m.label], own);
  }
  const summary = document.getElementById("score");
  delete summary.dataset.stale;
  summary.dataset.correct = score.correct;
  summary.dataset.tooFewDecimals = score.too_few_decimals;
  summary.dataset.carriedForward = score.carried_forward;
  summary.dataset.incorrect = score.incorrect;
  summary.dataset.missing = score.missing;
  const words = said();
  summary.textContent = say(words, "score_correct", {n: score.correct}) +
    (score.too_few_decimals ? say(words, "score_too_few", {n: score.too_few_decimals}) : "") +
    say(words, "score_rest", {carried: score.carried_forward, incorrect: score.incorrect,
                              missing: score.missing, total: marks.length});
  if (hooks().checked) hooks().checked(scheme, marks);
}

// What the page says beside a blank: the verdict and the likely mistake, but not the expected
// value, which "Show the working" reveals only when the student asks for it.
function hint(m, problem, scheme, words) {
  if (problem) {
    return problem.kind ? say(words, problem.kind, {text: problem.text, longest: LONGEST})
      : problem.error;
  }
  if (m.verdict === "carried_forward") return words.carried_hint;
  const second = alsoHint(m, scheme, words);
  if (m.verdict === "too_few_decimals") {
    return say(words, "too_few_hint", {message: scheme.messages.too_few_decimals,
                                       decimals: scheme.decimals}) +
      (second ? BOTH + either(words, words.slip, second) : "");
  }
  if (m.verdict === "incorrect" && m.diagnosis) {
    const message = scheme.messages[m.diagnosis];
    const term = termOf(m.term, words);
    const first = term ? say(words, "with_reason", {verdict: message, reason: term}) : message;
    return second ? either(words, first, second) : first;
  }
  return "";
}

// the term as the sheet writes it (w⁽¹⁾₁₁·x₁), which the page carries by its name
function termOf(term, words) {
  return term ? ((words.terms || {})[term] || term) : null;
}

// the second mistake's words, as the sheet writes its term; "" where there is none
function alsoHint(m, scheme, words) {
  if (!m.also) return "";
  const message = scheme.messages[m.also];
  const term = termOf(m.alsoTerm, words);
  return term ? say(words, "with_reason", {verdict: message, reason: term}) : message;
}

// A quantity by name: the student's own answer where they gave one, else the key's (as mark).
function ownAnswers(scheme, given) {
  const byName = {};
  for (const b of scheme.blanks) {
    if (given[b.label] !== undefined) byName[b.name] = given[b.label];
  }
  return (name) => (name in byName ? byName[name] :
                    (name in scheme.values ? scheme.values[name] : null));
}

// --- the working with the student's own numbers (a lesson page's rows: data-yours) -------

function refsOf(tree, out = []) {
  if (Array.isArray(tree)) {
    if (tree[0] === "ref") out.push(tree[1]);
    else for (const a of tree.slice(1)) refsOf(a, out);
  }
  return out;
}

function isSum(tree) {
  return Array.isArray(tree) && (tree[0] === "add" || tree[0] === "sub");
}

function inBrackets(math) {
  return `<mrow><mo stretchy="false">(</mo>${math}<mo stretchy="false">)</mo></mrow>`;
}

function numberMath(value, first) {
  const text = String(Math.abs(value));
  if (value >= 0) return `<mn>${text}</mn>`;
  const math = `<mrow><mo>−</mo><mn>${text}</mn></mrow>`;
  return first ? math : inBrackets(math);  // a negative number after an operator: (−0.3)
}

// A tree with the numbers put in, as MathML, as sheets/worked.py writes the key's line.
function mathOf(tree, get, first = true) {
  if (!Array.isArray(tree)) return numberMath(tree, first);
  const [op, ...args] = tree;
  if (op === "ref") return numberMath(get(args[0]), first);
  if (op === "add" || op === "sub" || op === "mul") {
    const sign = {add: "+", sub: "−", mul: "·"}[op];
    return "<mrow>" + args.map((a, i) => {
      const kept = isSum(a) && (op === "mul" || (op === "sub" && i > 0));
      const math = kept ? inBrackets(mathOf(a, get)) : mathOf(a, get, first && i === 0);
      return (i ? `<mo>${sign}</mo>` : "") + math;
    }).join("") + "</mrow>";
  }
  if (op === "div") return `<mfrac>${mathOf(args[0], get)}${mathOf(args[1], get)}</mfrac>`;
  if (op === "pow") {
    const bare = !Array.isArray(args[0]) || args[0][0] === "ref";
    const base = mathOf(args[0], get);
    const plain = bare && evaluate(args[0], get) >= 0;
    return `<msup>${plain ? base : inBrackets(base)}<mn>${args[1]}</mn></msup>`;
  }
  if (op === "neg") return `<mrow><mo>−</mo>${inBrackets(mathOf(args[0], get))}</mrow>`;
  if (op === "exp") return `<msup><mi>e</mi>${mathOf(args[0], get)}</msup>`;
  const name = {log: "ln"}[op] || op;
  return `<mrow><mi>${name}</mi>` +
    inBrackets(args.map((a) => mathOf(a, get)).join("<mo>,</mo>")) + "</mrow>";
}

// Below the key's working, the same line worked from the student's own earlier answers,
// where those differ from the key's: what their numbers give, and so where the slip is.
function showYours(scheme, m, working, own, verdict) {
  for (const old of working.querySelectorAll(".yours")) old.remove();
  const blank = scheme.blanks.find((b) => b.label === m.label);
  if (!blank || !Array.isArray(blank.recompute) ||
      (verdict !== "carried_forward" && verdict !== "incorrect")) return;
  const names = refsOf(blank.recompute);
  if (!names.some((n) => own(n) !== null && own(n) !== scheme.values[n])) return;
  if (names.some((n) => own(n) === null)) return;
  const value = evaluate(blank.recompute, own);
  if (value === null) return;
  const whole = Number.isInteger(blank.value) && Number.isInteger(value);
  const line = document.createElement("p");
  line.className = "yours";
  const shown = fixed(value, whole ? 0 : scheme.decimals);
  const result = /^-[0.]*$/.test(shown) ? `<mn>${shown.slice(1)}</mn>` :  // a zero: no sign
    shown.startsWith("-") ? `<mo>−</mo><mn>${shown.slice(1)}</mn>` : `<mn>${shown}</mn>`;
  line.innerHTML = "With your own earlier answers: <math><mrow>" + mathOf(blank.recompute, own) +
    `<mo>=</mo>${result}</mrow></math>`;
  working.append(line);
}

function show(scheme, m, problem, own) {
  const where = document.querySelector(`[data-verdict-for="${m.label}"]`);
  if (!where) return;
  const verdict = problem ? "missing" : m.verdict;
  where.dataset.verdict = verdict;
  where.dataset.diagnosis = problem ? "" : (m.diagnosis || "");
  where.className = "verdict " + verdict.replace(/_/g, "-");
  const words = said();
  const reason = hint(m, problem, scheme, words);
  // typed, but no number: unreadable
  const word = problem ? words.unreadable : words[verdict] + part(m, scheme, words);
  where.textContent = reason ? say(words, "with_reason", {verdict: word, reason}) : word;
  const input = document.querySelector(`input[data-label="${m.label}"]`);
  input.setAttribute("aria-invalid", String(verdict === "incorrect" || Boolean(problem)));
  const reveal = document.querySelector(`button.reveal[data-for="${m.label}"]`);
  if (reveal && verdict !== "correct" && verdict !== "missing") reveal.hidden = false;
  const working = document.getElementById("working-" + m.label);
  if (working && "yours" in working.dataset && own) showYours(scheme, m, working, own, verdict);
}

// On a phone the diagram, a long formula, a revealed working, a proof's line or a given
// longer than the line (one name = value is never broken) scrolls sideways, and a region a
// keyboard cannot reach cannot be scrolled by it: each takes a tab stop while, and only
// while, it overflows (a wide screen adds none).
const SCROLLERS = "figure.diagram, .formula, .working, .proof li, .given";

function reachScrollers() {
  for (const el of document.querySelectorAll(SCROLLERS)) {
    if (el.scrollWidth > el.clientWidth + 1) {
      el.tabIndex = 0;
      el.dataset.scrolls = "";
    } else if ("scrolls" in el.dataset) {
      el.removeAttribute("tabindex");
      delete el.dataset.scrolls;
    }
  }
}

if (typeof document !== "undefined") {
  document.addEventListener("DOMContentLoaded", page);
  document.addEventListener("DOMContentLoaded", reachScrollers);
  window.addEventListener("load", reachScrollers);  // once fonts and MathML are laid out
  let pending = false;
  window.addEventListener("resize", () => {
    if (!pending) {
      pending = true;
      requestAnimationFrame(() => { pending = false; reachScrollers(); });
    }
  });
}
