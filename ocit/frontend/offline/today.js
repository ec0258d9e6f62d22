// Today: visits and goal updates recorded here go into the outbox first, then to the API when there is a
// connection, each with its own Idempotency-Key (the outbox id), so sending again never records twice. What the
// server refuses (the episode was closed, the goal changed) stays in the outbox as a conflict until the
// practitioner deals with it: nothing is dropped.
import { forget, keep, outbox } from "./store.js";

const root = document.querySelector("[data-today]");
const user = root.dataset.user;
const csrf = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
let sending = false;
let stopped = "";

function setError(form, name, message) {
  const error = form.querySelector(`[data-error="${name}"]`);
  if (!error) {
    return false;
  }
  const group = error.closest(".nhsuk-form-group");
  group.classList.toggle("nhsuk-form-group--error", Boolean(message));
  error.hidden = !message;
  error.innerHTML = message ? `<span class="nhsuk-u-visually-hidden">Error:</span> ` : "";
  error.append(message || "");
  for (const input of group.querySelectorAll("input, textarea")) {
    input.classList.toggle("nhsuk-input--error", Boolean(message) && input.tagName === "INPUT");
    input.classList.toggle("nhsuk-textarea--error", Boolean(message) && input.tagName === "TEXTAREA");
  }
  return Boolean(message);
}

function wholeNumber(value, lowest, highest) {
  const text = String(value).trim();
  const number = Number(text);
  return /^\d+$/.test(text) && number >= lowest && number <= highest ? number : null;
}

// The request a form makes, or null (with the errors shown) when it is not complete.
function requestFor(form) {
  const values = new FormData(form);
  if (form.dataset.offline === "goal") {
    return { method: "PATCH", body: { status: values.get("status"), version: Number(form.dataset.version) } };
  }
  const hour = wholeNumber(values.get("hour"), 0, 23);
  const minute = wholeNumber(values.get("minute"), 0, 59);
  const duration = wholeNumber(values.get("duration_minutes"), 0, 24 * 60);
  const notes = String(values.get("notes") || "");
  const at = hour === null || minute === null ? null : new Date(`${form.dataset.day}T${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}:00`);
  let invalid = setError(form, "at", at === null ? "Enter the time of the visit as an hour from 0 to 23 and a minute from 0 to 59" : at > new Date() ? "The time of the visit must be now or earlier today" : "");
  invalid = setError(form, "duration_minutes", duration === null ? "Enter how long the visit took in whole minutes, from 0 to 1440" : "") || invalid;
  invalid = setError(form, "notes", notes.length > 4000 ? `Keep the notes to 4000 characters or fewer (they have ${notes.length})` : "") || invalid;
  if (invalid) {
    form.querySelector(".nhsuk-form-group--error input, .nhsuk-form-group--error textarea")?.focus();
    return null;
  }
  const body = { at: at.toISOString(), duration_minutes: duration, location: values.get("location"), attended: true, notes };
  if (form.dataset.keyworker) {
    body.keyworker = Number(form.dataset.keyworker); // refused if the episode is reallocated before it is sent
  }
  return { method: "POST", body };
}

function describe(status, problem) {
  const fields = Object.entries(problem.errors || {}).map(([field, messages]) => `${field}: ${[].concat(messages).join(" ")}`);
  const detail = [problem.detail, ...fields].filter(Boolean).join(" ");
  return detail || `The server refused it (${status}).`;
}

async function send() {
  if (sending || !navigator.onLine) {
    return;
  }
  sending = true;
  stopped = "";
  try {
    for (const item of await outbox(user)) {
      if (item.state !== "waiting") {
        continue;
      }
      let response;
      try {
        response = await fetch(item.url, {
          method: item.method,
          credentials: "same-origin",
          redirect: "error",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Idempotency-Key": item.id },
          body: JSON.stringify(item.body),
        });
      } catch {
        break; // no connection after all: try again when it is back
      }
      if (response.ok) {
        await forget(item.id);
        continue;
      }
      if (response.status === 401 || response.status === 403) {
        stopped = "Your session has ended: log in again and open Today to send these.";
        break;
      }
      if (response.status >= 500 || response.status === 429) {
        stopped = "The service is not answering: these are sent when it is back.";
        break;
      }
      const problem = await response.json().catch(() => ({}));
      await keep({ ...item, state: "conflict", problem: describe(response.status, problem), reallocated: "keyworker" in problem });
    }
  } finally {
    sending = false;
    await show();
  }
}

