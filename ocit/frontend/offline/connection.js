// On every page: the connection state, the service worker for practitioners only, and nothing kept after sign-out.
import { unsentCount, wipe } from "./store.js";

const body = document.body;
const keepsOffline = body.dataset.keepsOffline === "true";
const signedIn = body.dataset.signedIn === "true";
const sessionUnknown = body.dataset.signedIn === "unknown"; // the offline page: no connection to tell

function showConnection() {
  const banner = document.getElementById("app-connection");
  if (banner) {
    banner.hidden = navigator.onLine;
  }
}
window.addEventListener("online", showConnection);
window.addEventListener("offline", showConnection);
showConnection();

async function unregister() {
  if ("serviceWorker" in navigator) {
    for (const registration of await navigator.serviceWorker.getRegistrations()) {
      await registration.unregister();
    }
  }
}

if (keepsOffline && "serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" });
} else if (sessionUnknown) {
  // Without a connection nobody can say whether the session has ended: keep what the device holds.
} else if (signedIn) {
  // Another role on a device a practitioner used: it keeps nothing of theirs but what is still to be sent.
  unregister().then(() => wipe({ keepUnsent: true }));
} else {
  // Signed out, or the session has ended: today's page goes; a visit not yet sent stays for its practitioner.
  wipe({ keepUnsent: true });
}

// Signing out empties the device (the server's Clear-Site-Data does too); warn first if a visit is still to send.
const signOut = document.querySelector("[data-sign-out]");
if (signOut) {
  signOut.addEventListener("submit", async (event) => {
    if (signOut.dataset.wiped === "true") {
      return;
    }
    event.preventDefault();
    const unsent = await unsentCount();
    const message = `${unsent} record${unsent === 1 ? " is" : "s are"} still waiting to send from this device and will be lost. Log out anyway?`;
    if (unsent > 0 && !window.confirm(message)) {
      return;
    }
    await unregister();
    await wipe();
    signOut.dataset.wiped = "true";
    signOut.submit();
  });
}
