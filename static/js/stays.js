// Admission form: a new admission date reloads the page with the beds free from that date on
// (issue 21), keeping the chosen resident and base. No inline handlers: CSP is 'self'.
document.addEventListener("change", function (event) {
  var input = event.target.closest("[data-refresh-beds]");
  if (!input || !input.value) {
    return;
  }
  var form = input.form;
  var url = new URL(input.getAttribute("data-refresh-beds"), window.location.href);
  url.searchParams.set("admitted_on", input.value);
  ["resident_id", "base_id"].forEach(function (name) {
    var field = form.elements[name];
    if (field && field.value) {
      url.searchParams.set(name, field.value);
    }
  });
  window.location.assign(url.toString());
});
