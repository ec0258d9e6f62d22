// Start the NHS.UK frontend components; htmx is loaded by its own script tag.
import { initAll } from "./nhsuk-frontend.min.js";

initAll();

// After htmx swaps content in, start the components inside it too.
document.body.addEventListener("htmx:afterSettle", (event) => {
  initAll({ scope: event.target });
});
