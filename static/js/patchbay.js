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

// Live tables (class "live-table", hx-trigger="patchbay:refresh") refresh every 10 s while the
// page is visible, and at once when it is shown again. A timer here rather than an hx-trigger
// filter: filters are evaluated code, which the strict Content-Security-Policy forbids.
const LIVE_REFRESH_MS = 10000;

function refreshLiveTables() {
  if (document.visibilityState !== "visible" || typeof htmx === "undefined") return;
  document.querySelectorAll(".live-table").forEach((table) => htmx.trigger(table, "patchbay:refresh"));
}

setInterval(refreshLiveTables, LIVE_REFRESH_MS);
document.addEventListener("visibilitychange", refreshLiveTables);

// On each refresh: a row whose content
// changed since the last refresh flashes briefly, and the reader keeps their focus and scroll
// position, so a refresh never moves the page under them.
let liveSnapshot = null;

// What counts as a change: the row's data-signature (what the server says matters), else its
// text. "2 minutes ago" becoming "3 minutes ago" is not a change worth a flash.
function rowSignature(row) {
  return row.dataset.signature ?? row.textContent.replace(/\s+/g, " ").trim();
}

document.addEventListener("htmx:beforeSwap", (event) => {
  const target = event.detail.target;
  if (!target || !target.classList || !target.classList.contains("live-table")) return;
  if (event.detail.elt !== target) return; // a page link or a filter: a new view, not a refresh
  const rows = new Map();
  target.querySelectorAll("tr[id]").forEach((row) => rows.set(row.id, rowSignature(row)));
  const active = document.activeElement;
  liveSnapshot = {
    id: target.id,
    rows,
    focusId: active && active.id && target.contains(active) ? active.id : null,
    scrollX: window.scrollX,
    scrollY: window.scrollY,
  };
});

document.addEventListener("htmx:afterSettle", () => {
  if (!liveSnapshot) return;
  const snapshot = liveSnapshot;
  liveSnapshot = null;
  const table = document.getElementById(snapshot.id);
  if (!table) return;
  table.querySelectorAll("tr[id]").forEach((row) => {
    const before = snapshot.rows.get(row.id);
    if (before !== undefined && before !== rowSignature(row)) {
      row.classList.add("flash");
      row.addEventListener("animationend", () => row.classList.remove("flash"), { once: true });
      setTimeout(() => row.classList.remove("flash"), 3000);
    }
  });
  if (snapshot.focusId) {
    const focused = document.getElementById(snapshot.focusId);
    if (focused) focused.focus({ preventScroll: true });
  }
  window.scrollTo(snapshot.scrollX, snapshot.scrollY);
});
