// Two or three picks side by side: price, widths, support, and each requirement with how every pick meets it.

import { clear, el } from "./dom.js";
import { label, price, t } from "./texts.js";

// The attributes rated on the catalog's 1-5 scale, whose value means something to a customer as "4 of 5".
const RATINGS = new Set([
  "cushioning",
  "forefoot_cushioning",
  "arch_support",
  "stability",
  "heel_counter",
  "breathability",
  "toe_box",
]);

function verdict(part, attribute) {
  const word = t(`verdict.${part.verdict}`);
  return RATINGS.has(attribute) ? `${word} (${t("verdict.rating", { value: part.value })})` : word;
}

export function renderCompare(node, answer, compared) {
  clear(node);
  const shoes = compared.map((id) => answer.recommendations.find((s) => s.id === id)).filter(Boolean);
  if (shoes.length < 2) {
    if (answer.recommendations.length >= 2) node.append(el("p", { class: "note compare-hint", text: t("compare.hint") }));
    return;
  }
  const row = (name, cells, extra = {}) =>
    el("tr", extra, el("th", { scope: "row" }, name), cells.map((cell) => el("td", {}, cell)));
  const attributes = Object.entries(answer.requirements).sort(([, a], [, b]) => b.weight - a.weight);
  node.append(
    el(
      "section",
      { "aria-labelledby": "compare-title" },
      el("h2", { id: "compare-title", text: t("compare.title") }),
      el(
        "div",
        { class: "table-scroll" },
        el(
          "table",
          { class: "compare-table" },
          el(
            "thead",
            {},
            el(
              "tr",
              {},
              el("td", {}),
              shoes.map((s) => el("th", { scope: "col" }, el("span", { class: "brand", text: s.brand }), " ", s.model)),
            ),
          ),
          el(
            "tbody",
            {},
            row(t("compare.score"), shoes.map((s) => t("score.value", { score: Math.round(s.score) }))),
            row(t("compare.price"), shoes.map((s) => price(s.price))),
            row(t("compare.widths"), shoes.map((s) => s.widths.map((w) => label("width", w)).join(", "))),
            row(t("compare.category"), shoes.map((s) => label("category", s.category))),
            attributes.map(([attribute, requirement]) =>
              row(
                el(
                  "span",
                  {},
                  el("span", { class: "attribute", text: label("attributes", attribute) }),
                  el("span", { class: "wanted", text: t("compare.you_need", { wanted: requirement.wanted }) }),
                ),
                shoes.map((s) => {
                  const part = s.breakdown[attribute];
                  return part ? el("span", { class: `verdict verdict-${part.verdict}`, text: verdict(part, attribute) }) : "";
                }),
                { "data-attribute": attribute },
              ),
            ),
          ),
        ),
      ),
    ),
  );
}
