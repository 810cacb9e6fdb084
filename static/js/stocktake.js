// The stocktake count page. A scanner types the tag and presses Enter; htmx swaps the answer in
// under the form. After a count the tag and the note are emptied and the condition goes back to
// "good"; after a refusal the tag is selected so the next scan replaces it. Either way the
// cursor returns to the tag field. (No inline script: the Content Security Policy forbids it.)
(function () {
  "use strict";

  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var form = document.getElementById("stocktake-count-form");
    var tag = document.getElementById("stocktake-tag");
    if (!form || !tag || !target || target.id !== "stocktake-result") {
      return;
    }
    if (target.querySelector("[data-counted]")) {
      tag.value = "";
      form.querySelector("#stocktake-note").value = "";
      var good = form.querySelector("#condition-good");
      if (good) {
        good.checked = true;
      }
    }
    tag.focus();
    tag.select();
  });

  // htmx answers errors (4xx) too: swap them in so the counter sees why.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "stocktake-result") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
