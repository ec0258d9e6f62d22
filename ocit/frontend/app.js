// Start the NHS.UK frontend components; htmx is loaded by its own script tag.
import { initAll } from "./nhsuk-frontend.min.js";

initAll();

// After htmx swaps content in, start the components inside it too.
document.body.addEventListener("htmx:afterSettle", (event) => {
  if (event.target instanceof Element && event.target.isConnected) {
    initAll({ scope: event.target });
  }
});

// The first element matching the earliest selector in the list (not the first in document order).
function first(scope, selectors) {
  for (const selector of selectors) {
    const found = scope.querySelector(selector);
    if (found) {
      return found;
    }
  }
  return null;
}

// When htmx replaces a row or a card (the triage board's allocation, My caseload's contact form), the button
// that was pressed goes with it. Keep keyboard users in place: focus the error or the message in the new
// content or, when the row has left the board, the next row's control (its Allocate) or the page's status message.
function restoreFocus(id, next) {
  const replacement = id ? document.getElementById(id) : null;
  let focus = null;
  if (replacement) {
    focus = first(replacement, [".app-row-error", ".nhsuk-error-summary", ".app-card-message", "select"]);
  } else if (next && next.isConnected) {
    focus = first(next, ["select", ".app-allocate-link", "a"]);
  }
  focus = focus || document.querySelector("#app-messages .app-message");
  if (focus) {
    if (!focus.matches("a, button, input, select, textarea") && !focus.hasAttribute("tabindex")) {
      focus.setAttribute("tabindex", "-1");
    }
    focus.focus();
  }
}

document.body.addEventListener("htmx:beforeSwap", (event) => {
  const target = event.detail.target;
  if (event.detail.shouldSwap && target instanceof Element && target.matches("[data-app-row], .app-cards__item")) {
    const next = target.nextElementSibling || target.previousElementSibling;
    // The swap runs straight after this event; focus once it is done.
    window.setTimeout(() => restoreFocus(target.id, next), 0);
  }
});
