/* The searchable pickers of the ledgers' lists (templates/publishing/_picker.html), the ARIA combobox pattern:
   typing searches (htmx fills the listbox), ArrowDown/ArrowUp move through the options (aria-activedescendant;
   the focus stays in the text box), Enter or a click chooses one, Escape closes the list (a second Escape puts
   back the chosen entry's label). Choosing fills the hidden input the form sends and is read out. */
(function () {
  "use strict";

  function parts(el) {
    var root = el && el.closest ? el.closest("[data-picker]") : null;
    if (!root) return null;
    return {
      root: root,
      input: root.querySelector("[role=combobox]"),
      list: root.querySelector("[role=listbox]"),
      value: root.querySelector("input[type=hidden]"),
    };
  }

  function options(p) {
    return Array.prototype.slice.call(p.list.querySelectorAll("[role=option]:not([aria-disabled=true])"));
  }

  function number(p) {
    // Unique ids for aria-activedescendant, given again after every search.
    p.list.querySelectorAll("[role=option]").forEach(function (o, i) { o.id = p.list.id + "-" + i; });
  }

  function activate(p, option) {
    p.list.querySelectorAll(".active").forEach(function (o) { o.classList.remove("active"); });
    if (option) {
      option.classList.add("active");
      p.input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      p.input.removeAttribute("aria-activedescendant");
    }
  }

  function open(p) {
    number(p);
    p.list.hidden = false;
    p.input.setAttribute("aria-expanded", "true");
  }

  function close(p) {
    activate(p, null);
    p.list.hidden = true;
    p.input.setAttribute("aria-expanded", "false");
  }

  function choose(p, option) {
    var value = option.getAttribute("data-value") || "";
    var label = value ? option.textContent.trim() : "";
    p.value.value = value;
    p.input.value = label;
    p.input.setAttribute("data-current", label);
    p.list.querySelectorAll("[role=option]").forEach(function (o) {
      o.setAttribute("aria-selected", o === option ? "true" : "false");
    });
    close(p);
    if (window.htmx) window.htmx.trigger(p.input, "htmx:abort");  // a search still under way would open it again
    p.value.dispatchEvent(new Event("change", { bubbles: true }));
    var what = p.root.querySelector("label").textContent.trim();
    if (window.dextAnnounce) window.dextAnnounce(what + ": " + (label || "not set") + " chosen.");
  }

  document.addEventListener("keydown", function (e) {
    if (!e.target.matches || !e.target.matches("[data-picker] [role=combobox]")) return;
    var p = parts(e.target);
    var all = options(p);
    var current = p.list.querySelector(".active");
    var at = all.indexOf(current);
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (p.list.hidden) open(p);
      if (!all.length) return;
      if (e.key === "ArrowDown") at = at < 0 ? 0 : Math.min(at + 1, all.length - 1);
      else at = at < 0 ? all.length - 1 : Math.max(at - 1, 0);
      activate(p, all[at]);
    } else if (e.key === "Enter" && !p.list.hidden && current) {
      e.preventDefault();  // choosing is not saving: a second Enter sends the form
      choose(p, current);
    } else if (e.key === "Escape") {
      if (!p.list.hidden) {
        e.preventDefault();
        close(p);
      } else if (p.input.value !== p.input.getAttribute("data-current")) {
        e.preventDefault();
        p.input.value = p.input.getAttribute("data-current") || "";
      }
    }
  });

  // A picker that arrives with a form (the inbox's Category cell) has the focus as soon as it is in the page, before
  // htmx listens to it: what was typed in that moment is searched for once htmx has set it up.
  document.addEventListener("htmx:load", function (e) {
    var root = e.target;
    if (!root || !root.querySelectorAll) return;
    var inputs = root.matches && root.matches("[data-picker] [role=combobox]") ? [root] : root.querySelectorAll("[data-picker] [role=combobox]");
    Array.prototype.forEach.call(inputs, function (input) {
      if (document.activeElement === input && input.value !== (input.getAttribute("data-current") || "")) {
        htmx.trigger(input, "input");
      }
    });
  });

  // Typing searches: the list opens with the answer (htmx), never with the options of the text before.
  document.addEventListener("htmx:afterSwap", function (e) {
    var p = parts(e.detail.target);
    if (p && e.detail.target === p.list) {
      if (document.activeElement === p.input) open(p);
      else number(p);
    }
  });

  document.addEventListener("focusin", function (e) {
    if (e.target.matches && e.target.matches("[data-picker] [role=combobox]")) e.target.select();
  });
  document.addEventListener("focusout", function (e) {
    if (!e.target.matches || !e.target.matches("[data-picker] [role=combobox]")) return;
    var p = parts(e.target);
    setTimeout(function () { if (document.activeElement !== p.input) close(p); }, 150);
  });

  // The mouse: a click in the text box opens the list; a press on an option chooses it (before the blur).
  document.addEventListener("click", function (e) {
    if (e.target.matches && e.target.matches("[data-picker] [role=combobox]")) open(parts(e.target));
  });
  document.addEventListener("mousedown", function (e) {
    var option = e.target.closest && e.target.closest("[data-picker] [role=option]");
    if (!option || option.getAttribute("aria-disabled") === "true") return;
    e.preventDefault();
    choose(parts(option), option);
  });

  // The inbox's Category cell: after its form is sent (or cancelled) the row comes back, and the focus goes to the
  // row's Category button again, where the person was.
  var refocus = null;
  document.addEventListener("htmx:beforeRequest", function (e) {
    if (e.detail.elt.matches && e.detail.elt.matches("[role=combobox]")) return;  // a search, not a save
    var form = e.detail.elt.closest && e.detail.elt.closest("[data-focus-after]");
    if (form) refocus = form.getAttribute("data-focus-after");
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!refocus) return;
    var target = document.getElementById(refocus);
    if (target && (document.activeElement === document.body || !document.activeElement)) target.focus();
    if (target) refocus = null;
  });
})();
