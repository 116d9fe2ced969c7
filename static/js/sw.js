// Frontline's service worker: the app shell from the phone, the last pages seen when offline,
// and lock-screen alerts (Web Push). Served at /sw.js with its version and shell filled in.
"use strict";

var VERSION = "__VERSION__";
var SHELL = __SHELL__;
var SHELL_CACHE = "frontline-shell-" + VERSION;
var PAGES = "frontline-pages"; // the last copy of each page opened, for offline (cleared at sign-out)
var OFFLINE = "/offline";

// A new version installs beside the old one and takes over only when no tab uses the old one
// (no skipWaiting): an open page never loses the files it was built with.
self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) { return cache.addAll(SHELL); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("frontline-shell-") === 0 && name !== SHELL_CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("message", function (event) {
  if (event.data === "signed-out") event.waitUntil(caches.delete(PAGES));
});

function isPage(request) {
  return request.mode === "navigate" && request.headers.get("HX-Request") !== "true";
}

// Pages: the network first; offline, the copy kept when it was last opened, else the offline page.
function page(request) {
  return fetch(request).then(function (response) {
    var path = new URL(request.url).pathname;
    if (response.ok && !response.redirected && path !== "/login" && path !== OFFLINE) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { cache.put(request.url, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request.url, { cacheName: PAGES }).then(function (kept) {
      return kept || caches.match(OFFLINE);
    });
  });
}

// Static files carry their content hash in the name: the cached copy is always right.
function staticFile(request) {
  return caches.match(request).then(function (hit) {
    return hit || fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(SHELL_CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/api/") === 0) return; // integrations' JSON: never kept
  if (url.pathname.indexOf("/static/") === 0) event.respondWith(staticFile(request));
  else if (isPage(request)) event.respondWith(page(request));
  // Fragments, streams and the API go to the network as they are: htmx says when they fail.
});

self.addEventListener("push", function (event) {
  var alert = {};
  try { alert = event.data ? event.data.json() : {}; } catch (error) { alert = {}; }
  event.waitUntil(self.registration.showNotification(alert.title || "Frontline", {
    body: alert.body || "A new alert is waiting.",
    tag: alert.tag,
    renotify: true,
    icon: SHELL.filter(function (u) { return u.indexOf("/icons/icon-192") >= 0; })[0],
    data: { url: alert.url || "/" },
  }));
});

// A tap on the notification opens the card: in a Frontline tab already open, else a new one.
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = new URL(event.notification.data.url, self.location.origin).href;
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (tabs) {
    for (var i = 0; i < tabs.length; i++) {
      if (new URL(tabs[i].url).origin === self.location.origin && "navigate" in tabs[i]) {
        return tabs[i].navigate(target).then(function (tab) { return tab && tab.focus(); });
      }
    }
    return self.clients.openWindow(target);
  }));
});