function conflictItem(item) {
  const li = document.createElement("li");
  li.className = "app-outbox__conflict";
  const title = document.createElement("p");
  title.innerHTML = "<strong>Not recorded:</strong> ";
  title.append(item.label);
  const reason = document.createElement("p");
  reason.textContent = item.problem;
  const what = document.createElement("p");
  what.textContent = item.reallocated
    ? "If the visit happened, record it anyway; otherwise remove it from this device."
    : item.kind === "contact"
      ? "Check the episode: if this visit still needs recording, record it there (the notes are below), then remove it from this device."
      : "Check the goal on the episode page and update it there, then remove this from the device.";
  const episode = document.createElement("a");
  episode.href = item.episode_url;
  episode.textContent = "Open the episode";
  li.append(title, reason, what, episode);
  if (item.body.notes) {
    const notes = document.createElement("blockquote");
    notes.className = "app-outbox__notes";
    notes.textContent = item.body.notes;
    li.append(notes);
  }
  const remove = document.createElement("button");
  remove.className = "nhsuk-button nhsuk-button--secondary";
  remove.type = "button";
  remove.textContent = "Remove from this device";
  remove.addEventListener("click", async () => {
    await forget(item.id);
    await show();
  });
  if (item.reallocated) {
    const anyway = document.createElement("button");
    anyway.className = "nhsuk-button";
    anyway.type = "button";
    anyway.textContent = "Record it anyway";
    anyway.addEventListener("click", async () => {
      const { keyworker, ...body } = item.body;
      await forget(item.id);
      await keep({ ...item, id: crypto.randomUUID(), body, state: "waiting", problem: "", reallocated: false });
      await show();
      await send();
    });
    li.append(anyway, " ");
  }
  li.append(remove);
  return li;
}

async function show() {
  const items = await outbox(user);
  const waiting = items.filter((item) => item.state === "waiting").length;
  const conflicts = items.filter((item) => item.state === "conflict");
  document.getElementById("outbox").hidden = items.length === 0;
  document.getElementById("outbox-heading").textContent = conflicts.length
    ? `Waiting to send (${waiting}), not recorded (${conflicts.length})`
    : `Waiting to send (${waiting})`;
  document.getElementById("outbox-help").textContent = stopped || "Kept on this device. It is sent as soon as there is a connection: leave this page open, or come back to it.";
  document.getElementById("outbox-conflicts").replaceChildren(...conflicts.map(conflictItem));
}

function showConnection() {
  const state = document.getElementById("today-connection");
  state.textContent = navigator.onLine ? state.dataset.online : state.dataset.offline;
  state.classList.toggle("app-connection-state--offline", !navigator.onLine);
}

function wire(form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const request = requestFor(form);
    if (request === null) {
      return;
    }
    const kind = form.dataset.offline;
    if (kind === "goal") {
      // A second change to the same goal before the first is sent replaces it: the goal ends as last set.
      for (const item of await outbox(user)) {
        if (item.state === "waiting" && item.url === form.dataset.url) {
          await forget(item.id);
        }
      }
    }
    await keep({
      id: crypto.randomUUID(),
      user,
      kind,
      label: form.dataset.label,
      url: form.dataset.url,
      episode_url: form.dataset.episodeUrl,
      kept_at: new Date().toISOString(),
      state: "waiting",
      ...request,
    });
    form.querySelector(".app-offline-form__result").textContent = navigator.onLine ? "Sending…" : "Kept on this device: it is sent when you are back online.";
    if (kind === "contact") {
      form.querySelector("textarea").value = "";
    }
    await show();
    await send();
    if (navigator.onLine) {
      form.querySelector(".app-offline-form__result").textContent = "";
    }
  });
}

// A card's visit form: the page's one <template>, for this episode and patient, at the time it is opened.
function visitForm(details) {
  const form = document.getElementById("visit-form").content.firstElementChild.cloneNode(true);
  for (const element of form.querySelectorAll("[id], [for], [aria-describedby]")) {
    for (const name of ["id", "for", "aria-describedby"]) {
      if (element.hasAttribute(name)) {
        element.setAttribute(name, element.getAttribute(name).replace("visit-ID", details.dataset.visit));
      }
    }
  }
  const { url, keyworker, episodeUrl, name } = details.dataset;
  Object.assign(form.dataset, { url, keyworker, episodeUrl, label: `Visit to ${name}` });
  const now = new Date();
  form.elements.hour.value = String(now.getHours()).padStart(2, "0");
  form.elements.minute.value = String(now.getMinutes()).padStart(2, "0");
  form.querySelector("[data-with]").textContent = ` with ${name}`;
  wire(form);
  return form;
}

for (const form of root.querySelectorAll("form[data-offline]")) {
  wire(form);
}
function showVisitForm(details) {
  const place = details.querySelector(".nhsuk-details__text");
  if (details.open && !place.firstElementChild) {
    place.append(visitForm(details));
  }
}

for (const details of root.querySelectorAll("details[data-visit]")) {
  details.addEventListener("toggle", () => showVisitForm(details));
  showVisitForm(details); // opened before this script ran
}

window.addEventListener("online", () => {
  showConnection();
  send();
});
window.addEventListener("offline", showConnection);
window.setInterval(send, 30_000);
showConnection();
show().then(send);

// The first time, this page arrived before the service worker was running: keep it now, as it would have, so that
// it opens without a connection later today.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.ready.then(async () => {
    if (!navigator.serviceWorker.controller) {
      const response = await fetch(window.location.pathname, { credentials: "same-origin" });
      if (response.ok && !response.redirected && response.headers.has("X-Kept-Offline")) {
        await (await caches.open("ocit-today")).put(window.location.pathname, response);
      }
    }
    document.documentElement.dataset.offlineReady = "true";
  });
}
