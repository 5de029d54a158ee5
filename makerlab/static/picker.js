// A picker for long lists of people (select[data-picker]): type to narrow the list, tap to
// tick; no Ctrl. Progressive enhancement: the <select> stays the form's field (hidden and
// kept in step), so the form posts the same values and works as before without JavaScript.
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function enhance(select, index) {
    const multiple = select.multiple;
    const label = document.querySelector('label[for="' + select.id + '"]');
    const help = document.getElementById(select.id + "-help");
    const search = document.createElement("input");
    search.type = "search";
    search.className = "form-control ml-picker-search";
    search.autocomplete = "off";
    search.placeholder = select.dataset.pickerPlaceholder || "";
    const originalId = select.id;
    select.id = originalId + "-select";
    search.id = originalId;  // the label now names the search field
    ["aria-describedby", "aria-invalid"].forEach((name) => {
      if (select.getAttribute(name)) search.setAttribute(name, select.getAttribute(name));
    });
    if (select.classList.contains("is-invalid")) search.classList.add("is-invalid");
    if (help && select.dataset.pickerHelp) help.textContent = select.dataset.pickerHelp;

    const list = document.createElement("div");
    list.className = "ml-picker-list border rounded";
    list.id = originalId + "-options";
    list.setAttribute("role", "group");
    if (label) list.setAttribute("aria-label", label.textContent.replace("*", "").trim());
    search.setAttribute("aria-controls", list.id);

    const status = document.createElement("p");
    status.className = "ml-picker-status small text-muted mb-0";
    status.setAttribute("aria-live", "polite");

    const rows = [];
    Array.from(select.options).forEach((option, n) => {
      if (option.value === "" || (option.value === "0" && !multiple)) return;
      const row = document.createElement("label");
      row.className = "ml-picker-option";
      const box = document.createElement("input");
      box.type = multiple ? "checkbox" : "radio";
      box.name = "picker-" + index;  // never posted: the inputs have no form name of their own
      box.setAttribute("form", "ml-picker-none");
      box.className = "form-check-input me-2";
      // A single select shows its first option as chosen; only a real choice counts here.
      box.checked = multiple ? option.selected : option.defaultSelected;
      box.addEventListener("change", () => {
        if (!multiple) Array.from(select.options).forEach((o) => { o.selected = false; });
        option.selected = box.checked;
        select.dispatchEvent(new Event("change", { bubbles: true }));
        update();
      });
      row.append(box, document.createTextNode(option.textContent));
      list.append(row);
      rows.push({ row, box, text: fold(option.textContent) });
    });

    function update() {
      const query = fold(search.value.trim());
      let shown = 0;
      rows.forEach(({ row, box, text }) => {
        const visible = box.checked || query === "" || text.includes(query);
        row.hidden = !visible;
        if (visible) shown += 1;
      });
      const chosen = rows.filter((r) => r.box.checked).length;
      const words = (select.dataset.pickerStatus || "{chosen} chosen · {shown} of {total} shown");
      status.textContent = words.replace("{chosen}", chosen).replace("{shown}", shown)
        .replace("{total}", rows.length);
    }

    search.addEventListener("input", update);
    search.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault();  // Enter in the search never sends the form
      const matches = rows.filter((r) => !r.row.hidden && !r.box.checked);
      if (matches.length === 1) matches[0].box.click();
    });

    if (!multiple && !rows.some((r) => r.box.checked)) select.selectedIndex = -1;
    select.hidden = true;
    select.setAttribute("aria-hidden", "true");
    select.tabIndex = -1;
    select.after(search, list, status);
    update();
  }

  document.querySelectorAll("select[data-picker]").forEach(enhance);
})();
