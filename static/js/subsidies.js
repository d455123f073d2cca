// Subsidies: show only the subject field the chosen claim kind needs; tick-all for bulk approval.
(function () {
  var form = document.getElementById("claim-form");
  if (form) {
    var kind = form.querySelector("select[name=kind]");
    var sync = function () {
      form.querySelectorAll("[data-claim-subject]").forEach(function (box) {
        var kinds = box.getAttribute("data-claim-subject").split(" ");
        box.hidden = kinds.indexOf(kind.value) < 0;
      });
    };
    kind.addEventListener("change", sync);
    sync();
  }
  var all = document.getElementById("claims-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll(".claim-check").forEach(function (box) { box.checked = all.checked; });
    });
  }
})();
