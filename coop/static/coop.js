// Small glue for htmx; every page works without it.
document.addEventListener("DOMContentLoaded", function () {
  if (!window.htmx) return;
  // Fragments answer rule violations with 409/422 and a message worth showing in place.
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "409|422", swap: true, error: false },
    { code: "[45]..", swap: false, error: true },
  ];
  document.body.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector('meta[name="csrf-token"]');
    if (token) event.detail.headers["X-CSRFToken"] = token.content;
  });
});
