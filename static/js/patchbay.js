// Copy buttons: <button data-copy-target="#id"> copies that element's text.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copyTarget);
  if (!source) return;
  try {
    await navigator.clipboard.writeText(source.textContent.trim());
    button.textContent = "Copied";
  } catch (error) {
    const range = document.createRange();
    range.selectNodeContents(source);
    window.getSelection().removeAllRanges();
    window.getSelection().addRange(range);
    button.textContent = "Selected: press Ctrl+C";
  }
});

// Request-id search: pasting an id into the box opens it at once, no Enter needed.
document.addEventListener("paste", (event) => {
  const input = event.target.closest("[data-submit-on-paste]");
  if (!input) return;
  setTimeout(() => {
    if (input.value.trim()) input.form.requestSubmit();
  }, 0);
});

// Filter forms marked data-drop-empty leave unset filters out of the URL they push (?q=x, not
// ?status=&system=&q=x), so shared links stay short.
document.addEventListener("htmx:configRequest", (event) => {
  if (!event.target.closest("[data-drop-empty]")) return;
  const params = event.detail.parameters;
  for (const key of Object.keys(params)) {
    if (params[key] === "") delete params[key];
  }
});
