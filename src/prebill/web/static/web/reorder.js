// Lines in the clerk's order. A table with data-reorder="FORM_ID" holds rows tr[data-line="ID"]: a row is dragged by
// its handle ([data-drag-handle]) and dropped on another line (after it when it went down, before it when it went
// up), or moved one place with Alt+ArrowUp / Alt+ArrowDown while the focus is in it. The new order goes at once to
// the server as the full list of line ids, through the form FORM_ID (it carries the version the page showed, so a
// pre-invoice changed meanwhile refuses it); the page comes back with the moved line's handle (id line-ID) focused.
(() => {
  const rowsOf = (table) => [...table.querySelectorAll("tr[data-line]")];
  const rowAt = (target) => (target && target.closest ? target.closest("table[data-reorder] tr[data-line]") : null);

  function hidden(name, value) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    return input;
  }

  function send(table, moved) {
    const form = document.getElementById(table.dataset.reorder);
    form.querySelectorAll("input[name=line], input[name=moved]").forEach((input) => input.remove());
    rowsOf(table).forEach((row) => form.append(hidden("line", row.dataset.line)));
    form.append(hidden("moved", moved.dataset.line));
    table.setAttribute("aria-busy", "true");
    form.submit();
  }

  let dragged = null;
  document.addEventListener("dragstart", (event) => {
    const row = rowAt(event.target);
    if (!row || !event.target.matches("[data-drag-handle]")) return;
    dragged = row;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", row.dataset.line);
    event.dataTransfer.setDragImage(row, 12, 12);
    row.classList.add("dragging");
  });
  const target = (event) => {
    const row = rowAt(event.target);
    return dragged && row && row !== dragged && row.parentElement === dragged.parentElement ? row : null;
  };
  document.addEventListener("dragover", (event) => {
    const row = target(event);
    if (!row) return;
    event.preventDefault();  // a drop is allowed here
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll("tr.drop-here").forEach((each) => each !== row && each.classList.remove("drop-here"));
    row.classList.add("drop-here");
  });
  document.addEventListener("drop", (event) => {
    const row = target(event);
    if (!row) return;
    event.preventDefault();
    const rows = rowsOf(row.closest("table"));
    if (rows.indexOf(row) > rows.indexOf(dragged)) row.after(dragged); else row.before(dragged);
    send(row.closest("table"), dragged);
  });
  document.addEventListener("dragend", () => {
    document.querySelectorAll("tr.dragging, tr.drop-here").forEach((row) => row.classList.remove("dragging", "drop-here"));
    dragged = null;
  });

  document.addEventListener("keydown", (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey || !["ArrowUp", "ArrowDown"].includes(event.key)) return;
    const row = rowAt(event.target);
    if (!row || event.target.closest("input, textarea, select")) return;  // in a text field the arrows are its own
    event.preventDefault();
    const other = event.key === "ArrowUp" ? row.previousElementSibling : row.nextElementSibling;
    if (!other || !other.matches("tr[data-line]")) return;
    if (event.key === "ArrowUp") other.before(row); else other.after(row);
    (row.querySelector("[data-drag-handle]") || row).focus();
    send(row.closest("table"), row);
  });

  document.addEventListener("DOMContentLoaded", () => {
    const handle = location.hash.startsWith("#line-") ? document.getElementById(location.hash.slice(1)) : null;
    if (handle && handle.matches("[data-drag-handle]")) handle.focus();
  });
})();
