// The token page: a new key is selected when its box gets focus, ready to copy (no inline handlers:
// the Content-Security-Policy allows scripts from files only).
"use strict";
document.querySelectorAll("[data-select-on-focus]").forEach((input) => {
  input.addEventListener("focus", () => input.select());
});
