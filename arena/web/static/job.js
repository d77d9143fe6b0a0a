// The job page follows its job through the JSON API until it ends, then reloads to list its matches.
"use strict";
(function () {
  var box = document.getElementById("job");
  if (!box) return;
  var live = { queued: true, running: true };
  if (!live[box.dataset.status]) return;
  function poll() {
    fetch(box.dataset.api, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        var status = document.getElementById("status");
        status.textContent = j.status;
        status.className = "status-" + j.status;
        var bar = document.getElementById("progress");
        bar.max = Math.max(1, j.progress.total);
        bar.value = j.progress.done;
        document.getElementById("count").textContent = j.progress.done + "/" + j.progress.total + " matches";
        document.getElementById("reason").textContent = j.reason || "";
        if (live[j.status]) setTimeout(poll, 1500);
        else window.location.reload();
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
