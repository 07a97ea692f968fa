// langflow-edge pages: small progressive enhancements. Every page works without this file.
"use strict";

// "Copy" buttons: data-copy names the id of the field whose value they copy.
document.querySelectorAll("button[data-copy]").forEach((button) => {
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    const status = document.getElementById(button.dataset.status || "");
    try {
      await navigator.clipboard.writeText(field.value);
    } catch {
      field.select();
      document.execCommand("copy");
    }
    if (status) status.textContent = "Copied to the clipboard.";
  });
});

// Profile menu: close on Escape or a click elsewhere.
document.querySelectorAll("details.menu").forEach((menu) => {
  document.addEventListener("click", (event) => {
    if (menu.open && !menu.contains(event.target)) menu.open = false;
  });
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && menu.open) {
      menu.open = false;
      menu.querySelector("summary")?.focus();
    }
  });
});
