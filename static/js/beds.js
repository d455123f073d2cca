// Bed board: changing the base or the night reloads the board (no inline scripts: CSP is 'self').
document.addEventListener("change", function (event) {
  var control = event.target;
  if (control.hasAttribute && control.hasAttribute("data-autosubmit") && control.form) {
    if (control.type === "date" && !control.value) {
      return;
    }
    control.form.submit();
  }
});
