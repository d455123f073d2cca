// Training: the attendance screen (no inline scripts: CSP is 'self'). The session picker opens a session
// only with its button (WCAG 3.2.2: choosing an option does not load a page).
// "All present" marks every row; the counts follow every change; Save first shows the counts
// in a confirmation, and only "Confirm and save" posts the form (one POST with every row).
(function () {
  "use strict";

  var form = document.getElementById("attendance-form");
  if (!form) {
    return;
  }
  var rows = form.querySelectorAll(".training-roster-row");

  function counts() {
    var result = { present: 0, late: 0, absent: 0, excused: 0, unmarked: 0 };
    rows.forEach(function (row) {
      var checked = row.querySelector("input[type=radio]:checked");
      result[checked ? checked.value : "unmarked"] += 1;
    });
    return result;
  }

  // Writes values[key] into every element carrying the attribute (e.g. data-count="late").
  function show(attribute, values) {
    form.querySelectorAll("[" + attribute + "]").forEach(function (el) {
      el.textContent = String(values[el.getAttribute(attribute)]);
    });
  }

  function refresh() {
    var values = counts();
    show("data-count", values);
    rows.forEach(function (row) {
      row.classList.toggle("training-unmarked", !row.querySelector("input[type=radio]:checked"));
    });
    return values;
  }

  document.getElementById("all-present").addEventListener("click", function () {
    rows.forEach(function (row) {
      var present = row.querySelector("input[value=present]");
      if (present) { present.checked = true; }
    });
    dirty = true;
    refresh();
  });

  form.addEventListener("change", function () { dirty = true; refresh(); });

  // Unsaved marks are not lost without a word (issue 17): leaving the page asks the browser's question,
  // choosing another session asks ours; saving clears the flag.
  var dirty = false;
  var unsavedQuestion = form.getAttribute("data-unsaved");
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !confirmed) {
      event.preventDefault();
      event.returnValue = unsavedQuestion;
      return unsavedQuestion;
    }
    return undefined;
  });
  var picker = document.getElementById("session-picker-form");
  if (picker) {
    picker.addEventListener("submit", function (event) {
      if (dirty && !window.confirm(unsavedQuestion)) {
        event.preventDefault();
        return;
      }
      dirty = false; // asked once: the page's own question does not follow
    });
  }

  // After a save the page says so at the top of the form; focus moves there so it is seen and read out.
  var saved = document.getElementById("attendance-saved");
  if (saved) {
    saved.focus();
  }

  var modalElement = document.getElementById("confirm-attendance");
  var confirmed = false;
  form.addEventListener("submit", function (event) {
    if (confirmed || !window.bootstrap || !modalElement) {
      return; // without Bootstrap's script the form simply posts
    }
    event.preventDefault();
    var values = refresh();
    show("data-confirm-count", values);
    document.getElementById("confirm-unmarked").classList.toggle("d-none", values.unmarked === 0);
    document.getElementById("confirm-save").disabled = values.unmarked === rows.length;
    window.bootstrap.Modal.getOrCreateInstance(modalElement).show();
  });

  document.getElementById("confirm-save").addEventListener("click", function () {
    confirmed = true;
    this.disabled = true;
    // requestSubmit: the submit event runs again (app.js keeps a copy of the marks in case the session has ended)
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  });

  // Back from the dialog (Escape, ×, Back): focus returns to Save, not to <body> (app.js does it for every
  // dialog; here the dialog opens from the form's submit, so say where explicitly).
  if (modalElement) {
    modalElement.addEventListener("hidden.bs.modal", function () {
      if (!confirmed) { document.getElementById("save-attendance").focus(); }
    });
  }

  refresh();
})();
