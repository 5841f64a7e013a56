import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { text } from "./lib/i18n";
import { settings } from "./lib/settings.svelte";

const target = document.getElementById("app");
if (!target) throw new Error("no #app element");

// Never a blank screen: whatever escapes the components is shown, in the user's
// language, with what to do next. Saved reports are safe in the store regardless.
function showFailure(detail: unknown) {
  console.error(detail);
  if (document.getElementById("fatal")) return;
  const box = document.createElement("div");
  box.id = "fatal";
  box.className = "card fatal";
  box.setAttribute("role", "alert");
  const message = document.createElement("p");
  message.textContent = text(settings.lang, "errorFatal");
  const reload = document.createElement("button");
  reload.className = "primary";
  reload.textContent = text(settings.lang, "reload");
  reload.onclick = () => location.reload();
  box.append(message, reload);
  document.body.prepend(box);
}
window.addEventListener("error", (e) => showFailure(e.error ?? e.message));
window.addEventListener("unhandledrejection", (e) => showFailure(e.reason));

let app;
try {
  app = mount(App, { target });
} catch (e) {
  showFailure(e);
}
export default app;
