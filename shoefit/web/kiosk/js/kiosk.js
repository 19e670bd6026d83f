// The kiosk: welcome, the question steps, the shortlist and the try-on loop, and the start-over that forgets it all.
// Nothing is kept in storage, cookies or the address: a customer's answers live in `state` and on screen only.

import { ApiError, Cancelled, call } from "./api.js";
import { renderCompare } from "./compare.js";
import { clear, el, show } from "./dom.js";
import { idleWatch } from "./idle.js";
import { hideProblem, showProblem } from "./problem.js";
import { STEPS, emptyAnswers, renderStep, toProfile } from "./questions.js";
import { renderAdvice, renderChanges, renderNoMatch, renderShortlist, renderTriage, renderWarnings } from "./results.js";
import { applyTexts, setTexts, setVocabulary, t } from "./texts.js";
import { closeTryOn, openTryOn } from "./tryon.js";

const $ = (id) => document.getElementById(id);
const AUTO_RETRIES = 3;

let state;
let idle;

function freshState() {
  return {
    answers: emptyAnswers(),
    step: 0,
    answer: null,
    feedback: null,
    before: null,
    tried: new Map(),
    compared: [],
    fitting: null, // {id, etag, profile} once the first try-on opened one
    urgentSeen: false,
    work: new AbortController(), // aborted at start-over: a late answer never reaches the next customer's screen
  };
}

function showScreen(name) {
  for (const screen of ["welcome", "questions", "results"]) show($(screen), screen === name);
  show($("restart"), name !== "welcome");
  $("progress").textContent = name === "questions" ? t("nav.step", { n: state.step + 1, total: STEPS.length }) : "";
  name === "welcome" ? idle.disarm() : idle.arm();
  window.scrollTo(0, 0);
}

function renderQuestions() {
  const step = STEPS[state.step];
  $("step-title").textContent = t(`step.${step.id}.title`);
  $("step-intro").textContent = t(`step.${step.id}.intro`);
  clear($("step-form")).append(...renderStep(step, state.answers));
  $("back").textContent = t(state.step === 0 ? "nav.start_over" : "nav.back");
  $("next").textContent = t(state.step === STEPS.length - 1 ? "nav.show" : "nav.next");
  showScreen("questions");
  $("step-title").focus();
}

function rankMap(answer) {
  return new Map(answer.recommendations.map((s) => [s.id, { rank: s.rank, name: `${s.brand} ${s.model}` }]));
}

function renderAnswer() {
  const { answer } = state;
  const forLater = answer.triage.picks === "for_later";
  renderTriage($("triage"), answer);
  renderWarnings($("warnings"), answer.warnings);
  renderChanges($("changes"), state.feedback, answer, state.before);
  $("results-intro").textContent = forLater ? t("urgent.reminder") : t("results.intro");
  if (!renderNoMatch($("shortlist"), answer)) {
    renderShortlist($("shortlist"), answer, {
      before: state.before,
      tried: state.tried,
      compared: state.compared,
      forLater,
      onCompare: toggleCompare,
      onTryOn: (shoe) => openTryOn(shoe, (tryon) => recordTryOn(shoe, tryon)),
    });
  }
  renderCompare($("compare"), answer, state.compared);
  renderAdvice($("advice"), answer.advice);
  const reference = state.fitting ? ` · ${t("print.fitting", { id: state.fitting.id })}` : "";
  $("print-meta").textContent = t("print.date", { date: new Date().toLocaleDateString() }) + reference;
}

function showAnswer(answer, { feedback = null, before = null } = {}) {
  state.answer = answer;
  state.feedback = feedback;
  state.before = before;
  state.compared = state.compared.filter((id) => answer.recommendations.some((s) => s.id === id));
  renderAnswer();
  showScreen("results");
  if (answer.triage.state === "see_doctor_first" && !state.urgentSeen) openUrgent(answer);
  else $("results-title").focus();
}

function toggleCompare(id, on) {
  state.compared = on ? [...state.compared, id].slice(0, 3) : state.compared.filter((x) => x !== id);
  const focused = document.activeElement?.closest(".card")?.dataset.shoeId;
  renderAnswer();
  // Re-rendering the cards must not lose a keyboard user's place.
  if (focused) document.querySelector(`.card[data-shoe-id="${CSS.escape(focused)}"] .compare-toggle input`)?.focus();
}

function openUrgent(answer) {
  const urgent = answer.warnings.filter((w) => w.level === "urgent");
  $("urgent-message").textContent = answer.triage.message;
  clear($("urgent-warnings")).append(...(urgent.length ? urgent : answer.warnings).map((w) => el("li", { text: w.message })));
  clear($("urgent-advice")).append(...answer.advice.map((a) => el("li", { text: a.text })));
  $("urgent").showModal();
  $("urgent-restart").focus();
}

// Runs `task` with the busy indicator; a failure becomes the problem panel, whose retry runs `task` again.
async function attempt(task, busyKey = "busy", tries = 0) {
  hideProblem();
  $("busy-text").textContent = t(busyKey);
  show($("busy"));
  const { signal } = state.work;
  try {
    await task(signal);
  } catch (error) {
    if (error instanceof Cancelled || signal.aborted) return;
    if (!(error instanceof ApiError)) throw error;
    showProblem(error, () => attempt(task, busyKey, tries + 1), tries < AUTO_RETRIES);
  } finally {
    if (!signal.aborted) show($("busy"), false);
  }
}

