// A SCORM package's launch page: it finds the LMS's run-time API (SCORM 2004's API_1484_11 or
// SCORM 1.2's API, searched up the frames and then in the opener, as the standards say), opens
// the session, picks the learner's version (the one an earlier session kept, else one chosen
// from the learner's id) and shows it in a frame. The version's page (scorm.js) keeps its
// answers in the session's suspend data and reports each Check: the score (raw, 0 to 100), and
// the status by the pass mark. With no LMS it lists the versions, each a page that works offline.
"use strict";

const PACKAGE = JSON.parse(document.getElementById("package").textContent);
const SUSPEND_LIMIT = {"1.2": 4096, "2004": 64000};  // characters of cmi.suspend_data
// what a verdict earns of a blank's points: mark's defaults (--points-carried-forward 1,
// --points-rounded 0.5)
const CREDIT = {correct: 1, carried_forward: 1, too_few_decimals: 0.5};

function findAPI(win, name) {
  let tries = 0;
  while (!win[name] && win.parent && win.parent !== win && tries < 500) {
    tries += 1;
    win = win.parent;
  }
  return win[name] || null;
}

function discover() {
  const order = [["API_1484_11", "2004"], ["API", "1.2"]];
  for (const [name, standard] of order) {
    if (standard !== PACKAGE.standard) continue;  // the API the manifest's standard names
    let api = null;
    try {
      api = findAPI(window, name);
      if (!api && window.top && window.top.opener) api = findAPI(window.top.opener, name);
    } catch (e) {
      api = null;  // a frame of another origin on the way up: no API there for us
    }
    if (api) return api;
  }
  return null;
}

// The run-time calls of either standard behind one face.
function session(api) {
  const v12 = PACKAGE.standard === "1.2";
  const call = (name12, name2004, ...args) => String(api[v12 ? name12 : name2004](...args));
  const element = {
    status: v12 ? "cmi.core.lesson_status" : "cmi.completion_status",
    learner: v12 ? "cmi.core.student_id" : "cmi.learner_id",
    location: v12 ? "cmi.core.lesson_location" : "cmi.location",
    exit: v12 ? "cmi.core.exit" : "cmi.exit",
    time: v12 ? "cmi.core.session_time" : "cmi.session_time",
    raw: v12 ? "cmi.core.score.raw" : "cmi.score.raw",
    min: v12 ? "cmi.core.score.min" : "cmi.score.min",
    max: v12 ? "cmi.core.score.max" : "cmi.score.max",
  };
  return {
    v12: v12,
    element: element,
    start: () => call("LMSInitialize", "Initialize", "") === "true",
    get: (name) => call("LMSGetValue", "GetValue", name),
    set: (name, value) => call("LMSSetValue", "SetValue", name, String(value)) === "true",
    commit: () => call("LMSCommit", "Commit", ""),
    finish: () => call("LMSFinish", "Terminate", ""),
  };
}

// FNV-1a (32 bits) of the learner id's UTF-8 bytes: the same version for the same learner in
// every session and attempt (symbackprop.formats.scorm.version_for says which, for a teacher).
function versionFor(learner, count) {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(learner)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % count;
}

function timespan(seconds, v12) {
  const s = Math.max(0, Math.round(seconds));
  if (!v12) return `PT${s}S`;
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(Math.min(9999, Math.floor(s / 3600)))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

function launch() {
  const api = discover();
  if (!api) return;  // offline, or an LMS of another standard: the list of versions stays
  const lms = session(api);
  if (!lms.start()) return;
  const started = Date.now();
  const status = lms.get(lms.element.status);
  if (status === "not attempted" || status === "unknown" || status === "") {
    lms.set(lms.element.status, "incomplete");
  }
  let kept = {};
  try {
    kept = JSON.parse(lms.get("cmi.suspend_data") || "{}") || {};
  } catch (e) {
    kept = {};
  }
  let index = PACKAGE.versions.findIndex((v) => v.stem === kept.v);
  if (index < 0) index = versionFor(lms.get(lms.element.learner), PACKAGE.versions.length);
  const version = PACKAGE.versions[index];
  const same = kept.v === version.stem && kept.i === version.id;  // a rebuilt set: start anew
  const state = {answers: same && kept.a ? kept.a : {}, checked: same && kept.c === 1};
  // the pass mark the LMS holds (from the manifest, or as the teacher changed it), else ours
  const held = lms.v12 ? lms.get("cmi.student_data.mastery_score")
    : lms.get("cmi.scaled_passing_score");
  const heldMark = held === "" || isNaN(Number(held)) ? null
    : (lms.v12 ? Number(held) : 100 * Number(held));
  const passMark = heldMark === null ? PACKAGE.passMark : heldMark;
  lms.set(lms.element.location, version.stem);

  const save = () => {
    const kept = {v: version.stem, i: version.id, a: {}, c: state.checked ? 1 : 0};
    for (const [label, text] of Object.entries(state.answers)) {
      if (!text) continue;
      kept.a[label] = text;
      if (JSON.stringify(kept).length > SUSPEND_LIMIT[PACKAGE.standard]) {
        delete kept.a[label];  // what does not fit is kept by the page only
        break;
      }
    }
    lms.set("cmi.suspend_data", JSON.stringify(kept));
  };
  const report = (scheme, marks) => {
    let earned = 0;
    let total = 0;
    let missing = 0;
    for (const [i, m] of marks.entries()) {
      const points = scheme.blanks[i].points || 1;
      total += points;
      earned += points * (CREDIT[m.verdict] || 0);
      if (m.verdict === "missing") missing += 1;
    }
    const score = total ? Math.round(10000 * earned / total) / 100 : 0;
    const passed = score >= passMark;
    lms.set(lms.element.raw, score);
    lms.set(lms.element.min, 0);
    lms.set(lms.element.max, 100);
    if (lms.v12) {
      lms.set("cmi.core.lesson_status", passed ? "passed" : missing ? "incomplete" : "failed");
    } else {
      lms.set("cmi.score.scaled", Math.round(100 * score) / 10000);
      lms.set("cmi.success_status", passed ? "passed" : "failed");
      lms.set("cmi.completion_status", missing ? "incomplete" : "completed");
      lms.set("cmi.progress_measure", Math.round(10000 * (marks.length - missing) /
                                                 Math.max(1, marks.length)) / 10000);
    }
    save();
    lms.commit();
  };
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    save();
    lms.set(lms.element.time, timespan((Date.now() - started) / 1000, lms.v12));
    lms.set(lms.element.exit, "suspend");  // the next session resumes: same numbers, answers
    lms.commit();
    lms.finish();
  };
  window.symbackpropLMS = {state: state, save: save, report: report, end: end,
                           version: version.stem, passMark: passMark};
  lms.commit();
  window.addEventListener("pagehide", end);
  window.addEventListener("beforeunload", end);

  document.getElementById("offline").hidden = true;
  const frame = document.getElementById("page");
  frame.title = version.title;
  frame.src = version.file;
  frame.hidden = false;
}

document.addEventListener("DOMContentLoaded", launch);
