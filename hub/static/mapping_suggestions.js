/* Customer Mapping: suggested matches (domain, same name, earlier mappings, similar names), accepted
 * one by one or in bulk. Needs mapping.js (hub.mapping) loaded first.
 */
(function () {
  "use strict";

  function suggestions() {
    var open = document.getElementById("suggest-button");
    if (!open || !hub.mapping) return;
    var root = hub.mapping.root, load = hub.mapping.load;
    var panel = document.getElementById("suggestions");
    var body = document.querySelector("#suggestion-table tbody");
    var all = document.getElementById("suggest-all");
    var acceptSelected = document.getElementById("accept-selected");

    function selected() { return Array.prototype.filter.call(body.querySelectorAll("input[type=checkbox]"), function (c) { return c.checked; }); }
    function refreshButton() { acceptSelected.disabled = selected().length === 0; }

    function accept(rows) {
      var pairs = rows.map(function (tr) { return { customer_id: Number(tr.dataset.customer), organization_id: Number(tr.dataset.organization) }; });
      return hub.api("POST", root.dataset.apiAccept, { pairs: pairs }).then(function (data) {
        var done = {};
        data.mapped.forEach(function (row) { done[row.id] = true; });
        rows.forEach(function (tr) { if (done[tr.dataset.customer]) tr.remove(); });
        hub.flash(data.mapped.length + " mapped" + (data.failed.length ? ", " + data.failed.length + " failed: " + data.failed.map(function (f) { return f.error; }).join("; ") : "") + ".",
                  data.failed.length ? "warning" : "success");
        document.getElementById("suggestions-empty").classList.toggle("hidden", body.children.length > 0);
        refreshButton();
        return load(true);
      }).catch(function (err) { hub.flash(err.message, "error"); });
    }

    open.addEventListener("click", function () {
      panel.classList.remove("hidden");
      body.replaceChildren(hub.el("tr", {}, hub.el("td", { colspan: "6", text: "Looking for matches…" })));
      hub.api("GET", root.dataset.apiSuggestions + "?" + new URLSearchParams({ vendor: hub.mapping.vendor() })).then(function (data) {
        body.replaceChildren.apply(body, data.suggestions.map(function (s) {
          var tr = hub.el("tr", { "data-customer": s.customer_id, "data-organization": s.organization_id });
          var box = hub.el("input", { type: "checkbox", "aria-label": "Select " + s.customer_name + " → " + s.organization_name });
          box.addEventListener("change", refreshButton);
          var one = hub.el("button", { type: "button", "class": "button small", text: "Accept" });
          one.addEventListener("click", function () { accept([tr]); });
          tr.append(hub.el("td", {}, box), hub.el("td", { text: s.customer_name }), hub.el("td", { text: s.organization_name }),
                    hub.el("td", { "class": "num", text: Math.round(s.score * 100) + "%" }),
                    hub.el("td", { "class": "small", text: s.reasons.join("; ") }), hub.el("td", {}, one));
          return tr;
        }));
        document.getElementById("suggestions-empty").classList.toggle("hidden", data.suggestions.length > 0);
        all.checked = false;
        refreshButton();
      }).catch(function (err) { hub.flash(err.message, "error"); });
    });
    all.addEventListener("change", function () {
      body.querySelectorAll("input[type=checkbox]").forEach(function (c) { c.checked = all.checked; });
      refreshButton();
    });
    acceptSelected.addEventListener("click", function () {
      accept(selected().map(function (c) { return c.closest("tr"); }));
    });
    document.getElementById("suggest-close").addEventListener("click", function () { panel.classList.add("hidden"); });
  }

  document.addEventListener("DOMContentLoaded", suggestions);
})();
