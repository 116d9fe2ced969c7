// Frontline on the phone: small touches htmx does not do by itself.
(function () {
  "use strict";
  // A new card buzzes the phone and is announced to screen readers (where the browser allows).
  document.addEventListener("htmx:sseMessage", function (event) {
    var message = event.detail;
    if (!message || message.type !== "inbox" || message.data !== "new") return;
    if (navigator.vibrate) navigator.vibrate([120, 60, 120]);
    var live = document.getElementById("announce");
    if (live) live.textContent = "New alert";
  });
  // The phone comes back to the screen: say so as one event (htmx may not eval a filter, CSP).
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      document.dispatchEvent(new CustomEvent("frontline:visible"));
    }
  });
})();
