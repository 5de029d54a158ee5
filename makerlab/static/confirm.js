/* Confirmation dialogs for irreversible actions.
 *
 * A link marked data-confirm leads to a confirmation page (GET) that says
 * what will happen and carries the POST button. With this script the same
 * page body is fetched (header X-Confirm-Dialog: 1) and shown in a modal
 * <dialog>: focus moves into it, Esc or "keep" closes it, and focus goes
 * back to the link. Without the script, or if anything fails, the link
 * simply opens the page. No inline script: the Content-Security-Policy
 * allows only files like this one.
 */
(function () {
  "use strict";

  var dialog = null;
  var opener = null;

  function close() {
    if (dialog && dialog.open) {
      dialog.close();
    }
  }

  function ensureDialog() {
    if (dialog) {
      return dialog;
    }
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-title");
    dialog.setAttribute("aria-describedby", "confirm-text");
    dialog.addEventListener("close", function () {
      dialog.replaceChildren();
      if (opener) {
        opener.focus();
        opener = null;
      }
    });
    dialog.addEventListener("click", function (event) {
      // A click on the backdrop lands on the dialog itself (its body has the padding).
      if (event.target === dialog) {
        close();
        return;
      }
      if (event.target.closest("[data-confirm-keep]")) {
        event.preventDefault();
        close();
      }
    });
    dialog.addEventListener("submit", function (event) {
      var button = event.target.querySelector("button[type=submit]");
      if (button) {
        // One click is enough: a second would only meet "already cancelled".
        window.setTimeout(function () { button.disabled = true; }, 0);
      }
    });
    document.body.appendChild(dialog);
    return dialog;
  }

  function firstFocus(box) {
    return box.querySelector("[autofocus], textarea, select, input:not([type=hidden])")
      || box.querySelector("[data-confirm-keep]")
      || box.querySelector("button");
  }

  function open(link) {
    fetch(link.href, { headers: { "X-Confirm-Dialog": "1" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok || response.redirected) {
          throw new Error("no dialog");
        }
        return response.text();
      })
      .then(function (html) {
        var box = ensureDialog();
        if (!box.contains(link)) {
          opener = link; // another question from inside the dialog keeps the first opener
        }
        box.innerHTML = html;
        if (!box.open) {
          box.showModal();
        }
        var target = firstFocus(box);
        if (target) {
          target.focus();
        }
      })
      .catch(function () {
        window.location.assign(link.href);
      });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-confirm]");
    if (!link || event.defaultPrevented || event.button !== 0) {
      return;
    }
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return; // a new tab or window gets the page
    }
    if (typeof HTMLDialogElement !== "function") {
      return; // very old browsers get the page
    }
    event.preventDefault();
    open(link);
  });
})();
