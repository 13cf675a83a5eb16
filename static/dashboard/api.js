/* Reelhouse dashboard: shared helpers (API calls with CSRF, DOM building, formatting). */
"use strict";

window.Dash = (function () {
  const body = document.body;
  const apiRoot = body.dataset.apiRoot || "/api/v1/";

  function cookie(name) {
    const prefix = name + "=";
    for (const part of document.cookie.split(";")) {
      const item = part.trim();
      if (item.startsWith(prefix)) return decodeURIComponent(item.slice(prefix.length));
    }
    return "";
  }

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return cookie("csrftoken") || (input ? input.value : "");
  }

  class ApiError extends Error {
    constructor(status, body) {
      super(errorMessage(status, body));
      this.status = status;
      this.body = body;
    }
  }

  function errorMessage(status, body) {
    if (body && typeof body === "object") {
      const parts = [];
      if (body.detail) parts.push(String(body.detail));
      const errors = body.errors || {};
      for (const [field, messages] of Object.entries(errors)) {
        const text = Array.isArray(messages) ? messages.join(" ") : JSON.stringify(messages);
        const line = field + ": " + text;
        if (!parts.some((p) => p.includes(text))) parts.push(line);
      }
      if (parts.length) return parts.join(" — ");
    }
    if (status === 0) return "The server could not be reached; check your connection.";
    return "Request failed with HTTP " + status + ".";
  }

  function url(path, query) {
    const full = /^(https?:)?\//.test(path) ? path : apiRoot + path;
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query || {})) {
      if (value === undefined || value === null || value === "") continue;
      for (const item of Array.isArray(value) ? value : [value]) params.append(key, item);
    }
    const qs = params.toString();
    return qs ? full + (full.includes("?") ? "&" : "?") + qs : full;
  }

  /** Call the API; JSON in and out, FormData sent as multipart. Rejects with ApiError. */
  async function api(path, { method = "GET", json, form, query } = {}) {
    const headers = { Accept: "application/json" };
    let payload;
    if (method !== "GET" && method !== "HEAD") headers["X-CSRFToken"] = csrfToken();
    if (form) payload = form;
    else if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(json);
    }
    let response;
    try {
      response = await fetch(url(path, query), {
        method,
        headers,
        body: payload,
        credentials: "same-origin",
      });
    } catch (err) {
      throw new ApiError(0, null);
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (err) {
      data = null;
    }
    const loggedOut = data && data.code === "not_authenticated";
    if (response.status === 401 || (response.status === 403 && loggedOut)) redirectToLogin();
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  function redirectToLogin() {
    const login = body.dataset.loginUrl;
    if (login) window.location.assign(login + "?next=" + encodeURIComponent(location.pathname));
  }

  /** Build an element: el("td", {class: "x", dataset: {id: 1}}, "text", child). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value === true) node.setAttribute(key, "");
      else node.setAttribute(key, value);
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** Replace a node's children, skipping null/undefined/false (replaceChildren prints them). */
  function fill(node, ...children) {
    const kept = children.flat().filter((c) => c !== null && c !== undefined && c !== false);
    node.replaceChildren(...kept);
    return node;
  }

  function badge(status) {
    return el("span", { class: "badge badge-" + status, text: status });
  }

  /** A progress bar whose value and label can be updated with setProgress. */
  function progressBar(value, label) {
    const fill = el("div", { class: "progress-fill" });
    const text = el("span", { class: "progress-text" });
    const bar = el(
      "div",
      { class: "progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100 },
      fill,
      text,
    );
    setProgress(bar, value, label);
    return bar;
  }

  function setProgress(bar, value, label) {
    const pct = Math.max(0, Math.min(100, Math.round(Number(value) || 0)));
    bar.setAttribute("aria-valuenow", String(pct));
    bar.querySelector(".progress-fill").style.width = pct + "%";
    bar.querySelector(".progress-text").textContent = label ? pct + "% · " + label : pct + "%";
    bar.title = label || "";
  }

  function fmtTime(iso) {
    if (!iso) return "—";
    const date = new Date(iso);
    if (isNaN(date)) return iso;
    return date.toLocaleString(undefined, {
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
  }

  function fmtDuration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const s = Number(seconds);
    if (s < 1) return s.toFixed(2) + " s";
    if (s < 60) return s.toFixed(1) + " s";
    const m = Math.floor(s / 60);
    if (m < 60) return m + " min " + Math.round(s % 60) + " s";
    const h = Math.floor(m / 60);
    if (h < 48) return h + " h " + (m % 60) + " min";
    return Math.floor(h / 24) + " d " + (h % 24) + " h";
  }

  function fmtBytes(n) {
    if (n === null || n === undefined) return "—";
    const units = ["B", "KB", "MB", "GB", "TB"];
    let value = Number(n);
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return (unit ? value.toFixed(1) : value) + " " + units[unit];
  }

  function json(value) {
    if (value === null || value === undefined) return "—";
    return JSON.stringify(value, null, 2);
  }

  /**
   * Run `task` now and then every `ms` milliseconds after each run finishes, so slow
   * responses never pile up. Returns {stop, now}.
   */
  function poll(task, ms) {
    let timer = null;
    let stopped = false;
    let running = false;
    async function tick() {
      clearTimeout(timer);
      if (stopped) return;
      if (running) return;
      running = true;
      try {
        await task();
      } catch (err) {
        console.error(err);
      } finally {
        running = false;
        if (!stopped) timer = setTimeout(tick, ms);
      }
    }
    tick();
    return {
      stop() {
        stopped = true;
        clearTimeout(timer);
      },
      now: tick,
    };
  }

  /** Show a message in the page's flash area; kind is "ok" or "error". */
  function flash(message, kind = "ok") {
    const area = document.getElementById("flash");
    if (!area) return;
    const note = el(
      "div",
      { class: "flash flash-" + kind, role: kind === "error" ? "alert" : "status" },
      el("span", { text: message }),
      el("button", {
        type: "button",
        class: "flash-close",
        "aria-label": "Dismiss",
        text: "×",
        onclick: () => note.remove(),
      }),
    );
    area.prepend(note);
    while (area.children.length > 4) area.lastElementChild.remove();
    if (kind === "ok") setTimeout(() => note.remove(), 6000);
  }

  function debounce(fn, ms) {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  }

  // A list page's filter form: `onChange` on any change, on typing in its search box
  // (debounced) and on submit (Enter), which does not reload the page.
  function watchFilters(form, onChange) {
    form.addEventListener("change", onChange);
    form.elements.search.addEventListener("input", debounce(onChange, 300));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      onChange();
    });
  }

  // The "← Newer" / "Older →" buttons of a paged list: they move `state.page` and refresh.
  function pager(prevButton, nextButton, state, refresh) {
    prevButton.addEventListener("click", () => {
      state.page = Math.max(1, state.page - 1);
      refresh();
    });
    nextButton.addEventListener("click", () => {
      state.page += 1;
      refresh();
    });
  }

  return {
    api,
    ApiError,
    apiRoot,
    // "My videos" / "My jobs": the same pages, listing only the signed-in user's objects.
    mine: body.dataset.mine === "true",
    badge,
    csrfToken,
    debounce,
    el,
    fill,
    flash,
    fmtBytes,
    fmtDuration,
    fmtTime,
    json,
    pager,
    poll,
    progressBar,
    setProgress,
    url,
    watchFilters,
  };
})();
