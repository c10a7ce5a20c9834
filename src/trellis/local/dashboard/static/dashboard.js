// Trellis dev dashboard: refresh the page's live part every second; send actions.
// No framework and nothing fetched from elsewhere: the page works offline.
(() => {
  "use strict";
  const live = document.getElementById("live");
  const state = document.getElementById("live-state");
  const toast = document.getElementById("toast");
  let last = null;
  let busy = false;

  async function refresh() {
    if (!live || busy) return;
    busy = true;
    try {
      const response = await fetch(live.dataset.src, { cache: "no-store" });
      if (response.ok) {
        const text = await response.text();
        if (text !== last) {
          live.innerHTML = text;
          last = text;
          live.dataset.version = String(Number(live.dataset.version || "0") + 1);
        }
        state.textContent = "live";
        state.className = "live-ok";
      } else {
        state.textContent = `refresh failed (${response.status})`;
        state.className = "live-bad";
      }
    } catch (error) {
      state.textContent = "trellis dev is not answering";
      state.className = "live-bad";
    } finally {
      busy = false;
    }
  }

  function say(text, bad) {
    toast.textContent = text;
    toast.hidden = false;
    toast.className = bad ? "bad" : "ok";
    clearTimeout(say.timer);
    say.timer = setTimeout(() => { toast.hidden = true; }, 6000);
  }

  // Actions carry the header a page of another origin cannot send (see the app's docstring).
  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "x-trellis-dashboard": "1", "content-type": "application/json" },
      body: JSON.stringify(body || {}),
    });
  }

  const filter = document.querySelector("form[data-filter]");
  if (filter && live) {
    const apply = () => {
      const params = new URLSearchParams(new FormData(filter));
      for (const [key, value] of [...params]) if (!value) params.delete(key);
      const qs = params.toString() ? `?${params}` : "";
      history.replaceState(null, "", location.pathname + qs);
      live.dataset.src = live.dataset.src.split("?")[0] + qs;
      refresh();
    };
    filter.addEventListener("input", apply);
    filter.addEventListener("change", apply);
    filter.addEventListener("submit", (event) => event.preventDefault());
  }

  document.addEventListener("click", async (event) => {
    const action = event.target.closest("button[data-action]");
    if (action) {
      action.disabled = true;
      try {
        const response = await post(action.dataset.action);
        const result = await response.json();
        if (response.ok) say(`moved ${result.moved} message(s) back (${result.method})`, false);
        else say(result.error ? result.error.message : `failed (${response.status})`, true);
      } catch (error) {
        say(String(error), true);
      }
      refresh();
      return;
    }
    const peek = event.target.closest("button[data-peek]");
    if (peek) {
      const dlq = peek.dataset.dlq ? "&dlq=1" : "";
      const response = await fetch(`/_trellis/api/peek?queue=${encodeURIComponent(peek.dataset.peek)}${dlq}`);
      document.getElementById("peek").innerHTML = await response.text();
    }
  });

  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-invoke]");
    if (!form) return;
    event.preventDefault();
    const out = document.getElementById("event-result");
    const button = form.querySelector("button");
    out.hidden = false;
    out.textContent = "sending…";
    button.disabled = true;
    try {
      const response = await post("/_trellis/api/invoke", Object.fromEntries(new FormData(form)));
      const result = await response.json();
      out.textContent = JSON.stringify(result, null, 2);
      out.dataset.status = result.status || (result.error ? "error" : "");
    } catch (error) {
      out.textContent = String(error);
    } finally {
      button.disabled = false;
    }
    refresh();
  });

  setInterval(refresh, 1000);
  refresh();
})();
