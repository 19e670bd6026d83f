// The answer on screen: triage and warnings first, then the shortlist cards, what a try-on changed, and advice.

import { clear, el } from "./dom.js";
import { label, price, t } from "./texts.js";

const WHY_LINES = 3;

export function scoreWord(score) {
  if (score >= 85) return t("score.great");
  if (score >= 70) return t("score.good");
  return t("score.fair");
}

export function renderTriage(node, answer) {
  clear(node);
  const triage = answer.triage;
  if (triage.state === "shoes") return;
  node.append(
    el(
      "section",
      { class: `triage triage-${triage.level || triage.state}`, "data-state": triage.state },
      el("h2", { text: label("triage", triage.state) }),
      el("p", { text: triage.message }),
    ),
  );
}

export function renderWarnings(node, warnings) {
  clear(node);
  if (!warnings.length) return;
  node.append(
    el(
      "section",
      { class: "warnings", "aria-labelledby": "warnings-title" },
      el("h2", { id: "warnings-title", text: t("warnings.title") }),
      el(
        "ul",
        {},
        warnings.map((warning) =>
          el(
            "li",
            { class: `warning level-${warning.level}`, "data-code": warning.code },
            el("span", { class: "level", text: label("warning_levels", warning.level) }),
            el("span", { class: "message", text: warning.message }),
          ),
        ),
      ),
    ),
  );
}

export function renderAdvice(node, advice) {
  clear(node);
  if (!advice.length) return;
  node.append(
    el(
      "section",
      { class: "advice" },
      el("h2", { text: t("advice.title") }),
      el("ul", {}, advice.map((item) => el("li", { text: item.text }))),
    ),
  );
}

// How each pick moved since the last shortlist: `before` maps shoe id to its earlier rank.
function movement(shoe, before) {
  if (!before) return null;
  if (!before.has(shoe.id)) return { kind: "new", text: t("changes.new") };
  const places = before.get(shoe.id).rank - shoe.rank;
  if (places > 0) return { kind: "up", text: t("changes.up", { n: places }) };
  if (places < 0) return { kind: "down", text: t("changes.down", { n: -places }) };
  return { kind: "same", text: t("changes.same") };
}

function whyLines(shoe) {
  // The service ends `why` with an "Also: …" line when older versions stand behind the pick; the card shows
  // those from `also` itself, with their prices.
  const lines = shoe.also.length ? shoe.why.slice(0, -1) : shoe.why;
  return lines.slice(0, WHY_LINES);
}

export function renderShortlist(node, answer, { before, tried, compared, forLater, onCompare, onTryOn }) {
  clear(node);
  for (const shoe of answer.recommendations) {
    const moved = movement(shoe, before);
    const score = Math.round(shoe.score);
    const attempt = tried.get(shoe.id);
    const compareBox = el("input", {
      type: "checkbox",
      checked: compared.includes(shoe.id),
      disabled: !compared.includes(shoe.id) && compared.length >= 3,
      onchange: (event) => onCompare(shoe.id, event.target.checked),
    });
    node.append(
      el(
        "li",
        { class: "card", "data-shoe-id": shoe.id, "data-rank": String(shoe.rank) },
        el(
          "div",
          { class: "card-head" },
          el("span", { class: "rank", text: t("card.rank", { rank: shoe.rank }) }),
          forLater ? el("span", { class: "badge later", text: t("card.for_later") }) : null,
          moved ? el("span", { class: `badge move move-${moved.kind}`, text: moved.text }) : null,
        ),
        el(
          "h2",
          { class: "shoe-name" },
          el("span", { class: "brand", text: shoe.brand }),
          " ",
          el("span", { class: "model", text: shoe.model }),
        ),
        el(
          "p",
          { class: "facts" },
          el("span", { class: "price", text: price(shoe.price) }),
          el("span", { class: "category", text: label("category", shoe.category) }),
          el("span", { class: "widths", text: t("card.widths", { widths: shoe.widths.map((w) => label("width", w)).join(", ") }) }),
        ),
        el(
          "div",
          { class: "score" },
          el("div", { class: "score-bar", "aria-hidden": "true" }, el("span", { style: { width: `${score}%` } })),
          el("span", { class: "score-value", text: t("score.value", { score }) }),
          el("span", { class: "score-word", text: scoreWord(score) }),
        ),
        el("ul", { class: "why" }, whyLines(shoe).map((line) => el("li", { text: line }))),
        shoe.also.length
          ? el("p", { class: "also", text: t("card.also", { models: shoe.also.map((a) => `${a.model} (${price(a.price)})`).join(", ") }) })
          : null,
        attempt
          ? el("p", { class: "tried", text: t("card.tried", { comfort: attempt.comfort, decision: label("decision", attempt.decision) }) })
          : null,
        el(
          "div",
          { class: "card-actions" },
          el("label", { class: "compare-toggle" }, compareBox, el("span", { text: t("card.compare") })),
          el("button", { type: "button", class: "secondary tryon-button", text: t("card.tryon"), onclick: () => onTryOn(shoe) }),
        ),
      ),
    );
  }
}

export function renderNoMatch(node, answer) {
  if (answer.recommendations.length || !answer.no_match) return false;
  clear(node).append(
    el("li", { class: "no-match" }, el("h2", { text: t("results.empty") }), el("p", { text: answer.no_match.text })),
  );
  return true;
}

export function renderChanges(node, feedback, answer, before) {
  clear(node);
  if (!feedback || !before) return;
  const lines = [...feedback.changes.map((c) => c.text), ...feedback.set_aside.map((s) => s.text)];
  const kept = new Set(answer.recommendations.map((s) => s.id));
  const setAside = new Set(feedback.set_aside.map((s) => s.id));
  const gone = [...before.entries()].filter(([id]) => !kept.has(id) && !setAside.has(id)).map(([, shoe]) => shoe.name);
  if (gone.length) lines.push(t("changes.gone", { shoes: gone.join(", ") }));
  node.append(
    el(
      "section",
      { class: "changes", "aria-live": "polite" },
      el("h2", { text: t("changes.title") }),
      lines.length ? el("ul", {}, lines.map((line) => el("li", { text: line }))) : el("p", { text: t("changes.none") }),
    ),
  );
}
