// base_ops page behaviour (no inline scripts: CSP is 'self').
(function () {
  "use strict";

  // ---- Confirmation for buttons marked data-confirm.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = button && button.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  var messages = document.getElementById("app-messages");
  function message(name) {
    return messages ? messages.getAttribute("data-" + name) || "" : "";
  }

  // Say something to screen readers without moving focus.
  function announce(text) {
    var live = document.getElementById("app-live");
    if (!live || !text) { return; }
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  function focusElement(el) {
    if (!el) { return; }
    if (!el.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(el.tagName)) {
      el.setAttribute("tabindex", "-1");
    }
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "nearest" });
  }

  // ---- Focus where the eye should go (WCAG 2.4.3, 3.3.1): after a failed submit, the error summary
  // (it names and links every field in error); after an action, its message; otherwise the page's own
  // autofocus, or the start of the page.
  // A page opened at a #fragment (e.g. the course's #progress after saving attendance) puts focus on that part
  // and reads the message out instead.
  function fragmentTarget() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && id !== "main" ? document.getElementById(id) : null;
    return target && !target.closest(".modal") ? target : null;
  }

  function initialFocus() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      focusElement(summary);
      return;
    }
    var flash = document.querySelector(".app-flashes .alert");
    var target = fragmentTarget();
    if (target) {
      focusElement(target);
      if (flash) { announce(flash.textContent.trim()); }
      return;
    }
    if (!flash) { return; }
    if (document.querySelector("[autofocus]")) {
      announce(flash.textContent.trim());  // the field the page puts the caret in keeps it
    } else {
      focusElement(flash);
    }
  }

  // A link of the error summary puts the caret in its field, label in view.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-focus-field]");
    if (!link) { return; }
    var target = document.getElementById(link.getAttribute("data-focus-field"));
    if (!target) { return; }
    event.preventDefault();
    var details = target.closest("details");
    if (details) { details.open = true; }
    var focusable = target.matches("input, select, textarea, button") ? target
      : target.querySelector("input:not([type=hidden]), select, textarea") || target;
    focusElement(focusable);
  });

  // A radio or checkbox drawn as a button (.btn-check) is visually hidden: when it takes focus, bring its label,
  // which shows the focus, fully into view (the browser scrolls only the hidden input's sliver).
  document.addEventListener("focusin", function (event) {
    var el = event.target;
    if (el.classList && el.classList.contains("btn-check") && el.nextElementSibling) {
      el.nextElementSibling.scrollIntoView({ block: "nearest", inline: "nearest" });
    }
  });

  // The skip link moves focus to the main content without putting #main into the address (a form on the
  // page would post to it, and the next page would open with focus on <main> instead of its messages).
  document.addEventListener("click", function (event) {
    var skip = event.target.closest && event.target.closest("a.skip-link");
    var main = document.getElementById("main");
    if (!skip || !main) { return; }
    event.preventDefault();
    main.focus({ preventScroll: true });
    main.scrollIntoView({ block: "start" });
  });

  // A dismissed message hands focus to the page's main content, not to <body>.
  document.addEventListener("closed.bs.alert", function () {
    var main = document.getElementById("main");
    if (main && (document.activeElement === document.body || !document.activeElement)) {
      main.focus({ preventScroll: true });
    }
  });

  // Every dialog gives focus back to where it was when it closes (Escape, ×, Back), not to <body>.
  var openers = new WeakMap();
  document.addEventListener("show.bs.modal", function (event) {
    var from = event.relatedTarget || document.activeElement;
    if (from && from !== document.body) { openers.set(event.target, from); }
  });
  document.addEventListener("hidden.bs.modal", function (event) {
    var back = openers.get(event.target);
    var active = document.activeElement;
    if (back && document.contains(back) && (!active || active === document.body || event.target.contains(active))) {
      back.focus();
    }
  });
  // Dropdown menus closed with Escape keep focus on their toggle (Bootstrap does); one closed by a click
  // elsewhere leaves it where the click went.

  // ---- Keeping what was typed when the session ends (WCAG 2.2.1, 2.2.5).
  // A form is copied to sessionStorage (this tab only) as it is sent; the copy is dropped on the next page
  // unless that page is the sign-in page, i.e. the session had ended and the server refused the post.
  // After signing in again the copy is put back into the same form. Passwords, files and hidden fields
  // (the CSRF token) are never copied.
  var STORE = "base_ops.unsent";
  var KEEP_MS = 2 * 60 * 60 * 1000;
  var isAuthPage = document.body.classList.contains("auth-body");

  function readStore() {
    try {
      var entry = JSON.parse(window.sessionStorage.getItem(STORE) || "null");
      if (entry && Date.now() - entry.at < KEEP_MS) { return entry; }
    } catch (e) { /* storage unavailable or garbled */ }
    dropStore();
    return null;
  }
  function writeStore(entry) {
    try { window.sessionStorage.setItem(STORE, JSON.stringify(entry)); } catch (e) { /* full or unavailable */ }
  }
  function dropStore() {
    try { window.sessionStorage.removeItem(STORE); } catch (e) { /* unavailable */ }
  }

  function keptField(el) {
    if (!el.name || el.disabled || el.name === "csrf_token" || /(^|-)csrf_token$/.test(el.name)) { return false; }
    return !/^(password|hidden|file|submit|button|reset|image)$/.test(el.type);
  }

  function keepable(form) {
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post" || form.hasAttribute("data-no-keep")) {
      return false;
    }
    var action = form.getAttribute("action") || "";
    return !/\/(logout|language)$/.test(action);
  }

  function snapshot(form) {
    var fields = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!keptField(el)) { return; }
      if (el.type === "checkbox" || el.type === "radio") {
        fields.push({ name: el.name, value: el.value, checked: el.checked });
      } else if (el.multiple) {
        fields.push({ name: el.name, values: Array.prototype.filter.call(el.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; }) });
      } else {
        fields.push({ name: el.name, value: el.value });
      }
    });
    return { action: form.getAttribute("action") || "", fields: fields };
  }

  function isDirty(form) {
    return Array.prototype.some.call(form.elements, function (el) {
      if (!keptField(el)) { return false; }
      if (el.type === "checkbox" || el.type === "radio") { return el.checked !== el.defaultChecked; }
      if (el.tagName === "SELECT") {
        var defaults = Array.prototype.filter.call(el.options, function (o) { return o.defaultSelected; });
        if (!el.multiple && !defaults.length) { return el.selectedIndex > 0; }
        return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
      }
      return el.value !== el.defaultValue;
    });
  }

  function here() { return window.location.pathname + window.location.search; }

  function keepForms(forms, signedOut) {
    var kept = forms.filter(keepable).map(snapshot);
    if (kept.length) {
      writeStore({ path: here(), forms: kept, signedOut: signedOut, at: Date.now() });
    }
    return kept.length > 0;
  }

  if (!isAuthPage) {
    document.addEventListener("submit", function (event) {
      if (!event.defaultPrevented && keepable(event.target)) { keepForms([event.target], false); }
    });
  }

  function restore(entry) {
    var restored = null;
    entry.forms.forEach(function (kept) {
      var form = Array.prototype.find.call(document.forms, function (f) {
        return keepable(f) && (f.getAttribute("action") || "") === kept.action;
      });
      if (!form) { return; }
      var seen = {};
      kept.fields.forEach(function (field) {
        var named = Array.prototype.filter.call(form.elements, function (el) { return el.name === field.name && keptField(el); });
        if (!named.length) { return; }
        if (named[0].type === "checkbox" || named[0].type === "radio") {
          named.forEach(function (el) { if (el.value === field.value) { el.checked = field.checked; } });
        } else if (field.values) {
          Array.prototype.forEach.call(named[0].options, function (o) { o.selected = field.values.indexOf(o.value) >= 0; });
        } else {
          var i = seen[field.name] || 0;
          if (named[i]) { named[i].value = field.value; }
          seen[field.name] = i + 1;
        }
      });
      restored = restored || form;
      form.dispatchEvent(new Event("change", { bubbles: true }));
    });
    return restored;
  }

  function notice(text, where, linkHref, linkText) {
    var box = document.createElement("div");
    box.className = "alert alert-info kept-form-notice";
    box.setAttribute("role", "status");
    box.setAttribute("tabindex", "-1");
    var icon = document.createElement("i");
    icon.className = "bi bi-arrow-counterclockwise me-1";
    icon.setAttribute("aria-hidden", "true");
    box.appendChild(icon);
    box.appendChild(document.createTextNode(text));
    if (linkHref) {
      box.appendChild(document.createTextNode(" "));
      var a = document.createElement("a");
      a.className = "alert-link";
      a.href = linkHref;
      a.textContent = linkText;
      box.appendChild(a);
    }
    where.parentNode.insertBefore(box, where);
    return box;
  }

  function loginUrl(path) {
    var base = document.body.getAttribute("data-login-url") || "/login";
    return base + "?next=" + encodeURIComponent(path);
  }

  (function handleKept() {
    var entry = readStore();
    if (!entry) { return; }
    if (isAuthPage) {
      // The post was refused for want of a session: keep the copy, and come back to the form after signing in.
      entry.signedOut = true;
      writeStore(entry);
      var signIn = document.querySelector("form:has(#sign-in)");
      if (signIn && !/[?&]next=/.test(window.location.search)) {
        signIn.setAttribute("action", loginUrl(entry.path));
      }
      var card = document.querySelector(".auth-card form");
      if (card && !document.querySelector(".kept-form-notice")) { notice(message("kept"), card); }
      return;
    }
    if (!entry.signedOut) {
      dropStore();  // the form reached the server: nothing to keep
      return;
    }
    if (here() === entry.path) {
      var form = restore(entry);
      dropStore();
      if (form) {
        var box = notice(message("restored"), form);
        if (!document.querySelector("[data-error-summary]")) { focusElement(box); }
      }
      return;
    }
    var main = document.getElementById("main");
    if (main && main.firstElementChild) {
      notice(message("kept"), main.firstElementChild, entry.path, message("kept-link"));
    }
  })();

  // ---- Idle timeout warning (WCAG 2.2.1): two minutes before the server ends an idle session, a dialog
  // offers to stay signed in (one cheap GET renews the session); at the end it says so, keeps what was
  // typed on the page and offers to sign in again.
  (function sessionTimeout() {
    var body = document.body;
    var idle = parseInt(body.getAttribute("data-idle-seconds"), 10);
    var dialog = document.getElementById("session-warning");
    if (!idle || !dialog || !window.bootstrap) { return; }
    var warnBefore = Math.min(120, Math.floor(idle / 2)) * 1000;
    var keepaliveUrl = body.getAttribute("data-keepalive-url");
    var modal = window.bootstrap.Modal.getOrCreateInstance(dialog);
    var countdown = dialog.querySelector("[data-session-countdown]");
    var deadline = 0;
    var warnTimer = null;
    var tickTimer = null;
    var ended = false;

    function setState(state) {
      dialog.querySelectorAll("[data-session-state]").forEach(function (el) {
        el.hidden = el.getAttribute("data-session-state") !== state;
      });
    }

    function schedule() {
      window.clearTimeout(warnTimer);
      window.clearInterval(tickTimer);
      deadline = Date.now() + idle * 1000;
      warnTimer = window.setTimeout(warn, Math.max(0, deadline - warnBefore - Date.now()));
    }

    function format(ms) {
      var s = Math.max(0, Math.ceil(ms / 1000));
      return Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
    }

    function tick() {
      var left = deadline - Date.now();
      if (left <= 0) {
        end();
      } else if (countdown) {
        countdown.textContent = format(left);
      }
    }

    function warn() {
      if (ended) { return; }
      setState("warning");
      tick();
      window.clearInterval(tickTimer);
      tickTimer = window.setInterval(tick, 1000);
      modal.show();
    }

    function end() {
      if (ended) { return; }
      ended = true;
      window.clearTimeout(warnTimer);
      window.clearInterval(tickTimer);
      var dirty = Array.prototype.filter.call(document.forms, function (f) { return keepable(f) && isDirty(f); });
      keepForms(dirty, true);
      dialog.querySelector("[data-session-action=sign-in]").setAttribute("href", loginUrl(here()));
      setState("ended");
      if (!dialog.classList.contains("show")) { modal.show(); }
      dialog.querySelector("[data-session-action=sign-in]").focus();
    }

    dialog.addEventListener("shown.bs.modal", function () {
      var first = dialog.querySelector(ended ? "[data-session-action=sign-in]" : "[data-session-action=stay]");
      if (first) { first.focus(); }
    });

    dialog.querySelector("[data-session-action=stay]").addEventListener("click", function () {
      var button = this;
      button.disabled = true;
      dialog.querySelector("[data-session-state=failed]").hidden = true;
      window.fetch(keepaliveUrl, { credentials: "same-origin", redirect: "manual", cache: "no-store",
                                   headers: { "Accept": "application/json" } })
        .then(function (response) {
          button.disabled = false;
          if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
            end();  // the server had already ended the session
          } else if (response.ok) {
            schedule();
            modal.hide();
            announce(message("stayed"));
          } else {
            throw new Error("status " + response.status);
          }
        })
        .catch(function () {
          button.disabled = false;
          dialog.querySelector("[data-session-state=failed]").hidden = false;
        });
    });

    dialog.querySelector("[data-session-action=sign-out]").addEventListener("click", function () {
      var logout = document.querySelector("form[action$='/logout']");
      if (logout) { logout.submit(); }
    });

    // A tab left in the background has its timers slowed: check again when it comes back.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible" && !ended) {
        if (Date.now() >= deadline) { end(); } else if (Date.now() >= deadline - warnBefore) { warn(); }
      }
    });

    schedule();
  })();

  initialFocus();
  // The browser's own move to a #fragment happens after this script and may leave focus on <body>: once the
  // page has loaded, set it again unless the user has moved it meanwhile.
  var moved = false;
  document.addEventListener("keydown", function () { moved = true; }, { once: true });
  document.addEventListener("mousedown", function () { moved = true; }, { once: true });
  window.addEventListener("load", function () {
    var now = document.activeElement;
    if (!moved && (!now || now === document.body || now === document.getElementById("main"))) {
      initialFocus();
    }
  });
})();
