// Walk-away privacy: after `seconds` without a touch or key, ask "Still there?", then start over.

const EVENTS = ["pointerdown", "keydown", "touchstart", "wheel", "input"];

export function idleWatch({ seconds, onWarn, onTick, onTimeout }) {
  // The warning lasts a quarter of the idle time, between 3 and 20 seconds.
  const grace = Math.min(20, Math.max(3, Math.round(seconds / 4)));
  let armed = false;
  let timer = null;
  let countdown = null;

  function stop() {
    clearTimeout(timer);
    clearInterval(countdown);
    timer = countdown = null;
  }

  function warn() {
    let left = grace;
    onWarn(left);
    countdown = setInterval(() => {
      left -= 1;
      if (left > 0) onTick(left);
      else {
        stop();
        armed = false;
        onTimeout();
      }
    }, 1000);
  }

  function poke() {
    if (!armed || countdown) return; // while warning, only "I'm still here" counts, so a stray touch can't hide it
    clearTimeout(timer);
    timer = setTimeout(warn, seconds * 1000);
  }

  for (const name of EVENTS) document.addEventListener(name, poke, { capture: true, passive: true });

  return {
    arm() {
      armed = true;
      stop();
      poke();
    },
    disarm() {
      armed = false;
      stop();
    },
    stay() {
      stop();
      poke();
    },
  };
}
