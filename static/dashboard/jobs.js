/* Jobs page: the live list (polled every 2 s), the detail panel and job actions. */
"use strict";

(function () {
  const D = window.Dash;
  const { api, el, badge, fmtTime, fmtDuration, flash } = D;
  const PAGE_SIZE = 25;
  const ACTIVE = new Set(["pending", "queued", "running"]);
  const RETRYABLE = new Set(["failed", "cancelled"]);

  const tbody = document.querySelector("#jobs-table tbody");
  const filtersForm = document.getElementById("filters");
  const selectAll = document.getElementById("select-all");
  const bulkRetry = document.getElementById("bulk-retry");
  const drawer = document.getElementById("job-detail");
  const detailBody = document.getElementById("detail-body");

  const query = new URLSearchParams(location.search);
  // The filters this page shows ("My jobs" has no queue filter).
  const filterKeys = ["status", "job_type", "queue", "search"].filter((key) => filtersForm.elements[key]);
  const state = {
    filters: Object.fromEntries(filterKeys.map((key) => [key, query.get(key) || ""])),
    page: 1,
    selected: new Set(),
    openJob: query.get("job") || null,
    lastDetail: "",
    rows: new Map(),
    jobs: new Map(),
  };

  // --- actions -------------------------------------------------------------------

  async function cancelJob(id, force) {
    if (force && !window.confirm("Force-cancel kills the running task at once. Continue?")) return;
    try {
      const job = await api(`jobs/${id}/cancel/`, { method: "POST", json: { force } });
      flash(job.status === "cancelled"
        ? `Job ${id.slice(0, 8)} cancelled.`
        : `Cancel requested: job ${id.slice(0, 8)} stops at its next checkpoint.`);
    } catch (err) {
      flash(`Could not cancel job ${id.slice(0, 8)}: ${err.message}`, "error");
    }
    refreshSoon();
  }

  async function retryJob(id) {
    try {
      const job = await api(`jobs/${id}/retry/`, { method: "POST" });
      flash(`Job ${id.slice(0, 8)} retried as ${job.id.slice(0, 8)}.`);
      return job;
    } catch (err) {
      flash(`Could not retry job ${id.slice(0, 8)}: ${err.message}`, "error");
      return null;
    } finally {
      refreshSoon();
    }
  }

  async function retrySelected() {
    const ids = [...state.selected];
    bulkRetry.disabled = true;
    let done = 0;
    const failures = [];
    for (const id of ids) {
      try {
        await api(`jobs/${id}/retry/`, { method: "POST" });
        done += 1;
      } catch (err) {
        failures.push(`${id.slice(0, 8)}: ${err.message}`);
      }
      state.selected.delete(id);
    }
    if (done) flash(`Retried ${done} job${done === 1 ? "" : "s"}.`);
    if (failures.length) flash("Not retried — " + failures.join("; "), "error");
    refreshSoon();
  }

  function actionButtons(job, { small = true } = {}) {
    const size = small ? " btn-small" : "";
    const buttons = [];
    if (ACTIVE.has(job.status)) {
      buttons.push(el("button", {
        type: "button", class: "btn btn-warn" + size, dataset: { action: "cancel" },
        disabled: Boolean(job.cancel_requested_at), text: job.cancel_requested_at ? "Cancelling…" : "Cancel",
        onclick: () => cancelJob(job.id, false),
      }));
      buttons.push(el("button", {
        type: "button", class: "btn btn-danger" + size, dataset: { action: "force-cancel" },
        text: "Force cancel", onclick: () => cancelJob(job.id, true),
      }));
    }
    if (RETRYABLE.has(job.status)) {
      buttons.push(el("button", {
        type: "button", class: "btn" + size, dataset: { action: "retry" }, text: "Retry",
        onclick: () => retryJob(job.id),
      }));
    }
    return el("div", { class: "actions" }, ...buttons);
  }

  // --- the list ------------------------------------------------------------------

  function buildRow(job) {
    const check = el("input", {
      type: "checkbox", class: "row-check", "aria-label": `Select job ${job.id.slice(0, 8)}`,
      onchange: (e) => {
        if (e.target.checked) state.selected.add(job.id);
        else state.selected.delete(job.id);
        updateBulk();
      },
    });
    const open = el("button", {
      type: "button", class: "link job-link", onclick: () => openDetail(job.id),
    });
    const tr = el("tr", { dataset: { id: job.id } },
      el("td", { class: "check" }, check),
      el("td", { class: "job-cell" }, open, el("div", { class: "job-sub small muted" })),
      el("td", { class: "status-cell" }),
      el("td", { class: "queue-cell col-optional small" }),
      el("td", { class: "progress-col" }, D.progressBar(0)),
      el("td", { class: "num attempts-cell col-optional" }),
      el("td", { class: "created-cell col-optional small" }),
      el("td", { class: "num duration-cell col-optional small" }),
      el("td", { class: "actions-cell" }),
    );
    tr._cells = { check, open, sub: tr.querySelector(".job-sub") };
    return tr;
  }

  function updateRow(tr, job) {
    const c = tr._cells;
    const changedStatus = tr.dataset.status !== job.status
      || tr.dataset.cancelling !== String(Boolean(job.cancel_requested_at));
    tr.dataset.status = job.status;
    tr.dataset.cancelling = String(Boolean(job.cancel_requested_at));
    tr.dataset.type = job.job_type;
    tr.classList.toggle("is-open", state.openJob === job.id);
    c.open.textContent = `${job.job_type} · ${job.id.slice(0, 8)}`;
    c.sub.textContent = job.error ? job.error.slice(0, 120) : job.progress_message || "";
    c.sub.classList.toggle("error-text", Boolean(job.error));
    c.check.disabled = !RETRYABLE.has(job.status);
    if (c.check.disabled) state.selected.delete(job.id);
    c.check.checked = state.selected.has(job.id);
    if (changedStatus) {
      tr.querySelector(".status-cell").replaceChildren(badge(job.status));
      tr.querySelector(".actions-cell").replaceChildren(actionButtons(job));
    }
    tr.querySelector(".queue-cell").textContent = job.queue;
    const bar = tr.querySelector(".progress");
    bar.dataset.status = job.status;
    D.setProgress(bar, job.progress, ""); // the message is shown under the job's name
    tr.querySelector(".attempts-cell").textContent = `${job.attempts}/${job.max_attempts}`;
    tr.querySelector(".created-cell").textContent = fmtTime(job.created_at);
    tr.querySelector(".duration-cell").textContent = fmtDuration(job.duration_seconds);
  }

  function renderList(page) {
    const seen = new Set();
    page.results.forEach((job, index) => {
      seen.add(job.id);
      state.jobs.set(job.id, job);
      let tr = state.rows.get(job.id);
      if (!tr) {
        tr = buildRow(job);
        state.rows.set(job.id, tr);
      }
      updateRow(tr, job);
      if (tbody.children[index] !== tr) tbody.insertBefore(tr, tbody.children[index] || null);
    });
    for (const [id, tr] of state.rows) {
      if (!seen.has(id)) {
        tr.remove();
        state.rows.delete(id);
        state.jobs.delete(id);
      }
    }
    if (!page.results.length) {
      tbody.replaceChildren(el("tr", { class: "empty" },
        el("td", { colspan: 9, class: "muted", text: "No jobs match these filters." })));
    } else {
      const empty = tbody.querySelector("tr.empty");
      if (empty) empty.remove();
    }
    const first = (state.page - 1) * PAGE_SIZE + 1;
    const last = first + page.results.length - 1;
    document.getElementById("job-count").textContent = `(${page.count})`;
    document.getElementById("page-info").textContent =
      page.count ? `${first}–${last} of ${page.count}` : "";
    document.getElementById("page-prev").disabled = !page.previous;
    document.getElementById("page-next").disabled = !page.next;
    updateBulk();
    tbody.dataset.loaded = "true";
  }

  function updateBulk() {
    const n = state.selected.size;
    bulkRetry.disabled = n === 0;
    bulkRetry.textContent = n ? `Retry selected (${n})` : "Retry selected";
    const retryable = [...state.jobs.values()].filter((j) => RETRYABLE.has(j.status));
    selectAll.checked = retryable.length > 0 && retryable.every((j) => state.selected.has(j.id));
  }

  async function refreshList() {
    try {
      const page = await api("jobs/", {
        query: { ...state.filters, page: state.page, page_size: PAGE_SIZE, mine: D.mine ? "true" : "" },
      });
      renderList(page);
    } catch (err) {
      if (err.status === 404 && state.page > 1) {
        state.page = 1; // the page emptied out under us
        return;
      }
      throw err;
    }
  }

  // --- the detail panel ----------------------------------------------------------

  function row(label, value) {
    return [el("dt", { text: label }), el("dd", {}, value ?? "—")];
  }

  function block(title, content, cls) {
    return el("section", { class: "detail-block" },
      el("h3", { text: title }), el("pre", { class: "code " + (cls || ""), text: content }));
  }

  function renderDetail(job) {
    const fingerprint = JSON.stringify(job);
    if (fingerprint === state.lastDetail) return;
    state.lastDetail = fingerprint;
    const tracebackOpen = Boolean(detailBody.querySelector("details[open]"));
    document.getElementById("detail-title").textContent = `${job.job_type} · ${job.id.slice(0, 8)}`;
    const retryOf = job.retry_of
      ? el("button", { type: "button", class: "link mono", text: job.retry_of.slice(0, 8),
        onclick: () => openDetail(job.retry_of) })
      : null;
    const target = job.target ? `${job.target.type} ${job.target.id}` : null;
    const bar = D.progressBar(job.progress, job.is_final ? "" : job.progress_message);
    bar.dataset.status = job.status;
    D.fill(detailBody,
      el("div", { class: "detail-status", dataset: { status: job.status } }, badge(job.status),
        job.cancel_requested_at && !job.is_final ? el("span", { class: "muted small", text: " cancel requested" }) : null),
      bar,
      actionButtons(job, { small: false }),
      el("dl", { class: "facts" },
        row("ID", el("span", { class: "mono", text: job.id })),
        row("Queue", `${job.queue} (priority ${job.priority})`),
        row("Attempts", `${job.attempts} of ${job.max_attempts}`),
        row("Worker", job.worker || null),
        row("Task id", job.celery_task_id ? el("span", { class: "mono small", text: job.celery_task_id }) : null),
        row("Target", target),
        row("Retry of", retryOf),
        row("Created", fmtTime(job.created_at)),
        row("Queued", fmtTime(job.queued_at)),
        row("Started", fmtTime(job.started_at)),
        row("Finished", fmtTime(job.completed_at)),
        row("Heartbeat", fmtTime(job.heartbeat_at)),
        row("Cancel asked", job.cancel_requested_at ? fmtTime(job.cancel_requested_at) : null),
        row("Duration", fmtDuration(job.duration_seconds)),
      ),
      block("Params", D.json(job.params)),
      block("Result", D.json(job.result), "result"),
      job.error ? block("Error", job.error, "error-text") : null,
      job.traceback
        ? el("details", { class: "detail-block", open: tracebackOpen },
          el("summary", { text: "Traceback" }), el("pre", { class: "code small", text: job.traceback }))
        : null,
    );
  }

  async function refreshDetail() {
    if (!state.openJob) return;
    try {
      renderDetail(await api(`jobs/${state.openJob}/`));
    } catch (err) {
      detailBody.replaceChildren(el("p", { class: "error-text", text: err.message }));
      state.lastDetail = "";
    }
  }

  function openDetail(id) {
    if (drawer.hidden) state.opener = document.activeElement;
    state.openJob = id;
    state.lastDetail = "";
    drawer.hidden = false;
    document.getElementById("detail-close").focus(); // keyboard users land in the drawer
    document.body.classList.add("drawer-open");
    detailBody.replaceChildren(el("p", { class: "muted", text: "Loading…" }));
    for (const [rowId, tr] of state.rows) tr.classList.toggle("is-open", rowId === id);
    syncUrl();
    refreshDetail();
  }

  function closeDetail() {
    state.openJob = null;
    drawer.hidden = true;
    if (state.opener && state.opener.isConnected) state.opener.focus();
    document.body.classList.remove("drawer-open");
    for (const tr of state.rows.values()) tr.classList.remove("is-open");
    syncUrl();
  }

  // --- wiring --------------------------------------------------------------------

  function syncUrl() {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(state.filters)) if (value) params.set(key, value);
    if (state.openJob) params.set("job", state.openJob);
    const qs = params.toString();
    history.replaceState(null, "", qs ? "?" + qs : location.pathname);
  }

  const poller = D.poll(async () => {
    await Promise.all([refreshList(), refreshDetail()]);
  }, 2000);
  const refreshSoon = () => poller.now();

  function readFilters() {
    for (const key of Object.keys(state.filters)) {
      state.filters[key] = filtersForm.elements[key].value.trim();
    }
    state.page = 1;
    state.selected.clear();
    syncUrl();
    refreshSoon();
  }

  for (const key of Object.keys(state.filters)) filtersForm.elements[key].value = state.filters[key];
  D.watchFilters(filtersForm, readFilters);
  D.pager(document.getElementById("page-prev"), document.getElementById("page-next"), state, refreshSoon);
  selectAll.addEventListener("change", () => {
    for (const job of state.jobs.values()) {
      if (!RETRYABLE.has(job.status)) continue;
      if (selectAll.checked) state.selected.add(job.id);
      else state.selected.delete(job.id);
    }
    for (const [id, tr] of state.rows) tr._cells.check.checked = state.selected.has(id);
    updateBulk();
  });
  document.getElementById("select-failed").addEventListener("click", () => {
    for (const job of state.jobs.values()) if (job.status === "failed") state.selected.add(job.id);
    for (const [id, tr] of state.rows) tr._cells.check.checked = state.selected.has(id);
    updateBulk();
  });
  bulkRetry.addEventListener("click", retrySelected);
  document.getElementById("detail-close").addEventListener("click", closeDetail);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && state.openJob) closeDetail();
  });

  if (state.openJob) openDetail(state.openJob);
  window.JobForm.init((job) => {
    refreshSoon();
    openDetail(job.id);
  });
})();
