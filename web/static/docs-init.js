// The API docs page: Swagger UI from the swagger-ui-bundle package, served
// by this server (an offline product: no CDN), started here because the
// page's Content-Security-Policy allows no inline script.
window.addEventListener("load", () => {
  window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
