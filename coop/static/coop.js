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

// A form that creates something is sent once. The server's form_token is the guarantee; this
// spares her the "already submitted" note and keeps the token when she comes Back.
// - A second click while the page is on its way does nothing. htmx forms hold their button with
//   hx-disabled-elt instead (htmx prevents the native submit, so they never count here).
// - The token a form was sent with is kept in that page's history entry: Back (or a reload)
//   loads the page again with a new token, the browser puts back what she typed, and this puts
//   back the token, so sending the same form again is known for what it is.
(function () {
  var SENDING = "data-sending";
  function sentTokens() {
    return (history.state && history.state.coopFormTokens) || {};
  }
  function release(form) {
    form.removeAttribute(SENDING);
    form.removeAttribute("aria-busy");
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var input = form.querySelector('input[name="form_token"]');
    if (event.defaultPrevented || !input) return;
    if (form.hasAttribute(SENDING)) {
      event.preventDefault();
      return;
    }
    form.setAttribute(SENDING, "");
    form.setAttribute("aria-busy", "true");
    setTimeout(function () { release(form); }, 10000);
    var sent = sentTokens();
    sent[form.getAttribute("action")] = input.value;
    history.replaceState(Object.assign({}, history.state, { coopFormTokens: sent }), "");
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[" + SENDING + "]").forEach(release);
  });
  document.addEventListener("DOMContentLoaded", function () {
    var sent = sentTokens();
    document.querySelectorAll('input[name="form_token"]').forEach(function (input) {
      var token = input.form && sent[input.form.getAttribute("action")];
      if (token) input.value = token;
    });
  });
})();

// A button marked data-print prints the page (its print CSS leaves out the menu and buttons).
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-print]");
  if (button) window.print();
});
