/* The dashboard: fetch the billing figures (they price every count, so they come after the page shows)
 * and put them in place of their placeholder. The fragment is the hub's own escaped template output. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var holder = document.querySelector("[data-fragment]");
    if (!holder) return;
    fetch(holder.getAttribute("data-fragment"), { credentials: "same-origin", headers: { "X-Fragment": "1" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var parsed = new DOMParser().parseFromString(html, "text/html").querySelector("#billing-summary");
        if (parsed) holder.replaceWith(document.importNode(parsed, true));
      })
      .catch(function () {
        holder.removeAttribute("aria-busy");
        var note = holder.querySelector("p");
        if (note) note.firstChild.textContent = "The billing figures could not be loaded. ";
      });
  });
})();
