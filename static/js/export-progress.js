// Background export page: fill the progress bar and poll the job's status until it ends.
(function () {
  var box = document.getElementById("export-job");
  var bar = document.getElementById("export-bar");
  if (!box || !bar) { return; }
  var wrapper = bar.parentNode;
  var show = function (percent) {
    // Set through the CSSOM: the CSP forbids inline style attributes.
    bar.style.width = percent + "%";
    bar.textContent = percent + "%";
    wrapper.setAttribute("aria-valuenow", String(percent));
  };
  var number = function (n) { return n === null || n === undefined ? "0" : Number(n).toLocaleString(); };
  show(parseInt(bar.getAttribute("data-percent"), 10) || 0);
  var status = box.getAttribute("data-status");
  if (status !== "queued" && status !== "running") { return; }
  var url = box.getAttribute("data-status-url");
  var failures = 0;
  var poll = function () {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        show(data.percent);
        document.getElementById("export-rows-done").textContent = number(data.rows_done);
        document.getElementById("export-rows-total").textContent = number(data.rows_total);
        if (data.status === "queued" || data.status === "running") {
          window.setTimeout(poll, 1500);
        } else {
          window.location.reload();  // done, failed or expired: the page shows the button or the error
        }
      })
      .catch(function () {
        failures += 1;  // a network hiccup: try again a few times, then leave the page as it is
        if (failures < 10) { window.setTimeout(poll, 5000); }
      });
  };
  window.setTimeout(poll, 1000);
})();
