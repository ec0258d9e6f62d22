// The service worker: keeps today's copy of the Today page (until midnight) and the styles and scripts it needs;
// every other page needs a connection and, without one, gets the offline page. Its settings (the shell's
// addresses, which are hashed in production) come first in /sw.js, from the server (ocit.views.service_worker).
import { registerRoute, setCatchHandler } from "workbox-routing";
import { NetworkFirst, NetworkOnly, StaleWhileRevalidate } from "workbox-strategies";

const SHELL = "ocit-shell";
const TODAY = "ocit-today";
const { shell, offline, today } = self.OCIT;

function localDay(moment) {
  return moment.toLocaleDateString("en-CA"); // YYYY-MM-DD on the device's clock
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.addAll([...shell, offline]))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name !== SHELL && name !== TODAY) {
          await caches.delete(name);
        }
      }
      await self.clients.claim();
    })(),
  );
});

// Only the Today page itself is kept (it says so with X-Kept-Offline, its day); a copy from another day is gone.
const keptToday = {
  cacheWillUpdate: async ({ response }) =>
    response.status === 200 && !response.redirected && response.headers.has("X-Kept-Offline") ? response : null,
  cachedResponseWillBeUsed: async ({ cacheName, request, cachedResponse }) => {
    if (!cachedResponse) {
      return null;
    }
    if (cachedResponse.headers.get("X-Kept-Offline") === localDay(new Date())) {
      return cachedResponse;
    }
    await (await caches.open(cacheName)).delete(request);
    return null;
  },
};

registerRoute(
  ({ request, url }) => request.mode === "navigate" && url.pathname === today,
  new NetworkFirst({ cacheName: TODAY, networkTimeoutSeconds: 5, plugins: [keptToday] }),
);
registerRoute(
  ({ url }) => url.origin === self.location.origin && url.pathname.startsWith("/static/"),
  new StaleWhileRevalidate({ cacheName: SHELL }),
);
registerRoute(({ request }) => request.mode === "navigate", new NetworkOnly());

setCatchHandler(async ({ request }) => {
  if (request.mode === "navigate") {
    return (await caches.match(offline, { cacheName: SHELL })) || Response.error();
  }
  return Response.error();
});
