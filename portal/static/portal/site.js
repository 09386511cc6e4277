/* Small enhancements; every page works without them. */
(function () {
  "use strict";

  function copied(button) {
    var status = button.parentElement.querySelector(".copied");
    button.textContent = "Copied";
    button.setAttribute("data-copied", "true");
    if (status) { status.textContent = "Copied to the clipboard."; }
  }

  function fallbackCopy(input, button) {
    input.focus();
    input.select();
    try { document.execCommand("copy"); } catch (e) { /* the text stays selected to copy by hand */ }
    copied(button);
  }

  /* Copy buttons: <button class="copy" data-copy="id-of-an-input">. */
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.copy");
    if (!button) { return; }
    var input = document.getElementById(button.dataset.copy);
    if (!input) { return; }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(
        function () { copied(button); },
        function () { fallbackCopy(input, button); }
      );
    } else {
      fallbackCopy(input, button);
    }
  });

  /* Ask before a step that cannot be undone: <form data-confirm="Question?">. */
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });

  /* Bring the first error on the page into view, for keyboard and screen-reader users too. */
  document.addEventListener("DOMContentLoaded", function () {
    var error = document.querySelector("main [role=alert]");
    if (error) {
      error.setAttribute("tabindex", "-1");
      error.scrollIntoView({ block: "center" });
      error.focus({ preventScroll: true });
    }
  });
  /* Print buttons: <button data-print>. Printing opens every <details> so nothing is hidden. */
  document.addEventListener("click", function (event) {
    if (event.target.closest("button[data-print]")) { window.print(); }
  });
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (details) {
      details.setAttribute("open", "");
      details.setAttribute("data-opened-for-print", "");
    });
  });
  window.addEventListener("afterprint", function () {
    document.querySelectorAll("details[data-opened-for-print]").forEach(function (details) {
      details.removeAttribute("open");
      details.removeAttribute("data-opened-for-print");
    });
  });
})();
