// The loading screen's other half: index.html shows "Loading the chat…" (#boot) until the
// WebAssembly app mounts and removes it (frontend/src/main.rs). If the app's files fail to
// load or to start, or nothing has happened after a while, this says so in the same place.
// An external file, not inline code or `on…` attributes, so that a Content-Security-Policy
// without 'unsafe-inline' allows it.
(function () {
  "use strict";
  var SLOW_MS = 20000;

  // Says `text` in place of "Loading the chat…"; `failed`: loading has stopped for good.
  function say(text, failed) {
    var boot = document.getElementById("boot");
    if (!boot || boot.classList.contains("failed")) {
      return; // The app is running, or the first failure is already shown.
    }
    var line = boot.querySelector(".boot-text");
    if (failed) {
      boot.classList.add("failed");
      boot.removeAttribute("aria-busy");
      if (line) {
        line.setAttribute("role", "alert");
      }
    }
    if (line) {
      line.textContent = text;
    }
  }

  function show(text) {
    say(text, true);
  }

  // Capture phase: a <script> or <link> that fails to load fires `error` on itself, which
  // does not bubble. A failing module start (a missing or broken .wasm) reports here too.
  window.addEventListener(
    "error",
    function (event) {
      var target = event.target;
      var file = target && target !== window && (target.src || target.href);
      show(
        "The chat could not be loaded" +
          (file ? " (" + file + " did not load)" : "") +
          ". Check your connection and reload the page."
      );
    },
    true
  );
  window.addEventListener("unhandledrejection", function () {
    show("The chat could not be started. Check your connection and reload the page.");
  });
  window.setTimeout(function () {
    say(
      "Still loading the chat… This connection is slow: it starts as soon as it has loaded.",
      false
    );
  }, SLOW_MS);
})();
