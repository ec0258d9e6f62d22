// Tell the NHS.UK frontend styles that its JavaScript will run (kept out of the page: CSP forbids inline scripts).
document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("nhsuk-frontend-supported");
}
