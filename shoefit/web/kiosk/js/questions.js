// The questions, in touch-sized steps, built from the API's vocabulary; and the profile the answers make.
// Every single choice offers "I don't know" (the vocabulary's own "unknown" where it has one, else no answer),
// every multiple choice "None of these".

import { el } from "./dom.js";
import { limit, t, terms } from "./texts.js";

const PAIN_DAYS = [
  { value: "", key: "pain_days.none" },
  { value: "1", key: "pain_days.recent" },
  { value: "3", key: "pain_days.days" },
  { value: "10", key: "pain_days.weeks" },
  { value: "45", key: "pain_days.months" },
];
const PRICES = [100, 130, 160, 200];

export const STEPS = [
  { id: "feet", questions: [single("arch_type"), single("pronation")] },
  { id: "shoes", questions: [multiple("fit_issues")] },
  {
    id: "pain",
    questions: [
      multiple("symptoms"),
      { name: "pain_days", kind: "single", options: () => PAIN_DAYS.map((o) => ({ value: o.value, label: t(o.key) })) },
      // How bad only once something hurts; hidden, it sends nothing.
      { name: "pain_severity", kind: "scale", showIf: (a) => a.pain_days !== "" || a.symptoms.length > 0 },
      multiple("conditions", "answer.skip"),
    ],
  },
  { id: "use", questions: [single("use"), single("terrain"), single("cushion_feel"), single("drop")] },
  { id: "fit", questions: [single("width"), { name: "max_price", kind: "single", options: priceOptions }] },
];

function single(field) {
  return { name: field, kind: "single", options: () => withDontKnow(terms(field)) };
}

function multiple(field, noneKey = "answer.none") {
  return { name: field, kind: "multiple", options: () => terms(field), noneKey };
}

function withDontKnow(options) {
  if (options.some((o) => o.value === "unknown")) return options;
  return [...options, { value: "", label: t("answer.dont_know"), hint: t("answer.dont_know_hint") }];
}

function priceOptions() {
  return [
    ...PRICES.map((p) => ({ value: String(p), label: t("max_price.upto", { price: t("price", { price: p }) }) })),
    { value: "", label: t("max_price.none") },
  ];
}

export function emptyAnswers() {
  return Object.fromEntries(STEPS.flatMap((s) => s.questions).map((q) => [q.name, q.kind === "multiple" ? [] : ""]));
}

export function renderStep(step, answers) {
  const fieldsets = new Map();
  const refresh = () => {
    for (const question of step.questions.filter((q) => q.showIf)) {
      const shown = question.showIf(answers);
      fieldsets.get(question.name).hidden = !shown;
      if (!shown) {
        answers[question.name] = "";
        for (const input of fieldsets.get(question.name).querySelectorAll("input")) input.checked = false;
      }
    }
  };
  for (const question of step.questions) {
    const legend = el("legend", { text: t(`question.${question.name}`) });
    const body = question.kind === "scale" ? scale(question, answers, refresh) : options(question, answers, refresh);
    fieldsets.set(question.name, el("fieldset", { class: `question ${question.kind}`, "data-question": question.name }, legend, body));
  }
  refresh();
  return [...fieldsets.values()];
}

function options(question, answers, onChange) {
  const multiple = question.kind === "multiple";
  const list = question.options();
  if (multiple) list.push({ value: "", label: t(question.noneKey), hint: t("answer.none_hint"), none: true });
  return el(
    "div",
    { class: "options" },
    list.map((option) => {
      const chosen = multiple ? answers[question.name] : [answers[question.name]];
      const input = el("input", {
        type: multiple ? "checkbox" : "radio",
        name: question.name,
        value: option.value,
        checked: option.none ? Boolean(answers[`${question.name}:none`]) : chosen.includes(option.value),
        onchange: (event) => {
          if (!multiple) answers[question.name] = option.value;
          else if (option.none) {
            answers[question.name] = [];
            answers[`${question.name}:none`] = event.target.checked;
          } else {
            const set = new Set(answers[question.name]);
            event.target.checked ? set.add(option.value) : set.delete(option.value);
            answers[question.name] = list.filter((o) => set.has(o.value)).map((o) => o.value);
            answers[`${question.name}:none`] = false;
          }
          if (multiple) sync(event.target.closest(".options"), question.name, answers);
          onChange(question.name);
        },
      });
      return el(
        "label",
        { class: "option" },
        input,
        el("span", { class: "option-label", text: option.label }),
        option.hint ? el("span", { class: "option-hint", text: option.hint }) : null,
      );
    }),
  );
}

// "None of these" and the other boxes exclude each other: ticking one side clears the other.
function sync(container, name, answers) {
  for (const input of container.querySelectorAll("input")) {
    input.checked = input.value === "" ? Boolean(answers[`${name}:none`]) : answers[name].includes(input.value);
  }
}

function scale(question, answers, onChange) {
  const { min = 0, max = 10 } = limit("pain.severity");
  const values = Array.from({ length: max - min + 1 }, (_, i) => String(min + i));
  return el(
    "div",
    { class: "options scale-options" },
    values.map((value) =>
      el(
        "label",
        { class: "option scale-option" },
        el("input", {
          type: "radio",
          name: question.name,
          value,
          checked: answers[question.name] === value,
          onchange: () => {
            answers[question.name] = value;
            onChange(question.name);
          },
        }),
        el("span", { class: "option-label", text: value }),
      ),
    ),
  );
}

// Only what the customer answered goes in: a skipped question leaves the service's own default.
export function toProfile(answers) {
  const profile = { limit: 5 };
  for (const name of ["arch_type", "pronation", "use", "terrain", "cushion_feel", "drop", "width"]) {
    if (answers[name]) profile[name] = answers[name];
  }
  for (const name of ["fit_issues", "symptoms", "conditions"]) {
    if (answers[name].length) profile[name] = [...answers[name]];
  }
  const pain = {};
  if (answers.pain_days) pain.days = Number(answers.pain_days);
  if (answers.pain_severity) pain.severity = Number(answers.pain_severity);
  if (Object.keys(pain).length) profile.pain = pain;
  if (answers.max_price) profile.max_price = Number(answers.max_price);
  return profile;
}
