// Starts Swagger UI on /api/v1/docs with the hub's own OpenAPI document (a file, so the CSP needs no inline script).
document.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("api-reference");
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    persistAuthorization: false,
    tryItOutEnabled: false
  });
});
