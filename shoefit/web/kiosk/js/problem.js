// The problem panel: what went wrong in words a customer understands, and a retry that never leaves the screen
// frozen.

import { show } from "./dom.js";
import { t } from "./texts.js";

const $ = (id) => document.getElementById(id);
const RETRY_DEFAULT_SECONDS = 5;
const RETRY_MAX_SECONDS = 30;

let retryTimer = null;

function problemText(error) {
  if (error.status === 0) return t("problem.offline");
  if (error.status === 422 || error.status === 400) return t("problem.invalid", { detail: error.problem?.detail || "" });
  if (error.status === 429) return t("problem.busy");
  if (error.status === 503) return t("problem.unavailable");
  return t("problem.other", { status: error.status });
}

export function showProblem(error, retry, automatic) {
  $("problem-text").textContent = problemText(error);
  const invalid = error.status === 422 || error.status === 400;
  show($("problem-edit"), invalid);
  show($("problem-retry"), !invalid);
  $("problem-retry").onclick = retry;
  $("problem-countdown").textContent = "";
  // Busy and restarting come back by themselves: count down and try again, as Retry-After asks, a few times;
  // then the button alone, so a service that stays down is not asked forever.
  if (automatic && [0, 429, 503].includes(error.status)) {
    let left = Math.min(RETRY_MAX_SECONDS, Math.max(1, error.retryAfter ?? RETRY_DEFAULT_SECONDS));
    const tick = () => ($("problem-countdown").textContent = t("problem.retrying", { seconds: left }));
    tick();
    retryTimer = setInterval(() => {
      left -= 1;
      if (left > 0) tick();
      else retry();
    }, 1000);
  }
  show($("problem"));
  (invalid ? $("problem-edit") : $("problem-retry")).focus();
}

export function hideProblem() {
  clearInterval(retryTimer);
  retryTimer = null;
  show($("problem"), false);
}
