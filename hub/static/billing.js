/* The billing pages' few interactions (no build step; data never goes in as HTML).
 *
 *   - "Select all" checkboxes (class select-all, data-group="<checkbox name>") tick their group and keep
 *     a [data-selected-count] label up to date.
 *   - The line form shows only the fields of the chosen kind (standard: quantity; vendor: integration,
 *     minimum, hold policy). Without JavaScript every field shows and the server still decides.
 */
(function () {
  "use strict";

  function boxes(form, group) {
    return Array.prototype.slice.call(
      (form || document).querySelectorAll('input[type=checkbox][name="' + group + '"]'));
  }

  function updateCount(scope, group) {
    var label = (scope || document).querySelector("[data-selected-count]");
    if (!label) return;
    var n = boxes(document, group).filter(function (b) { return b.checked; }).length;
    label.textContent = n + " selected";
  }

  function selectAll() {
    document.querySelectorAll("input.select-all[data-group]").forEach(function (all) {
      var group = all.getAttribute("data-group");
      all.addEventListener("change", function () {
        boxes(document, group).forEach(function (b) { b.checked = all.checked; });
        updateCount(document, group);
      });
      boxes(document, group).forEach(function (b) {
        b.addEventListener("change", function () {
          var list = boxes(document, group);
          all.checked = list.length > 0 && list.every(function (x) { return x.checked; });
          updateCount(document, group);
        });
      });
      updateCount(document, group);
    });
  }

  function lineKind() {
    var form = document.getElementById("line-form");
    if (!form) return;
    var checked = form.querySelector('input[name="kind"]:checked');
    if (checked) form.setAttribute("data-kind", checked.value);
    form.querySelectorAll('input[name="kind"]').forEach(function (radio) {
      radio.addEventListener("change", function () {
        if (radio.checked) form.setAttribute("data-kind", radio.value);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    selectAll();
    lineKind();
  });
})();
