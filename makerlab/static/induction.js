/* The induction form: the warnings box shows the chosen category's warnings
 * (<li data-category="...">) and the general ones (<li> without it), and hides
 * itself when none is left. The server renders the first choice's state. */
(function () {
  "use strict";

  var box = document.getElementById("induction-warnings");
  var select = document.getElementById("category");
  if (!box || !select) {
    return;
  }

  function follow() {
    var shown = 0;
    box.querySelectorAll("li").forEach(function (item) {
      var category = item.getAttribute("data-category");
      item.hidden = category !== null && category !== select.value;
      if (!item.hidden) {
        shown += 1;
      }
    });
    box.hidden = shown === 0;
  }

  select.addEventListener("change", follow);
  follow();
})();
