// What a practitioner's device keeps for use without a signal (IndexedDB, through idb): only the outbox, the
// visits and goal updates recorded and not yet sent. Today's page itself is kept by the service worker (sw.js).
import { openDB, deleteDB } from "idb";

const DATABASE = "ocit-offline";
export const CACHES = ["ocit-today", "ocit-shell"];

function open() {
  return openDB(DATABASE, 1, {
    upgrade(db) {
      db.createObjectStore("outbox", { keyPath: "id" });
    },
  });
}

export async function outbox(user) {
  const db = await open();
  const items = await db.getAll("outbox");
  db.close();
  return items.filter((item) => item.user === user).sort((a, b) => a.kept_at.localeCompare(b.kept_at));
}

export async function keep(item) {
  const db = await open();
  await db.put("outbox", item);
  db.close();
}

export async function forget(id) {
  const db = await open();
  await db.delete("outbox", id);
  db.close();
}

export async function unsentCount() {
  // Counting must not make the database: on a signed-out page there may be none, and none should be left.
  const names = (await indexedDB.databases()).map((database) => database.name);
  if (!names.includes(DATABASE)) {
    return 0;
  }
  const db = await open();
  const count = await db.count("outbox");
  db.close();
  return count;
}

// Remove what this device keeps: today's page and the shell always; the outbox too unless it still holds something
// not yet sent and `keepUnsent` is set (a session that ended must not lose a visit recorded without a signal).
export async function wipe({ keepUnsent = false } = {}) {
  if ("caches" in window) {
    await Promise.all(CACHES.map((name) => caches.delete(name)));
  }
  if (keepUnsent && (await unsentCount()) > 0) {
    return;
  }
  if ((await indexedDB.databases()).some((database) => database.name === DATABASE)) {
    await deleteDB(DATABASE);
  }
}
