/* Shared helpers for the panel's pages (no build step, no dependencies).
 *
 *   hub.api(method, url, body)  fetch JSON; sends the CSRF token in the X-CSRFToken header;
 *                               rejects with an Error carrying .status, .field and the server's message
 *   hub.el(tag, attrs, ...kids) build an element; text goes in with textContent, never innerHTML
 *   hub.flash(message, kind)    show a message in the page's flash area
 *   hub.debounce(fn, ms)
 * Forms with data-confirm="question" ask before submitting.
 */
(function () {
  "use strict";
  var hub = (window.hub = window.hub || {});

  hub.csrfToken = function () {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  };

  hub.api = function (method, url, body) {
    var headers = { "Accept": "application/json", "X-CSRFToken": hub.csrfToken() };
    var options = { method: method, headers: headers, credentials: "same-origin" };
    if (body instanceof FormData) {
      options.body = body;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var err = new Error(data.error || data.message || ("HTTP " + response.status));
          err.status = response.status;
          err.field = data.field || null;
          err.data = data;
          throw err;
        }
        return data;
      });
    });
  };

  hub.el = function (tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key.slice(0, 2) === "on" && typeof value === "function") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    });
    for (var i = 2; i < arguments.length; i++) {
      var kid = arguments[i];
      if (kid === null || kid === undefined || kid === false) continue;
      node.appendChild(typeof kid === "string" ? document.createTextNode(kid) : kid);
    }
    return node;
  };

  hub.flash = function (message, kind) {
    var area = document.getElementById("flashes");
    if (!area) return;
    var node = hub.el("div", { "class": "flash flash-" + (kind || "info"), role: kind === "error" ? "alert" : "status",
                               text: message });
    area.replaceChildren(node);
  };

  hub.debounce = function (fn, ms) {
    var timer = null;
    return function () {
      var args = arguments, self = this;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(self, args); }, ms);
    };
  };

  // phones: the navigation folds behind the Menu button (without script it simply stays open)
  document.documentElement.classList.add("js");
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest ? event.target.closest(".nav-toggle") : null;
    if (!toggle) return;
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    var nav = document.getElementById(toggle.getAttribute("aria-controls"));
    if (nav) nav.classList.toggle("open", open);
  });

  // a wide table scrolls inside itself on a phone: keyboard users must be able to scroll it too
  function focusableScrollers() {
    document.querySelectorAll("table.grid").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1) table.setAttribute("tabindex", "0");
      else if (table.getAttribute("tabindex") === "0") table.removeAttribute("tabindex");
    });
  }
  document.addEventListener("DOMContentLoaded", focusableScrollers);
  window.addEventListener("resize", hub.debounce(focusableScrollers, 200));

  document.addEventListener("submit", function (event) {
    var form = event.target.closest ? event.target.closest("form[data-confirm]") : null;
    if (form && !window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });
})();
