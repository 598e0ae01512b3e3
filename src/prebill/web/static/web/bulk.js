// The month page's selection: how many pre-invoices are ticked and for how much, kept in the bulk form's
// confirmation text ("COUNT ... TOTAL"); the page's header box ticks the page. Amounts are summed in cents.
(() => {
  const euros = new Intl.NumberFormat(document.documentElement.lang || "fr", {style: "currency", currency: "EUR"});

  function refresh(form) {
    const boxes = [...document.querySelectorAll(`input[form="${form.id}"][name=pre_invoice]`)];
    const ticked = boxes.filter((box) => box.checked);
    const all = form.querySelector("[name=scope]").checked;
    const count = all ? Number(form.dataset.countAll) : ticked.length;
    const total = all ? form.dataset.totalAll
      : euros.format(ticked.reduce((cents, box) => cents + Math.round(Number(box.dataset.amount) * 100), 0) / 100);
    form.querySelector("[data-selected-count]").textContent = count;
    form.querySelector("[data-selected-total]").textContent = total;
    form.querySelector("button").disabled = count === 0;
    form.dataset.confirm = form.dataset.confirmTemplate.replace("COUNT", count).replace("TOTAL", total);
    boxes.forEach((box) => { box.disabled = all; });
  }

  document.addEventListener("change", (event) => {
    const box = event.target;
    const form = box.form || (box.getAttribute("form") && document.getElementById(box.getAttribute("form")));
    if (!form || form.id !== "bulk") return;
    if (box.matches("[data-select-page]")) {
      document.querySelectorAll('input[form="bulk"][name=pre_invoice]').forEach((each) => { each.checked = box.checked; });
    }
    refresh(form);
  });
  const start = () => { const form = document.getElementById("bulk"); if (form) refresh(form); };
  document.addEventListener("DOMContentLoaded", start);
  document.addEventListener("htmx:afterSwap", start);
})();
