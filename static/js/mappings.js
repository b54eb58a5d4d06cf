// The mapping editor's source-field picker: a click on a catalog path fills the path input the
// person last focused, and fires "input" so the live preview and validation follow.
(() => {
  let lastPathInput = null;
  document.addEventListener("focusin", (event) => {
    if (event.target.matches(".path-input")) lastPathInput = event.target;
  });
  document.addEventListener("click", (event) => {
    const choice = event.target.closest("[data-use-path]");
    if (!choice || !lastPathInput) return;
    lastPathInput.value = choice.dataset.usePath;
    lastPathInput.dispatchEvent(new Event("input", { bubbles: true }));
    lastPathInput.focus();
  });
})();
