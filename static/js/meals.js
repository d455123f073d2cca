// Print button on the meal roster (no inline handlers: CSP is 'self').
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
