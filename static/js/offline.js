// Frontline on a phone whose network comes and goes: say what happened, keep every tap.
//  - A tap on a card carries an id made on the phone; offline (or when the session ended) it is
//    kept in localStorage and sent when the network is back; the server records each id once.
//  - A banner says "Offline since 21:04 · 2 taps waiting"; the inbox says when it was updated.
//  - A request that fails says why (offline, server error, refused) and offers a retry.
//  - The service worker is registered; lock-screen alerts can be turned on.
(function () {
  "use strict";
  var QUEUE = "frontline:taps";
  var TAP_PATH = /\/cards\/\d+\/actions$/;
  var offlineSince = navigator.onLine ? null : new Date();
  var inboxUpdated = new Date();
  var sending = false;

  function byId(id) { return document.getElementById(id); }
  function signedIn() { return document.querySelector(".signout") !== null; }
  function clock(date) {
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; }
    catch (error) { return ""; }
  }

  // --- the queue of taps waiting for the network -------------------------------------------
  function waiting() {
    try { return JSON.parse(localStorage.getItem(QUEUE)) || []; } catch (error) { return []; }
  }
  function keep(taps) { localStorage.setItem(QUEUE, JSON.stringify(taps)); showState(); }
  function enqueue(path, formData) {
    var fields = new URLSearchParams();
    formData.forEach(function (value, name) { if (name !== "csrf_token") fields.append(name, value); });
    var taps = waiting().filter(function (t) { return t.id !== fields.get("tap_id"); });
    taps.push({ id: fields.get("tap_id"), path: path, body: fields.toString(), at: Date.now() });
    keep(taps);
  }

  // One tap at a time, oldest first. A tap the server answers (recorded, or refused for good)
  // leaves the queue; a network failure or a server error keeps it for the next try.
  function sendWaiting() {
    var taps = waiting();
    if (sending || !taps.length || !navigator.onLine || !signedIn()) return;
    sending = true;
    var tap = taps[0];
    var body = new URLSearchParams(tap.body);
    body.set("csrf_token", csrfToken());
    fetch(tap.path, {
      method: "POST", body: body, credentials: "same-origin", redirect: "manual",
      headers: { "HX-Request": "true", "X-CSRFToken": csrfToken() },
    }).then(function (response) {
      sending = false;
      var signIn = response.headers.get("HX-Redirect");
      if (signIn) { window.location.href = signIn; return; } // kept: sent after signing in
      if (response.status >= 500) { showState(); return; }
      keep(waiting().filter(function (t) { return t.id !== tap.id; }));
      if (response.status >= 400) fail("A tap kept offline was refused by the server (" + response.status + ").", null);
      if (waiting().length) sendWaiting(); else refresh();
    }).catch(function () { sending = false; showState(); });
  }

  // After the queue is sent, what is on screen is re-read from the server.
  function refresh() {
    var card = byId("card");
    if (card && window.htmx) htmx.ajax("GET", window.location.pathname, { target: card, swap: "outerHTML" });
    document.dispatchEvent(new CustomEvent("frontline:visible"));
  }

  // --- what the banner and the inbox say ----------------------------------------------------
  function showState() {
    var banner = byId("netstate");
    if (!banner) return;
    var count = waiting().length;
    var taps = count === 1 ? "1 tap" : count + " taps";
    var text = "";
    if (offlineSince) text = "Offline since " + clock(offlineSince) + (count ? " · " + taps + " waiting" : "");
    else if (count && !signedIn()) text = taps + " waiting: sent once you sign in";
    else if (count) text = "Sending " + taps + "…";
    banner.textContent = text;
    banner.hidden = !text;
    banner.classList.toggle("offline", !!offlineSince);
    showFreshness();
  }
  function showFreshness() {
    var inbox = byId("inbox");
    if (!inbox) return;
    var note = byId("freshness");
    if (!note) {
      note = document.createElement("p");
      note.id = "freshness";
      note.className = "freshness muted small";
      inbox.parentNode.insertBefore(note, inbox);
    }
    var minutes = Math.floor((Date.now() - inboxUpdated) / 60000);
    var age = minutes < 1 ? "just now" : minutes === 1 ? "1 min ago" : minutes + " min ago";
    note.textContent = offlineSince
      ? "Offline since " + clock(offlineSince) + " · showing the inbox of " + clock(inboxUpdated)
      : "Updated " + age;
  }

  window.addEventListener("offline", function () { offlineSince = new Date(); showState(); });
  window.addEventListener("online", function () { offlineSince = null; hideFailure(); showState(); sendWaiting(); });
  setInterval(function () { showFreshness(); sendWaiting(); }, 20000);

  // --- htmx: tap ids, offline taps, failures ------------------------------------------------
  function isTap(detail) {
    return detail.verb === "post" && TAP_PATH.test(detail.path || "");
  }
  document.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    if (!isTap(detail)) return;
    var formData = detail.formData || new FormData();
    if (!formData.get("tap_id")) detail.parameters.tap_id = newId();
    if (!navigator.onLine) {
      event.preventDefault();
      enqueue(detail.path, detail.formData);
      markKept(detail.elt);
    }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    lastRequest = event.detail.requestConfig; // for the retry button
  });
  var lastRequest = null;

  // The session ended during a tap: keep the tap, then htmx sends the whole page to sign in.
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var config = event.detail.requestConfig;
    var xhr = event.detail.xhr;
    if (config && isTap(config) && /^\/login\b/.test(xhr.getResponseHeader("HX-Redirect") || "")) {
      enqueue(config.path, config.formData);
    }
  });

  document.addEventListener("htmx:sendError", function (event) {
    var config = event.detail.requestConfig;
    if (config && isTap(config)) {
      enqueue(config.path, config.formData);
      markKept(event.detail.elt);
      return;
    }
    fail(navigator.onLine
      ? "Cannot reach Frontline right now."
      : "You are offline: this needs the network.", config);
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    var text = status >= 500
      ? "Something went wrong on the server (" + status + "). Nothing on the phone was lost."
      : status === 404 ? "Not found (404): it may have moved on or been removed."
      : status === 403 ? "Refused (403): your account may not do this."
      : "Refused by the server (" + status + ")" + said(event.detail.xhr);
    fail(text, event.detail.requestConfig);
  });
  document.addEventListener("htmx:timeout", function (event) {
    fail("Frontline did not answer in time.", event.detail.requestConfig);
  });

  // What the refusing page says: its flashed message, or its first paragraph.
  function said(xhr) {
    if (!/html/.test(xhr.getResponseHeader("Content-Type") || "")) return ".";
    var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
    var text = page.querySelector("#messages .flash, main [role=alert], main p");
    return text && text.textContent.trim() ? ": " + text.textContent.trim() : ".";
  }

  function markKept(elt) {
    var form = elt && elt.closest ? elt.closest("form") : null;
    if (form) form.classList.add("kept");
    var live = byId("announce");
    if (live) live.textContent = "Saved on the phone; it will be sent when the network is back.";
  }

  function fail(text, config) {
    var box = byId("failure");
    if (!box) return;
    box.querySelector(".failure-text").textContent = text;
    var retry = box.querySelector(".failure-retry");
    retry.hidden = !config;
    retry.onclick = function () {
      hideFailure();
      if (config) htmx.ajax(config.verb.toUpperCase(), config.path, { source: config.elt, values: config.parameters });
    };
    box.querySelector(".failure-close").onclick = hideFailure;
    box.hidden = false;
  }
  function hideFailure() { var box = byId("failure"); if (box) box.hidden = true; }

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "inbox") { inboxUpdated = new Date(); showFreshness(); }
  });

  // --- the app: service worker, sign-out, lock-screen alerts ---------------------------------
  function registerWorker() {
    if (!("serviceWorker" in navigator)) return Promise.resolve(null);
    return navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { return null; });
  }

  document.addEventListener("submit", function (event) {
    if (!event.target.closest(".signout")) return;
    localStorage.removeItem(QUEUE);
    if (window.caches) caches.delete("frontline-pages");
  });

  function keyBytes(text) {
    var base64 = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(base64), function (c) { return c.charCodeAt(0); });
  }
  function b64url(buffer) {
    return btoa(String.fromCharCode.apply(null, new Uint8Array(buffer)))
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function saveSubscription(subscription) {
    var body = new URLSearchParams({
      endpoint: subscription.endpoint,
      p256dh: b64url(subscription.getKey("p256dh")),
      auth: b64url(subscription.getKey("auth")),
    });
    return fetch("/phone/push-subscription", {
      method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() },
    });
  }
  function offerAlerts(registration) {
    var meta = document.querySelector('meta[name="vapid-key"]');
    var button = byId("push-toggle");
    // Offered where alerts arrive (an inbox), not on every page.
    if (!meta || !button || !byId("inbox") || !registration || !("PushManager" in window)) return;
    if (window.Notification && Notification.permission === "denied") return;
    registration.pushManager.getSubscription().then(function (existing) {
      if (existing) { saveSubscription(existing); return; } // this session's device, kept current
      var offer = button.parentNode;
      offer.hidden = false;
      button.onclick = function () {
        offer.hidden = true;
        registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(meta.content) })
          .then(saveSubscription)
          .catch(function () { fail("Lock-screen alerts could not be turned on in this browser.", null); });
      };
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    showState();
    sendWaiting();
    registerWorker().then(function () {
      if ("serviceWorker" in navigator) navigator.serviceWorker.ready.then(offerAlerts);
    });
  });
})();
