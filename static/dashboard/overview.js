/* Overview page: throughput chart (SVG), status counts, queues, workers, periodic tasks. */
"use strict";

(function () {
  const { api, el, badge, fmtTime, fmtDuration, poll, flash } = window.Dash;
  const root = document.getElementById("overview");
  const SVG = "http://www.w3.org/2000/svg";
  let lastData = null;
  let lastError = "";

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function niceMax(value) {
    if (value <= 4) return 4;
    const magnitude = Math.pow(10, Math.floor(Math.log10(value)));
    for (const step of [1, 2, 2.5, 5, 10]) {
      if (step * magnitude >= value) return step * magnitude;
    }
    return 10 * magnitude;
  }

  function hhmm(iso) {
    const date = new Date(iso);
    return date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  }

  /** Draw stacked bars (completed below, failed above) for each minute. */
  function drawChart(buckets) {
    const box = document.getElementById("throughput-chart");
    const width = Math.max(280, box.clientWidth || 600);
    const height = 220;
    const pad = { left: 36, right: 8, top: 10, bottom: 26 };
    const plotW = width - pad.left - pad.right;
    const plotH = height - pad.top - pad.bottom;
    const peak = Math.max(0, ...buckets.map((b) => b.completed + b.failed));
    const top = niceMax(peak);
    const y = (v) => pad.top + plotH - (v / top) * plotH;
    const slot = plotW / buckets.length;
    const barW = Math.max(1, slot - (slot > 4 ? 1.5 : 0.5));

    const chart = svg("svg", {
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      class: "chart-svg",
    });
    for (const tick of [0, top / 2, top]) {
      const ty = y(tick);
      chart.append(
        svg("line", { x1: pad.left, x2: width - pad.right, y1: ty, y2: ty, class: "grid" }),
        svg("text", { x: pad.left - 6, y: ty + 4, class: "axis", "text-anchor": "end" }, tick),
      );
    }
    buckets.forEach((bucket, i) => {
      const x = pad.left + i * slot;
      const group = svg(
        "g",
        { class: "bar", "data-minute": bucket.minute },
        svg("title", {}, `${hhmm(bucket.minute)}: ${bucket.completed} completed, ${bucket.failed} failed`),
        // An invisible full-height target makes thin bars easy to hover.
        svg("rect", { x, y: pad.top, width: slot, height: plotH, class: "hit" }),
      );
      if (bucket.completed) {
        group.append(
          svg("rect", {
            x,
            y: y(bucket.completed),
            width: barW,
            height: y(0) - y(bucket.completed),
            class: "bar-completed",
          }),
        );
      }
      if (bucket.failed) {
        const total = bucket.completed + bucket.failed;
        group.append(
          svg("rect", {
            x,
            y: y(total),
            width: barW,
            height: y(bucket.completed) - y(total),
            class: "bar-failed",
          }),
        );
      }
      const labelEvery = width < 500 ? 20 : 10;
      const nearEnd = i !== buckets.length - 1 && buckets.length - 1 - i < labelEvery / 2;
      if ((i % labelEvery === 0 && !nearEnd) || i === buckets.length - 1) {
        const last = i === buckets.length - 1;
        chart.append(
          svg(
            "text",
            {
              x: last ? width - pad.right : x + slot / 2,
              y: height - 8,
              class: "axis",
              "text-anchor": last ? "end" : "middle",
            },
            hhmm(bucket.minute),
          ),
        );
      }
      chart.append(group);
    });
    box.replaceChildren(chart);
    const completed = buckets.reduce((sum, b) => sum + b.completed, 0);
    const failed = buckets.reduce((sum, b) => sum + b.failed, 0);
    document.getElementById("throughput-total").textContent =
      `${completed} completed and ${failed} failed in the last hour.`;
  }

  function renderCounts(counts) {
    const jobsUrl = root.dataset.jobsUrl;
    const cards = Object.entries(counts).map(([status, count]) =>
      el(
        "a",
        { class: "stat stat-" + status, href: jobsUrl + "?status=" + status, dataset: { status } },
        el("span", { class: "stat-value", text: count }),
        el("span", { class: "stat-label", text: status }),
      ),
    );
    document.getElementById("status-counts").replaceChildren(...cards);
  }

  function renderQueues(depths) {
    const rows = Object.entries(depths).map(([queue, depth]) =>
      el(
        "tr",
        { dataset: { queue } },
        el("td", { text: queue }),
        el(
          "td",
          { class: "num" + (depth ? " attention" : "") },
          depth === null ? el("span", { class: "muted", text: "unknown" }) : depth,
        ),
      ),
    );
    document.querySelector("#queue-depths tbody").replaceChildren(...rows);
  }

  function renderOldest(job) {
    const box = document.getElementById("oldest-job");
    if (!job) {
      box.replaceChildren(el("span", { class: "muted", text: "Nothing is waiting." }));
      return;
    }
    const link = root.dataset.jobsUrl + "?job=" + job.id;
    box.replaceChildren(
      el(
        "div",
        { class: "oldest" },
        el("a", { href: link, class: "mono", text: job.job_type + " " + job.id.slice(0, 8) }),
        " ",
        badge(job.status),
        el(
          "div",
          { class: "muted small" },
          `waiting ${fmtDuration(job.age_seconds)} on ${job.queue} (since ${fmtTime(job.created_at)})`,
        ),
      ),
    );
  }

  function renderWorkers(workers) {
    const list = document.getElementById("workers");
    if (!workers.length) {
      list.replaceChildren(
        el("li", { class: "attention", text: "No worker answered the ping." }),
      );
      return;
    }
    list.replaceChildren(
      ...workers.map((name) =>
        el("li", {}, el("span", { class: "dot dot-ok", "aria-hidden": "true" }), name),
      ),
    );
  }

  function renderPeriodic(tasks) {
    const body = document.querySelector("#periodic-tasks tbody");
    if (!tasks.length) {
      body.replaceChildren(
        el("tr", {}, el("td", { colspan: 7, class: "muted", text: "No periodic tasks." })),
      );
      return;
    }
    body.replaceChildren(
      ...tasks.map((task) =>
        el(
          "tr",
          { dataset: { name: task.name }, class: task.enabled ? "" : "disabled" },
          el("td", { title: task.description }, task.name),
          el("td", { class: "mono small col-optional", text: task.task }),
          el("td", { class: "small", text: task.schedule }),
          el("td", {}, el("span", {
            class: "badge " + (task.enabled ? "badge-completed" : "badge-cancelled"),
            text: task.enabled ? "enabled" : "disabled",
          })),
          el("td", { class: "small", text: task.last_run_at ? fmtTime(task.last_run_at) : "never" }),
          el("td", { class: "num col-optional", text: task.total_run_count }),
          el("td", {}, task.admin_url
            ? el("a", { href: task.admin_url, class: "btn btn-small", text: "Edit" })
            : ""),
        ),
      ),
    );
  }

  async function refresh() {
    try {
      const data = await api(root.dataset.source);
      lastData = data;
      if (lastError) flash("The overview is updating again.");
      lastError = "";
      document.getElementById("generated-at").textContent = fmtTime(data.generated_at);
      renderCounts(data.status_counts);
      drawChart(data.throughput);
      renderQueues(data.queue_depths);
      renderOldest(data.oldest_waiting_job);
      renderWorkers(data.workers);
      renderPeriodic(data.periodic_tasks);
      root.dataset.loaded = "true";
    } catch (err) {
      if (err.message !== lastError) flash("Could not refresh the overview: " + err.message, "error");
      lastError = err.message;
    }
  }

  window.addEventListener("resize", window.Dash.debounce(() => {
    if (lastData) drawChart(lastData.throughput);
  }, 150));
  poll(refresh, 5000);
})();
