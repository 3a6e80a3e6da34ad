/* Customer Mapping Tool: search, sort and page through the server; map and unmap in place.
 *
 * Rows come from /api/mapping/customers as JSON and are built with hub.el (textContent only).
 * renderRow mirrors templates/mapping/_row.html. Suggested matches live in mapping_suggestions.js.
 */
(function () {
  "use strict";

  var root, tbody, canChange, state, loadSeq = 0, editor = null;

  function urlFor(template, id) { return template.replace(/\/0(\/|$)/, "/" + id + "$1"); }

  function badge(status, label) { return hub.el("span", { "class": "badge badge-" + status, text: label }); }

  function renderRow(row) {
    var org = hub.el("td", { "class": "c-org" });
    if (row.status === "not_mapped") {
      org.appendChild(canChange
        ? hub.el("button", { type: "button", "class": "org-pick", "aria-label": "Map " + row.name + " to an Organization",
                             text: "Choose an Organization…" })
        : hub.el("span", { "class": "muted", text: "—" }));
    } else {
      org.appendChild(row.organization
        ? hub.el("a", { "class": "org-link", href: urlFor(root.dataset.orgUrl, row.organization.id), text: row.organization.name })
        : hub.el("span", { "class": "muted", text: "—" }));
      if (canChange) {
        org.appendChild(document.createTextNode(" "));
        org.appendChild(hub.el("button", { type: "button", "class": "unmap", "aria-label": "Unmap " + row.name,
                                           title: "Unmap", text: "×" }));
      }
    }
    var licenses = hub.el("td", { "class": "c-lic" });
    row.licenses.forEach(function (lic) {
      // the SKU's name (a Pax8 SKU is a product id), its key on hover; the count's extra (billing terms) below
      licenses.appendChild(hub.el("span", { "class": "lic", title: lic.sku + (lic.details ? " · " + lic.details : "") },
                                  (lic.name || lic.sku) + ": " + lic.quantity,
                                  lic.details ? hub.el("small", { "class": "lic-extra", text: lic.details }) : null));
    });
    if (row.count_error) {
      licenses.appendChild(hub.el("span", { "class": "lic lic-error", title: row.count_error, text: "counts failed" }));
    }
    var sub = row.external_id + (row.domain ? " · " + row.domain : "");
    return hub.el("tr", { "data-id": row.id, "data-status": row.status },
      hub.el("td", { "class": "c-name" }, hub.el("span", { "class": "cust-name", text: row.name }),
             hub.el("span", { "class": "sub", text: sub })),
      hub.el("td", { "class": "c-status" }, badge(row.status, row.status_label)),
      org,
      hub.el("td", { "class": "c-vstatus", text: row.vendor_status }),
      licenses);
  }

  function updateCounts(counts) {
    if (!counts) return;
    Object.keys(counts).forEach(function (key) {
      var node = root.querySelector('[data-count="' + key + '"]');
      if (node) node.textContent = counts[key];
    });
  }

  function renderPager(page) {
    var box = document.getElementById("mapping-pager");
    if (!page.total) { box.replaceChildren(); return; }
    var nav = hub.el("nav", { "class": "pager", "aria-label": "Mapping pages" },
      hub.el("span", { "class": "pager-info", text: page.first_item + "–" + page.last_item + " of " + page.total }));
    if (page.page > 1) nav.appendChild(hub.el("a", { href: "#", rel: "prev", "data-page": page.page - 1, text: "‹ Previous" }));
    nav.appendChild(hub.el("span", { "class": "pager-current", text: "Page " + page.page + " of " + page.pages }));
    if (page.page < page.pages) nav.appendChild(hub.el("a", { href: "#", rel: "next", "data-page": page.page + 1, text: "Next ›" }));
    box.replaceChildren(nav);
  }

  function renderSortHeaders() {
    root.querySelectorAll("th[data-sort]").forEach(function (th) {
      var active = th.dataset.sort === state.sort;
      th.setAttribute("aria-sort", active ? (state.dir === "asc" ? "ascending" : "descending") : "none");
      th.querySelector(".sort-ind").textContent = active ? (state.dir === "asc" ? "▲" : "▼") : "";
    });
  }

  function params() {
    return new URLSearchParams({ vendor: state.vendor, q: state.q, status: state.status, sort: state.sort,
                                 dir: state.dir, page: String(state.page), per_page: state.per_page });
  }

  /* withCounts: also refresh the Mapped / Not mapped / Detached totals (after changes and on a filter
   * change, when a sync may have moved them; not for sorting or paging) */
  function load(withCounts) {
    var mine = ++loadSeq;
    var query = params();
    if (withCounts) query.set("counts", "1");
    root.setAttribute("aria-busy", "true");
    return hub.api("GET", root.dataset.apiCustomers + "?" + query).then(function (data) {
      if (mine !== loadSeq) return;  // a newer search answered first
      closeEditor();
      tbody.replaceChildren.apply(tbody, data.rows.map(renderRow));
      document.getElementById("mapping-empty").classList.toggle("hidden", data.rows.length > 0);
      state.page = data.page.page;
      updateCounts(data.counts);
      renderPager(data.page);
      renderSortHeaders();
      history.replaceState(null, "", location.pathname + "?" + params());
    }).catch(function (err) {
      if (mine === loadSeq) hub.flash(err.message, "error");
    }).finally(function () {
      if (mine === loadSeq) root.removeAttribute("aria-busy");
    });
  }

  /* -- mapping: the Organization editor (an ARIA combobox) ------------------------------------ */

  function closeEditor(restore) {
    if (!editor) return;
    var current = editor;
    editor = null;
    if (restore !== false && current.td.isConnected) current.td.replaceChildren.apply(current.td, current.saved);
  }

  function openEditor(td) {
    closeEditor();
    var tr = td.closest("tr");
    var id = tr.dataset.id;
    var name = tr.querySelector(".cust-name").textContent;
    var listId = "org-options-" + id;
    var input = hub.el("input", { type: "text", "class": "org-input", role: "combobox", "aria-autocomplete": "list",
                                  "aria-expanded": "false", "aria-controls": listId, autocomplete: "off",
                                  "aria-label": "Organization for " + name, placeholder: "Type an Organization name" });
    var list = hub.el("ul", { id: listId, role: "listbox", "class": "org-options", "aria-label": "Organizations" });
    var message = hub.el("p", { "class": "field-error hidden", role: "alert" });
    editor = { td: td, tr: tr, id: id, name: name, input: input, list: list, message: message, options: [],
               active: -1, seq: 0, saved: Array.prototype.slice.call(td.childNodes) };
    td.replaceChildren(hub.el("div", { "class": "org-editor" }, input, list, message));
    input.addEventListener("input", hub.debounce(fetchOptions, 120));
    input.addEventListener("keydown", onEditorKey);
    input.addEventListener("blur", function () {
      var mine = editor;
      setTimeout(function () { if (mine && editor === mine && !mine.busy) closeEditor(); }, 150);
    });
    input.focus();
    fetchOptions();
  }

  function fetchOptions() {
    if (!editor) return;
    var mine = editor, seq = ++editor.seq, typed = editor.input.value;
    var url = root.dataset.apiOrganizations + "?" + new URLSearchParams({ q: typed });
    hub.api("GET", url).then(function (data) {
      if (editor !== mine || seq !== mine.seq) return;
      if (typed === mine.shownQuery && !mine.enterPending) return;  // the list shown already answers this text
      mine.options = data.organizations.map(function (o) {
        return { kind: "org", id: o.id, label: o.name, hint: o.domain };
      });
      // the new Organization takes what was typed; with nothing typed, the vendor customer's name
      var newName = typed.trim() || mine.name;
      mine.options.push({ kind: "create", name: newName, label: "Create Organization “" + newName + "”" });
      mine.active = typed.trim() && mine.options.length > 1 ? 0 : -1;
      mine.shownQuery = typed;
      hideEditorError();
      renderOptions();
      if (mine.enterPending) {  // Enter came before the answer for what was typed: take its best match
        mine.enterPending = false;
        enterChoice();
      }
    }).catch(function (err) { showEditorError(err.message); });
  }

  function renderOptions() {
    var e = editor;
    e.list.replaceChildren.apply(e.list, e.options.map(function (option, n) {
      var li = hub.el("li", { id: e.list.id + "-" + n, role: "option", "class": "org-option" + (option.kind === "create" ? " create" : ""),
                              "aria-selected": n === e.active ? "true" : "false" },
        hub.el("span", { text: option.label }), option.hint ? hub.el("span", { "class": "hint", text: option.hint }) : null);
      li.addEventListener("mousedown", function (event) { event.preventDefault(); choose(option); });
      return li;
    }));
    e.input.setAttribute("aria-expanded", e.options.length ? "true" : "false");
    if (e.active >= 0) {
      e.input.setAttribute("aria-activedescendant", e.list.id + "-" + e.active);
      var node = document.getElementById(e.list.id + "-" + e.active);
      if (node && node.scrollIntoView) node.scrollIntoView({ block: "nearest" });
    } else {
      e.input.removeAttribute("aria-activedescendant");
    }
  }

  function onEditorKey(event) {
    var e = editor;
    if (!e) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!e.options.length) return;
      var step = event.key === "ArrowDown" ? 1 : -1;
      e.active = Math.min(Math.max(e.active + step, 0), e.options.length - 1);
      renderOptions();
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (e.shownQuery !== e.input.value) {  // the list is for older text: ask now, choose when it answers
        e.enterPending = true;
        fetchOptions();
      } else {
        enterChoice();
      }
    } else if (event.key === "Escape") {
      event.preventDefault();
      var td = e.td;
      closeEditor();
      var button = td.querySelector("button");
      if (button) button.focus();
    }
  }

  /* Enter: take the highlighted option; with no match, say so and highlight "Create" (Enter again creates) */
  function enterChoice() {
    var e = editor;
    if (e.active >= 0 && e.options[e.active]) { choose(e.options[e.active]); return; }
    var typed = e.input.value.trim();
    if (!typed) return;
    e.active = e.options.length - 1;  // the Create option is always last
    renderOptions();
    showEditorError("No Organization matches “" + typed + "”. Press Enter again to create it, or keep typing.");
  }

  function hideEditorError() {
    if (!editor) return;
    editor.message.textContent = "";
    editor.message.classList.add("hidden");
  }

  function showEditorError(text) {
    if (!editor) return;
    editor.message.textContent = text;
    editor.message.classList.remove("hidden");
  }

  function replaceRow(tr, data, focusSelector) {
    updateCounts(data.counts);
    if (data.removed) {
      // a row left the table: reload the page so the pager, the counts and (when it was the last) the
      // empty-state message are true, not stale
      tr.remove();
      load(true).then(function () {
        var empty = document.getElementById("mapping-empty");
        if (!tbody.rows.length) empty.focus();
      });
      return;
    }
    var fresh = renderRow(data.row);
    fresh.classList.add("just-changed");
    tr.replaceWith(fresh);
    var target = fresh.querySelector(focusSelector);
    if (target) target.focus();
  }

  function choose(option) {
    var e = editor;
    e.busy = true;
    var request = option.kind === "create"
      ? hub.api("POST", urlFor(root.dataset.apiCreate, e.id), { name: option.name })
      : hub.api("POST", urlFor(root.dataset.apiMap, e.id), { organization_id: option.id });
    request.then(function (data) {
      closeEditor(false);
      replaceRow(e.tr, data, ".unmap");
    }).catch(function (err) {
      e.busy = false;
      showEditorError(err.message);
      e.input.focus();
    });
  }

  /* -- unmapping: the X, then the red X to confirm --------------------------------------------- */

  function askUnmap(button) {
    var td = button.closest("td");
    var tr = td.closest("tr");
    var name = tr.querySelector(".cust-name").textContent;
    var confirm = hub.el("button", { type: "button", "class": "unmap-confirm", text: "×",
                                     "aria-label": "Confirm: unmap " + name, title: "Click to confirm unmapping" });
    button.replaceWith(confirm);
    confirm.focus();
    function cancel() { if (confirm.isConnected && !confirm.disabled) confirm.replaceWith(button); }
    confirm.addEventListener("blur", function () { setTimeout(cancel, 150); });
    confirm.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { cancel(); button.focus(); }
    });
    confirm.addEventListener("click", function () {
      confirm.disabled = true;
      hub.api("POST", urlFor(root.dataset.apiUnmap, tr.dataset.id)).then(function (data) {
        replaceRow(tr, data, ".org-pick");
      }).catch(function (err) {
        confirm.disabled = false;
        cancel();
        hub.flash(err.message, "error");
      });
    });
  }

  /* -- wiring ---------------------------------------------------------------------------------- */

  document.addEventListener("DOMContentLoaded", function () {
    root = document.getElementById("mapping");
    if (!root) return;
    tbody = document.querySelector("#mapping-table tbody");
    canChange = root.dataset.canChange === "1";
    var form = document.getElementById("mapping-filters");
    var field = function (name) { return form.elements[name]; };
    state = { vendor: root.dataset.vendor, q: field("q").value, status: field("status").value,
              sort: field("sort").value, dir: field("dir").value, per_page: field("per_page").value,
              page: Number(new URLSearchParams(location.search).get("page") || 1) };

    field("vendor").addEventListener("change", function () {
      location.assign(location.pathname + "?" + new URLSearchParams({ vendor: field("vendor").value }));
    });
    field("q").addEventListener("input", hub.debounce(function () { state.q = field("q").value; state.page = 1; load(true); }, 200));
    ["status", "per_page"].forEach(function (name) {
      field(name).addEventListener("change", function () { state[name] = field(name).value; state.page = 1; load(true); });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      state.q = field("q").value; state.page = 1; load(true);
    });

    root.querySelectorAll("th[data-sort] a.sort").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var key = link.closest("th").dataset.sort;
        state.dir = state.sort === key && state.dir === "asc" ? "desc" : "asc";
        state.sort = key;
        field("sort").value = state.sort; field("dir").value = state.dir;
        state.page = 1;
        load();
      });
    });
    document.getElementById("mapping-pager").addEventListener("click", function (event) {
      var link = event.target.closest("a[data-page]");
      if (!link) return;
      event.preventDefault();
      state.page = Number(link.dataset.page);
      load();
    });

    tbody.addEventListener("click", function (event) {
      if (!canChange) return;
      var target = event.target;
      if (target.closest(".unmap")) { askUnmap(target.closest(".unmap")); return; }
      if (target.closest(".org-editor") || target.closest(".unmap-confirm") || target.closest("a")) return;
      var td = target.closest("td.c-org");
      if (td && td.closest("tr").dataset.status === "not_mapped") openEditor(td);
    });

    // for mapping_suggestions.js
    hub.mapping = { root: root, load: load, vendor: function () { return state.vendor; } };
  });
})();
