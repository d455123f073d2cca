// The download-started page (accounts/download_started.html): starts the file the password check stood in
// front of, once; the page itself stays, saying so (no inline scripts: CSP is 'self').
(function () {
  "use strict";
  var link = document.querySelector("#download-link[data-autostart]");
  if (link) {
    window.location.assign(link.getAttribute("href"));
  }
})();