// A JSON merge patch (RFC 7396) turning `before` into `after`: what the fitting's PATCH expects.
function mergePatch(before, after) {
  const patch = {};
  for (const key of Object.keys(before)) if (!(key in after)) patch[key] = null;
  for (const [key, value] of Object.entries(after)) {
    const old = before[key];
    const objects = [old, value].every((v) => v && typeof v === "object" && !Array.isArray(v));
    if (objects) patch[key] = mergePatch(old, value);
    else if (JSON.stringify(old) !== JSON.stringify(value)) patch[key] = value;
  }
  return patch;
}

function findShoes() {
  const profile = toProfile(state.answers);
  return attempt(async (signal) => {
    const fitting = state.fitting;
    if (!fitting) return showAnswer((await call("POST", "v1/recommendations", { body: profile, signal })).data);
    const patch = mergePatch(fitting.profile, profile);
    if (Object.keys(patch).length) {
      const path = `v1/fittings/${encodeURIComponent(fitting.id)}`;
      const headers = { "If-Match": fitting.etag };
      const { etag } = await call("PATCH", path, { body: patch, signal, headers });
      Object.assign(fitting, { etag, profile });
    }
    const { data } = await call("GET", `v1/fittings/${encodeURIComponent(fitting.id)}/recommendations`, { signal });
    showAnswer(data, { feedback: data.feedback });
  });
}

function recordTryOn(shoe, tryon) {
  const profile = toProfile(state.answers);
  const before = rankMap(state.answer);
  let recorded = false; // a retry after a failure goes on from the step that failed, never records twice
  return attempt(async (signal) => {
    if (!state.fitting) {
      const { data, etag } = await call("POST", "v1/fittings", { body: profile, signal });
      state.fitting = { id: data.id, etag, profile };
    }
    const path = `v1/fittings/${encodeURIComponent(state.fitting.id)}`;
    if (!recorded) {
      await call("POST", `${path}/tryons`, { body: { shoe_id: shoe.id, ...tryon }, signal });
      recorded = true;
      state.tried.set(shoe.id, tryon);
    }
    const { data } = await call("GET", `${path}/recommendations`, { signal });
    showAnswer(data, { feedback: data.feedback, before });
  }, "busy.tryon");
}

function startOver() {
  state.work.abort();
  hideProblem();
  show($("busy"), false);
  for (const dialog of document.querySelectorAll("dialog")) if (dialog.open) dialog.close();
  closeTryOn();
  for (const id of ["step-form", "triage", "warnings", "changes", "shortlist", "compare", "advice", "urgent-warnings", "urgent-advice"]) {
    clear($(id));
  }
  for (const id of ["step-intro", "results-intro", "print-meta", "urgent-message", "tryon-title", "problem-text"]) {
    $(id).textContent = "";
  }
  state = freshState();
  showScreen("welcome");
  $("start").focus();
}

function wire() {
  $("start").onclick = () => {
    state.step = 0;
    renderQuestions();
  };
  $("next").onclick = () => {
    if (state.step < STEPS.length - 1) {
      state.step += 1;
      renderQuestions();
    } else findShoes();
  };
  $("back").onclick = () => {
    if (state.step === 0) return startOver();
    state.step -= 1;
    renderQuestions();
  };
  $("edit").onclick = () => {
    state.step = 0;
    renderQuestions();
  };
  $("problem-edit").onclick = () => {
    hideProblem();
    state.step = 0;
    renderQuestions();
  };
  for (const id of ["restart", "restart-bottom", "problem-restart", "urgent-restart", "idle-restart"]) $(id).onclick = startOver;
  $("urgent-continue").onclick = () => {
    state.urgentSeen = true;
    $("urgent").close();
    $("results-title").focus();
  };
  // Esc on the urgent screen is the same as reading it and choosing to go on.
  $("urgent").addEventListener("cancel", () => (state.urgentSeen = true));
  $("print").onclick = () => window.print();
  $("idle-stay").onclick = () => {
    $("idle").close();
    idle.stay();
  };
}

async function boot() {
  try {
    const [settings, vocabulary] = await Promise.all([call("GET", "kiosk/settings.json"), call("GET", "v1/vocabulary")]);
    setTexts(settings.data.texts);
    setVocabulary(vocabulary.data);
    applyTexts();
    idle = idleWatch({
      seconds: settings.data.idle_seconds,
      onWarn: (seconds) => {
        $("idle-text").textContent = t("idle.body", { seconds });
        $("idle").showModal();
        $("idle-stay").focus();
      },
      onTick: (seconds) => ($("idle-text").textContent = t("idle.body", { seconds })),
      onTimeout: startOver,
    });
    state = freshState();
    wire();
    $("loading").textContent = "";
    $("start").disabled = false;
    showScreen("welcome");
  } catch (error) {
    // Before the texts arrive there is nothing translated to say; retry quietly until the service answers.
    $("loading").textContent = "…";
    setTimeout(boot, 3000);
  }
}

boot();
