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
  // A tap (any request that changes something) clears the messages of earlier taps; its own
  // answer brings its message. Live re-reads (GETs) carry only new messages, never a blank.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var config = event.detail.requestConfig;
    var messages = document.getElementById("messages");
    if (messages && config && config.verb !== "get") messages.replaceChildren();
  });
  // >>> screens (issue 14): "moves on at 21:05 (in 3:12)" counts down; an undo goes at zero.
  function countdowns() {
    document.querySelectorAll("time[data-countdown]").forEach(function (time) {
      var left = Math.round((Date.parse(time.getAttribute("datetime")) - Date.now()) / 1000);
      var shown = time.parentNode.querySelector(".countdown");
      if (!shown) return;
      var expiring = time.closest("[data-expires]");
      if (left <= 0 && expiring) { expiring.hidden = true; return; }
      if (left <= 0) { shown.textContent = " (moving now)"; return; }
      var seconds = String(left % 60).padStart(2, "0");
      shown.textContent = " (in " + Math.floor(left / 60) + ":" + seconds + ")";
    });
  }
  setInterval(countdowns, 1000);
  document.addEventListener("htmx:afterSettle", countdowns);
  document.addEventListener("DOMContentLoaded", countdowns);
  // The quote's rate below the floor: the warning and the reason box right there, as typed.
  document.addEventListener("input", function (event) {
    var rate = event.target;
    if (!rate.matches || !rate.matches("input[data-floor]")) return;
    var below = parseFloat(rate.value) < parseFloat(rate.getAttribute("data-floor"));
    var form = rate.closest("form");
    var warning = form.querySelector("[data-below-floor]");
    var reason = form.querySelector("textarea[name=reason]");
    if (warning) warning.hidden = !below;
    if (reason) reason.required = below;
  });
  // An open card follows its changes: a stream message re-reads it, except the sync that
  // follows the page's own render (a swap then could take away the form being tapped).
  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    var signal = event.target;
    if (!signal.matches || !signal.matches("[data-live-target]")) return;
    event.preventDefault(); // the message only signals: nothing to swap in
    if (event.detail.data === "sync" && !signal.hasAttribute("data-synced")) {
      signal.setAttribute("data-synced", "");
      return;
    }
    htmx.trigger(signal.getAttribute("data-live-target"), "frontline:changed");
  });
  // <<< screens
})();
