// The try-on form: how a shoe felt (comfort 1-5), what did not fit, and whether the customer takes the pair.

import { clear, el } from "./dom.js";
import { t, terms } from "./texts.js";

const dialog = () => document.getElementById("tryon");

function group(name, legend, type, options, checked) {
  return el(
    "fieldset",
    { class: `question ${type === "radio" ? "single" : "multiple"}`, "data-question": name },
    el("legend", { text: legend }),
    el(
      "div",
      { class: "options" },
      options.map((option) =>
        el(
          "label",
          { class: "option" },
          el("input", { type, name, value: option.value, checked: checked === option.value }),
          el("span", { class: "option-label", text: option.label }),
        ),
      ),
    ),
  );
}

export function openTryOn(shoe, onSave) {
  const form = document.getElementById("tryon-form");
  const error = document.getElementById("tryon-error");
  document.getElementById("tryon-title").textContent = t("tryon.title", { shoe: `${shoe.brand} ${shoe.model}` });
  error.textContent = "";
  const comfort = [1, 2, 3, 4, 5].map((n) => ({ value: String(n), label: t(`comfort.${n}`) }));
  clear(document.getElementById("tryon-fields")).append(
    group("comfort", t("tryon.comfort"), "radio", comfort, null),
    group("fit_notes", t("tryon.fit_notes"), "checkbox", terms("fit_issues"), null),
    group("decision", t("tryon.decision"), "radio", terms("decision"), "undecided"),
  );
  form.onsubmit = (event) => {
    event.preventDefault();
    const data = new FormData(form);
    if (!data.get("comfort")) {
      error.textContent = t("tryon.need_comfort");
      form.querySelector("input[name=comfort]").focus();
      return;
    }
    dialog().close();
    onSave({ comfort: Number(data.get("comfort")), fit_notes: data.getAll("fit_notes"), decision: data.get("decision") });
  };
  document.getElementById("tryon-cancel").onclick = () => dialog().close();
  dialog().showModal();
}

export function closeTryOn() {
  if (dialog().open) dialog().close();
  clear(document.getElementById("tryon-fields"));
}
