// Irreversible acts ask first: a form with data-confirm="..." opens the page's confirmation dialog on submit and
// is sent only when the clerk confirms. Listening in the capture phase stops htmx from sending it before that.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.dataset.confirm || form.dataset.confirmed === "1") return;
  event.preventDefault();
  event.stopImmediatePropagation();
  const dialog = document.getElementById("confirm-dialog");
  dialog.querySelector("[data-confirm-title]").textContent = form.dataset.confirmTitle || "";
  dialog.querySelector("[data-confirm-text]").textContent = form.dataset.confirm;
  const yes = dialog.querySelector("[data-test=confirm-yes]");
  yes.textContent = form.dataset.confirmButton || yes.dataset.default;
  dialog.onclose = () => {
    if (dialog.returnValue !== "yes") return;
    form.dataset.confirmed = "1";
    form.requestSubmit(event.submitter || undefined);
    delete form.dataset.confirmed;
  };
  dialog.returnValue = "";
  dialog.showModal();
  yes.focus();
}, true);
