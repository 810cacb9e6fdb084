// Every htmx request in the portal has a visible failure path (loaded by base.html on every
// page). A background save that fails (a server error, a lost connection, a timeout, a session
// that ended) says so where it happened, with a "Try again" button, and nothing in that place
// keeps looking saved: the element is marked [data-request-failed] and its "Saved" mark is
// hidden (static/css/portal.css). A refresh that fails says the part shown may be out of date.
// The next successful request there swaps the notice away. The words come translated from the
// page (templates/includes/request_failure.html); the CSP forbids inline script.
(function () {
  "use strict";

  var NOTICE = "request-failure";

  function words(key) {
    var source = document.getElementById("request-failure-words");
    return (source && source.getAttribute("data-" + key)) || "";
  }

  // Where the notice goes: the element the answer was to replace, else the one that asked.
  function placeOf(detail) {
    var candidates = [detail.target, detail.elt];
    for (var i = 0; i < candidates.length; i++) {
      if (candidates[i] && document.body.contains(candidates[i])) {
        return candidates[i];
      }
    }
    return null;
  }

  function clear(place) {
    if (!place) {
      return;
    }
    place.removeAttribute("data-request-failed");
    var old = place.querySelector(":scope > ." + NOTICE);
    if (old) {
      old.remove();
    }
  }

  function retry(detail) {
    var config = detail.requestConfig || {};
    var path = (detail.pathInfo && detail.pathInfo.requestPath) || config.path;
    if (!path || !detail.elt || !document.body.contains(detail.elt)) {
      window.location.reload();
      return;
    }
    // The same request from the same element: its hx-target, hx-swap, hx-params, hx-encoding
    // and its current values (what the user sees now) apply again.
    htmx.ajax(config.verb || "get", path, { source: detail.elt });
  }

  function show(detail, reason) {
    var place = placeOf(detail);
    if (!place) {
      return;
    }
    if (detail.xhr) {
      detail.xhr.portalRequestFailed = true;
    }
    clear(place);
    var verb = ((detail.requestConfig && detail.requestConfig.verb) || "get").toLowerCase();
    var saving = verb !== "get";
    var notice = document.createElement("div");
    notice.className = "alert alert-danger d-flex flex-wrap align-items-center gap-2 py-2 px-3 m-2 small " + NOTICE;
    notice.setAttribute("role", "alert");
    notice.setAttribute("data-testid", "request-failed");
    var message = document.createElement("span");
    message.className = "me-auto";
    message.textContent = [
      words(saving ? "not-saved" : "not-loaded"),
      reason,
      saving ? words("kept") : "",
    ].join(" ").trim();
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-danger";
    button.setAttribute("data-testid", "retry");
    button.textContent = words("retry");
    button.addEventListener("click", function () {
      button.disabled = true;
      retry(detail);
    });
    notice.appendChild(message);
    notice.appendChild(button);
    place.setAttribute("data-request-failed", saving ? "save" : "load");
    place.prepend(notice);
  }

  function signedOut(detail) {
    var login = words("login-url");
    var xhr = detail.xhr;
    if (!login || !xhr || !xhr.responseURL) {
      return false;
    }
    var landed = new URL(xhr.responseURL, window.location.href).pathname;
    var asked = (detail.pathInfo && detail.pathInfo.requestPath) || "";
    return landed === login && asked.indexOf(login) !== 0;
  }

  // A session that ended sends the request to the login page, which answers 200: never swap
  // the login form into a card as if it were the saved answer.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (signedOut(event.detail)) {
      event.detail.shouldSwap = false;
      show(event.detail, words("signed-out"));
    }
  });

  // 4xx and 5xx answers nobody chose to swap (a page that swaps its own 4xx answers sets
  // isError to false in its own htmx:beforeSwap and never gets here).
  document.body.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : "";
    var reason = status >= 500 ? words("server-error") : words("refused");
    show(event.detail, reason + (status ? " (HTTP " + status + ")" : ""));
  });

  document.body.addEventListener("htmx:sendError", function (event) {
    show(event.detail, words("network-error"));
  });

  document.body.addEventListener("htmx:timeout", function (event) {
    show(event.detail, words("timeout"));
  });

  // A request that went through clears the notice of an earlier failure at the same place
  // (when its answer was not swapped over it anyway).
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail;
    if (detail.successful && !(detail.xhr && detail.xhr.portalRequestFailed)) {
      clear(placeOf(detail));
    }
  });
})();

// Printable records (static/css/print.css): a [data-print] button prints the page; while
// printing, every <details> is open (a sealed record's seal prints in full) and closes again
// afterwards.
(function () {
  "use strict";

  var opened = [];

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-print]") : null;
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (details) {
      details.setAttribute("open", "");
      opened.push(details);
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (details) {
      details.removeAttribute("open");
    });
    opened = [];
  });
})();

// The room inspection's "All OK" button (apartments/inspection.html): every asset back to OK,
// so that only the exceptions need a tap.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-all-ok]");
    if (!button) {
      return;
    }
    var form = button.closest("form");
    var boxes = form ? form.querySelectorAll('input.btn-check[value="ok"]') : [];
    for (var i = 0; i < boxes.length; i++) {
      boxes[i].checked = true;
    }
  });
})();
