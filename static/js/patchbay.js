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

// Live tables: an element with data-refresh-every="10" gets htmx's "refresh" event (its
// hx-trigger) every 10 s while the tab is visible, and at once when a hidden tab is shown again.
// In script, not in an hx-trigger filter: htmx would need eval for that, which the CSP forbids.
htmx.onLoad((root) => {
  const live = [root, ...root.querySelectorAll("[data-refresh-every]")];
  for (const element of live) {
    const seconds = Number(element.dataset && element.dataset.refreshEvery);
    if (!seconds || element.patchbayRefresh) continue;
    element.patchbayRefresh = setInterval(() => {
      if (!element.isConnected) clearInterval(element.patchbayRefresh);
      else if (document.visibilityState === "visible") htmx.trigger(element, "refresh");
    }, seconds * 1000);
  }
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState !== "visible") return;
  for (const element of document.querySelectorAll("[data-refresh-every]")) {
    htmx.trigger(element, "refresh");
  }
});
