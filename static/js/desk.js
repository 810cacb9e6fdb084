// The check-in desk. A barcode scanner types the student id and presses Enter; after every
// answer htmx swaps in under the field, the cursor goes back to the field so the next scan
// lands there. After a check-in the field is emptied; after a look-up its text is selected,
// so the next scan replaces it. (No inline script: the Content Security Policy forbids it.)
(function () {
  "use strict";

  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var field = document.getElementById("desk-student-id");
    if (!field || !target || target.id !== "desk-result") {
      return;
    }
    if (target.querySelector("[data-desk-done]")) {
      field.value = "";
    }
    field.focus();
    field.select();
  });
})();
