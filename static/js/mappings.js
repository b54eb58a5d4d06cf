// The mapping editor's behaviour, kept out of the templates so a strict Content-Security-Policy
// (no inline scripts, no eval: htmx's allowEval off) holds.
(() => {
  const form = () => document.getElementById("mapping-form");
  const draftChanged = () => {
    const mappingForm = form();
    if (mappingForm) mappingForm.dispatchEvent(new Event("change", { bubbles: true }));
  };

  // The source-field picker: a click on a catalog path fills the path input the person last
  // focused, and fires "input" so the live preview and validation follow.
  let lastPathInput = null;
  document.addEventListener("focusin", (event) => {
    if (event.target.matches(".path-input")) lastPathInput = event.target;
  });
  document.addEventListener("click", (event) => {
    const choice = event.target.closest("[data-use-path]");
    if (choice && lastPathInput) {
      lastPathInput.value = choice.dataset.usePath;
      lastPathInput.dispatchEvent(new Event("input", { bubbles: true }));
      lastPathInput.focus();
      return;
    }
    // "Remove" on a custom field's row: the row goes, and the preview follows. The row is hidden
    // and its inputs disabled (so no later preview or save sends it) rather than taken out of the
    // page: a preview already on its way still updates the row's cells, which must be there.
    const remove = event.target.closest("[data-remove-row]");
    if (remove) {
      const row = remove.closest("tr");
      row.hidden = true;
      for (const field of row.querySelectorAll("input, select, textarea, button")) {
        field.disabled = true;
      }
      draftChanged();
    }
  });

  // The note says why; it changes nothing in the preview, so typing it sends no preview (and no
  // request is left in flight, to be cut off, when Save follows at once).
  for (const type of ["input", "change"]) {
    document.addEventListener(
      type,
      (event) => {
        if (event.target.matches && event.target.matches("[data-no-preview]")) event.stopPropagation();
      },
      true,
    );
  }

  // Save waits for a preview in flight (the page leaving would cut it off, and htmx reports a
  // cut-off request as an error), and no preview starts once the form is on its way.
  let previewsInFlight = 0;
  let submitting = false;
  let heldSubmitter = undefined;
  const isPreview = (event) => event.target && event.target.id === "preview";
  document.addEventListener("htmx:beforeRequest", (event) => {
    if (!isPreview(event)) return;
    if (submitting) event.preventDefault();
    else previewsInFlight += 1;
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    if (!isPreview(event)) return;
    previewsInFlight = Math.max(0, previewsInFlight - 1);
    if (heldSubmitter !== undefined && previewsInFlight === 0) {
      const submitter = heldSubmitter;
      heldSubmitter = undefined;
      form().requestSubmit(submitter);
    }
  });
  document.addEventListener("submit", (event) => {
    if (event.target.id !== "mapping-form") return;
    if (previewsInFlight > 0) {
      event.preventDefault();
      heldSubmitter = event.submitter || null;
      return;
    }
    submitting = true;
  });

  // A row swapped back to the system default ("Reset to the system default"): preview again.
  document.addEventListener("htmx:load", (event) => {
    if (event.target.matches && event.target.matches("[data-just-reset]")) draftChanged();
  });
})();
