// Bulk forms (data-bulk="NAME": the checkboxes named NAME that point at the form with form="ID"): how many are
// ticked and for how much, kept in the confirmation texts ("COUNT ... TOTAL") of the form and of its buttons; the
// header box ticks the page; "all that the filters show" (name=scope) counts what the server counted. Amounts are
// summed in cents.
(() => {
  const euros = new Intl.NumberFormat(document.documentElement.lang || "fr", {style: "currency", currency: "EUR"});
  const boxesOf = (form) => [...document.querySelectorAll(`input[form="${form.id}"][name="${form.dataset.bulk}"]`)];

  function refresh(form) {
    const boxes = boxesOf(form);
    const ticked = boxes.filter((box) => box.checked);
    const scope = form.querySelector("[name=scope]");
    const all = Boolean(scope && scope.checked);
    const count = all ? Number(form.dataset.countAll) : ticked.length;
    const total = all ? form.dataset.totalAll
      : euros.format(ticked.reduce((cents, box) => cents + Math.round(Number(box.dataset.amount) * 100), 0) / 100);
    form.querySelector("[data-selected-count]").textContent = count;
    form.querySelector("[data-selected-total]").textContent = total;
    for (const element of [form, ...form.querySelectorAll("button")]) {
      if (element.dataset.confirmTemplate) {
        element.dataset.confirm = element.dataset.confirmTemplate.replace("COUNT", count).replace("TOTAL", total);
      }
    }
    form.querySelectorAll("button").forEach((button) => { button.disabled = count === 0; });
    boxes.forEach((box) => { box.disabled = all; });
  }

  document.addEventListener("change", (event) => {
    const box = event.target;
    const form = box.form || (box.getAttribute("form") && document.getElementById(box.getAttribute("form")));
    if (!form || !form.dataset.bulk) return;
    if (box.matches("[data-select-page]")) boxesOf(form).forEach((each) => { each.checked = box.checked; });
    refresh(form);
  });
  const start = () => document.querySelectorAll("form[data-bulk]").forEach(refresh);
  document.addEventListener("DOMContentLoaded", start);
  document.addEventListener("htmx:afterSwap", start);
})();
