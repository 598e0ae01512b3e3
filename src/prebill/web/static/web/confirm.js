// Irreversible acts ask first: a form with data-confirm="..." (or the button that submits it, for a form whose
// buttons do different things) opens the page's confirmation dialog on submit and is sent only when the clerk
// confirms. Listening in the capture phase stops htmx from sending it before that.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const asker = event.submitter && event.submitter.dataset.confirm ? event.submitter : form;
  if (!asker.dataset.confirm || form.dataset.confirmed === "1") return;
  event.preventDefault();
  event.stopImmediatePropagation();
  const dialog = document.getElementById("confirm-dialog");
  dialog.querySelector("[data-confirm-title]").textContent = asker.dataset.confirmTitle || "";
  dialog.querySelector("[data-confirm-text]").textContent = asker.dataset.confirm;
  const yes = dialog.querySelector("[data-test=confirm-yes]");
  yes.textContent = asker.dataset.confirmButton || yes.dataset.default;
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
