// Draws every {abc} tune of the page as sheet music with the site's own copy of abcjs.
// The ABC text stays visible (in its <pre>) when abcjs is missing or cannot read the tune.
(function () {
  "use strict";

  function drawTune(figure) {
    var paper = figure.querySelector(".abc-tune-paper");
    var source = figure.querySelector(".abc-tune-source");
    if (!paper || !source || paper.querySelector("svg")) return;
    try {
      window.ABCJS.renderAbc(paper, source.textContent, { responsive: "resize", add_classes: true });
    } catch (error) {
      console.warn("abc-tunes: abcjs could not draw a tune", error);
      return;
    }
    if (paper.querySelector("svg")) {
      paper.removeAttribute("aria-hidden");
      figure.classList.add("abc-tune-drawn");  // CSS folds the ABC text into a <details>-like toggle
    }
  }

  function drawAll() {
    if (!window.ABCJS || !window.ABCJS.renderAbc) {
      console.warn("abc-tunes: abcjs is not loaded; the tunes stay as ABC text");
      return;
    }
    document.querySelectorAll("figure.abc-tune").forEach(drawTune);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
