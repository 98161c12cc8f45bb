// The static shop's account script: who is signed in comes from the shop's API, and the
// widget learns it through the glue's page API (window.jivoWidget.call queues every jivo_api
// call until Jivo is ready). The HTML itself is the same for every visitor.
(function () {
  "use strict";

  function jivo(method, ...args) {
    if (window.jivoWidget) window.jivoWidget.call(method, ...args);
  }

  function showAccount(me) {
    document.getElementById("account").textContent = me.name;
    document.getElementById("account").hidden = false;
    document.getElementById("sign-out").hidden = false;
    document.getElementById("sign-in").hidden = true;
  }

  fetch("/api/me", { credentials: "same-origin" })
    .then((response) => response.json())
    .then((me) => {
      if (me.clear_history) jivo("clearHistory"); // the first page after signing out
      if (!me.signed_in) return;
      showAccount(me);
      jivo("setUserToken", me.id);
      jivo("setContactInfo", { name: me.name, email: me.email });
      jivo("setCustomData", [{ title: "Plan", content: me.plan }]);
    });

  document.getElementById("sign-out").addEventListener("click", () => {
    fetch("/api/logout", { method: "POST", credentials: "same-origin" })
      .then(() => window.location.assign("/"));
  });

  const form = document.getElementById("sign-in-form");
  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      fetch("/api/login", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(data),
      }).then((response) => {
        if (response.ok) window.location.assign("/");
        else document.getElementById("error").hidden = false;
      });
    });
  }
})();
