/* App Center: "Test connection" without leaving the form, and a page that follows a running sync. */
(function () {
  "use strict";

  function testConnection() {
    var form = document.getElementById("config-form");
    var button = document.getElementById("test-button");
    if (!form || !button) return;
    var general = document.getElementById("form-error");
    var result = document.getElementById("test-result");

    function clearErrors() {
      general.classList.add("hidden");
      general.textContent = "";
      result.classList.add("hidden");
      result.textContent = "";
      form.querySelectorAll(".field").forEach(function (field) {
        field.classList.remove("has-error");
        var error = field.querySelector(".field-error");
        if (error) { error.textContent = ""; error.classList.add("hidden"); }
        var input = field.querySelector("input, select, textarea");
        if (input) input.removeAttribute("aria-invalid");
      });
    }

    function showFieldError(name, message) {
      var field = form.querySelector('.field[data-field="' + CSS.escape(name) + '"]');
      if (!field) return false;
      field.classList.add("has-error");
      var error = field.querySelector(".field-error");
      error.textContent = message;
      error.classList.remove("hidden");
      var input = field.querySelector("input, select, textarea");
      if (input) input.setAttribute("aria-invalid", "true");
      return true;
    }

    button.addEventListener("click", function (event) {
      event.preventDefault();
      clearErrors();
      button.disabled = true;
      button.textContent = "Testing…";
      hub.api("POST", button.getAttribute("formaction"), new FormData(form)).then(function (data) {
        result.textContent = "Connection OK: " + data.message + (data.account_name ? " (" + data.account_name + ")" : "");
        result.classList.remove("hidden");
      }).catch(function (err) {
        var errors = (err.data && err.data.errors) || {};
        var unplaced = [];
        Object.keys(errors).forEach(function (name) {
          if (!showFieldError(name, errors[name])) unplaced.push(name + ": " + errors[name]);
        });
        general.textContent = [err.message].concat(unplaced).join(" ");
        general.classList.remove("hidden");
      }).finally(function () {
        button.disabled = false;
        button.textContent = "Test connection";
      });
    });
  }

  function followSync() {
    var box = document.getElementById("sync-status");
    if (!box || !box.dataset.statusUrl) return;
    var watching = box.dataset.running === "1" || new URLSearchParams(location.search).has("started");
    if (!watching) return;
    var lastRunId = Number(box.dataset.lastRunId || 0);
    var tries = 0;
    function poll() {
      tries += 1;
      hub.api("GET", box.dataset.statusUrl).then(function (data) {
        var finished = !data.running && data.last_run && data.last_run.id > lastRunId && data.last_run.status !== "running";
        var stale = !data.running && box.dataset.running === "1";
        if (finished || stale) {
          location.replace(location.pathname);
        } else if (tries < 300) {
          setTimeout(poll, 1000);
        }
      }).catch(function () { if (tries < 300) setTimeout(poll, 3000); });
    }
    setTimeout(poll, 500);
  }

  document.addEventListener("DOMContentLoaded", function () {
    testConnection();
    followSync();
  });
})();
