// Every text the page shows comes from the store's texts (settings.json) or, for answers, the API's vocabulary,
// which a store's texts may relabel with vocabulary.FIELD.VALUE.label / .hint.

let texts = {};
let vocabulary = { fields: {}, limits: {} };

export function setTexts(loaded) {
  texts = loaded;
  document.documentElement.lang = texts["app.lang"] || document.documentElement.lang;
}

export function setVocabulary(loaded) {
  vocabulary = loaded;
}

export function t(key, vars = {}) {
  const text = texts[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in vars ? String(vars[name]) : match));
}

export function terms(field) {
  return (vocabulary.fields[field] || []).map((term) => ({
    value: term.value,
    label: texts[`vocabulary.${field}.${term.value}.label`] ?? term.label,
    hint: texts[`vocabulary.${field}.${term.value}.hint`] ?? term.hint,
  }));
}

export function label(field, value) {
  const found = terms(field).find((term) => term.value === value);
  return found ? found.label : value;
}

export function limit(name) {
  return vocabulary.limits[name] || {};
}

export function price(value) {
  return t("price", { price: Number.isInteger(value) ? value : value.toFixed(2) });
}

export function applyTexts(root = document) {
  for (const node of root.querySelectorAll("[data-text]")) node.textContent = t(node.dataset.text);
}
