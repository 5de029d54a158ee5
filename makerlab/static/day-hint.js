// Under every date field, the chosen day in the house style ("Mo., 1. Feb. 2027"): a native
// date field shows the browser's own format (02/01/2027 in an English browser on a German
// page), which reads both ways. Pattern and names come from makerlab/dates.py (day_pattern),
// handed over on this script's data-pattern, so the hint reads as every page's dates do.
(() => {
  const format = JSON.parse(document.currentScript.dataset.pattern || "null");
  if (!format) return;

  function write(value) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    if (!match) return "";
    const [year, month, day] = match.slice(1).map(Number);
    const weekday = (new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7; // Monday 0
    // CLDR pattern letters; text in quotes is literal ('' is a quote).
    return format.pattern.replace(/'([^']*)'|E+|d+|M+|L+|y+/g, (token, quoted) => {
      if (quoted !== undefined) return quoted || "'";
      const width = token.length;
      switch (token[0]) {
        case "E": return format.weekdays[width >= 4 ? "long" : "short"][weekday];
        case "d": return String(day).padStart(width, "0");
        case "M":
        case "L":
          if (width >= 3) return format.months[width >= 4 ? "long" : "short"][month - 1];
          return String(month).padStart(width, "0");
        default: return width === 2 ? String(year % 100).padStart(2, "0") : String(year);
      }
    });
  }

  document.querySelectorAll('input[type="date"]').forEach((input, index) => {
    const hint = document.createElement("div");
    hint.className = "form-text ml-day-hint";
    hint.id = `${input.id || `date-${index}`}-day`;
    hint.setAttribute("aria-live", "polite");
    const anchor = input.closest(".input-group") || input;
    anchor.after(hint);
    const described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", described ? `${described} ${hint.id}` : hint.id);
    const show = () => { hint.textContent = write(input.value); };
    input.addEventListener("input", show);
    input.addEventListener("change", show);
    show();
  });
})();
