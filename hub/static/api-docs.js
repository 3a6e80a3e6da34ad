// Starts Swagger UI on /api/v1/docs with the hub's own OpenAPI document (a file, so the CSP needs no inline script).
document.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("api-reference");
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    persistAuthorization: false,
    tryItOutEnabled: false,
    // tags start folded: with every one of 130-odd operations expanded at once, Swagger UI 5.35 stopped
    // rendering after the third tag (no error); folded, each tag opens its own operations on a click
    docExpansion: "none"
  });
});
