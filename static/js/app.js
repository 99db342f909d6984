/* Every page: the live region that reads results out, htmx errors shown in place, confirmations.
   Loaded with defer from base.html; no inline script anywhere (the Content-Security-Policy allows none). */
(function () {
  "use strict";

  var pending = null;

  // Say `message` through the page's one polite live region (#live-status in base.html). The region is
  // emptied first and filled a moment later, so that the same words said twice are read twice.
  function announce(message) {
    var region = document.getElementById("live-status");
    if (!region || !message) return;
    region.textContent = "";
    if (pending) clearTimeout(pending);
    pending = setTimeout(function () {
      region.textContent = message;
      pending = null;
    }, 120);
  }
  window.dextAnnounce = announce;

  function text(el) {
    return (el.textContent || "").replace(/\s+/g, " ").trim();
  }

  document.addEventListener("DOMContentLoaded", function () {
    // Page messages ("3 items moved.", "Saved.", errors) rendered by the server: read them out once loaded.
    var words = Array.prototype.map.call(document.querySelectorAll("[data-announce]"), text).filter(Boolean);
    if (words.length) announce(words.join(" "));
    // A form sent back with errors: the focus goes to the first field to fix (its error is its description).
    var invalid = document.querySelector("form [aria-invalid='true']");
    if (invalid) invalid.focus();
  });

  // htmx answers name what to say in an HX-Trigger header: {"announce": "Saved: …"} (dext_connections.htmx).
  document.addEventListener("announce", function (e) {
    announce(e.detail && e.detail.value);
  });

  // An htmx request refused (403) or failed: say so next to the control, and out loud.
  document.addEventListener("htmx:responseError", function (e) {
    var message = e.detail.xhr.status === 403
      ? "Not saved: your role does not allow this."
      : "Not saved: reload the page and try again.";
    var elt = e.detail.elt;
    var next = elt.nextElementSibling;
    if (next && next.classList.contains("inline-refusal") && next.hasAttribute("data-client-note")) next.remove();
    var note = document.createElement("div");
    note.className = "inline-refusal";
    note.setAttribute("data-client-note", "");
    note.textContent = message;
    elt.insertAdjacentElement("afterend", note);
    announce(message);
  });

  // <form data-confirm="Delete …?">: ask before submitting.
  document.addEventListener("submit", function (e) {
    var question = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) e.preventDefault();
  });
})();
