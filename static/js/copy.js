/* Copy buttons for read-only addresses, as a progressive enhancement.
 *
 * Each <input data-copy="…" data-copied="…"> gets a button, labelled with data-copy, that puts
 * its value on the clipboard and then says data-copied in a status message (both come
 * translated from the page). Without JavaScript, or where the Clipboard API is missing (pages
 * not served over HTTPS), no button appears and the address stays there to select and copy.
 */
(function () {
  "use strict";

  if (!window.isSecureContext || !navigator.clipboard) {
    return;
  }

  function addCopyButton(input) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button small copy-button";
    button.textContent = input.dataset.copy;
    button.setAttribute("aria-describedby", input.id);

    var status = document.createElement("span");
    status.className = "copy-status";
    status.setAttribute("role", "status");

    button.addEventListener("click", function () {
      status.textContent = "";
      navigator.clipboard.writeText(input.value).then(
        function () {
          status.textContent = input.dataset.copied;
        },
        function () {
          // Refused (no permission): select the address so the reader can copy it.
          input.focus();
          input.select();
        }
      );
    });

    var row = document.createElement("span");
    row.className = "copy-row";
    row.append(button, status);
    input.after(row);
  }

  // A readonly address is selected whole when clicked, ready to copy by hand too.
  function selectOnFocus(input) {
    input.addEventListener("focus", function () {
      input.select();
    });
  }

  document.querySelectorAll("input[data-copy]").forEach(function (input) {
    addCopyButton(input);
    selectOnFocus(input);
  });
})();
