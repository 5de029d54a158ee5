/* Copy buttons: <button data-copy="ID"> copies the value of the field with that id.
 * The buttons are hidden until this script shows them (without it the address
 * stays selectable in its read-only field). */
(function () {
  "use strict";

  function copied(button, text) {
    var group = button.closest("section, .card-body, form") || document;
    var status = group.querySelector("[data-copy-status]");
    if (status) {
      status.textContent = text;
    }
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = document.getElementById(button.getAttribute("data-copy"));
      if (!field) {
        return;
      }
      var done = function () { copied(button, button.getAttribute("data-copied") || "✓"); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () {});
      } else if (field.type !== "hidden") {
        field.select();
        document.execCommand("copy");
        done();
      }
    });
  });
})();
