// A practice page inside a SCORM package: the package's launch page (scorm-launch.js) holds
// the LMS's session and chose this version; this page keeps the student's answers in the
// session's suspend data instead of the browser's local storage (a shared computer's next
// student sees none of them), and reports each Check's marks to it. Opened on its own, with no
// launch page around it, the page works as any practice page does.
"use strict";

(function () {
  let lms = null;
  try {
    if (window.parent !== window && window.parent.symbackpropLMS) lms = window.parent.symbackpropLMS;
  } catch (e) {
    lms = null;  // a parent of another origin: not our launch page
  }
  if (!lms) return;
  // practice.js keeps the answers under "symbackprop:<id>" and "...:checked"; the session
  // keeps them as the version's answers and whether they were checked
  const storage = {
    getItem(key) {
      if (key.endsWith(":checked")) return lms.state.checked ? "1" : null;
      return JSON.stringify(lms.state.answers || {});
    },
    setItem(key, value) {
      if (key.endsWith(":checked")) {
        lms.state.checked = value === "1";
      } else {
        lms.state.answers = JSON.parse(value);
      }
      lms.save();
    },
  };
  window.symbackpropHooks = {storage: storage, checked: (scheme, marks) => lms.report(scheme, marks)};
})();
