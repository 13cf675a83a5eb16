/* Videos page: a live grid and a detail panel with players (the upload form: upload-form.js). */
"use strict";

(function () {
  const D = window.Dash;
  const { api, el, badge, fmtTime, fmtDuration, fmtBytes, flash } = D;
  const PAGE_SIZE = 25; // the API's page size

  const grid = document.getElementById("video-grid");
  const drawer = document.getElementById("video-detail");
  const detailBody = document.getElementById("video-detail-body");
  const filters = document.getElementById("video-filters");
  const announce = document.getElementById("video-announce");

  const state = {
    page: 1,
    filters: { status: "", search: "" },
    cards: new Map(),
    openVideo: new URLSearchParams(location.search).get("video"),
    lastDetail: "",
    players: [],
  };

  // --- the grid ------------------------------------------------------------------

  function buildCard(video) {
    const thumb = el("div", { class: "thumb" });
    const card = el("article", { class: "video-card", dataset: { id: video.id } },
      el("button", { type: "button", class: "card-open", "aria-label": "Open video details",
        onclick: () => openDetail(video.id) }, thumb),
      el("div", { class: "video-meta" },
        el("h3", { class: "video-title" }),
        el("div", { class: "video-line" }, el("span", { class: "status-slot" }),
          el("span", { class: "small muted video-facts" })),
        el("div", { class: "video-progress" }),
        el("p", { class: "small error-text video-error" })),
    );
    card._thumb = thumb;
    return card;
  }

  // Media URLs are signed and expire, so the same file comes back under a new query string
  // now and then; compare files by their path.
  const fileOf = (url) => (url || "").split("?")[0];
  const MEDIA_FIELDS = ["url_mp4", "proxy_url", "thumbnail_url", "original_url", "hls_url", "storyboard_url"];

  function setThumb(box, video) {
    const src = video.thumbnail_url || "";
    if (box.dataset.src === fileOf(src)) return;
    box.dataset.src = fileOf(src);
    if (src) {
      box.replaceChildren(el("img", { src, alt: `Thumbnail of ${video.title}`, loading: "lazy" }));
    } else {
      box.replaceChildren(el("span", { class: "thumb-placeholder", text: video.status === "error" ? "✕" : "…" }));
    }
  }

  function updateCard(card, video) {
    // The grid is re-rendered silently; a status change is announced once, in words.
    if (card.dataset.status && card.dataset.status !== video.status) {
      announce.textContent = `${video.title}: ${video.status}`;
    }
    card.dataset.status = video.status;
    card.querySelector(".video-title").textContent = video.title;
    card.querySelector(".status-slot").replaceChildren(badge(video.status));
    const facts = [];
    if (video.status === "uploading") {
      facts.push(`${fmtBytes(video.bytes_received)} of ${fmtBytes(video.original_size)} received`);
    }
    if (video.duration) facts.push(fmtDuration(video.duration));
    if (video.display_width) facts.push(`${video.display_width}×${video.display_height}`);
    card.querySelector(".video-facts").textContent = facts.join(" · ");
    setThumb(card._thumb, video);
    const progressSlot = card.querySelector(".video-progress");
    const job = video.job;
    if (job && (video.status === "processing" || video.status === "uploading")) {
      let bar = progressSlot.querySelector(".progress");
      if (!bar) {
        bar = D.progressBar(0);
        progressSlot.replaceChildren(bar);
      }
      bar.dataset.status = job.status;
      D.setProgress(bar, job.progress, job.message);
    } else {
      progressSlot.replaceChildren();
    }
    card.querySelector(".video-error").textContent = video.status === "error" ? video.error_reason : "";
  }

  function renderGrid(page) {
    const seen = new Set();
    page.results.forEach((video, index) => {
      seen.add(video.id);
      let card = state.cards.get(video.id);
      if (!card) {
        card = buildCard(video);
        state.cards.set(video.id, card);
      }
      updateCard(card, video);
      if (grid.children[index] !== card) grid.insertBefore(card, grid.children[index] || null);
    });
    for (const [id, card] of state.cards) {
      if (!seen.has(id)) {
        card.remove();
        state.cards.delete(id);
      }
    }
    const empty = grid.querySelector(".empty");
    if (!page.results.length && !empty) {
      grid.append(el("p", { class: "empty muted", text: "No videos yet: upload one above." }));
    } else if (page.results.length && empty) {
      empty.remove();
    }
    const first = (state.page - 1) * PAGE_SIZE + 1;
    document.getElementById("video-count").textContent = `(${page.count})`;
    document.getElementById("video-page-info").textContent =
      page.count ? `${first}–${first + page.results.length - 1} of ${page.count}` : "";
    document.getElementById("video-prev").disabled = !page.previous;
    document.getElementById("video-next").disabled = !page.next;
    grid.dataset.loaded = "true";
  }

  async function refreshGrid() {
    try {
      renderGrid(await api("videos/", {
        query: { ...state.filters, page: state.page, mine: D.mine ? "true" : "" },
      }));
    } catch (err) {
      if (err.status === 404 && state.page > 1) state.page = 1;
      else throw err;
    }
  }

  // --- detail --------------------------------------------------------------------

  function fact(label, value) {
    return [el("dt", { text: label }), el("dd", {}, value === null || value === undefined || value === "" ? "—" : value)];
  }

  function player(title, src, poster) {
    if (!src) return null;
    return el("figure", { class: "player" },
      el("video", { src, poster: poster || null, controls: true, preload: "metadata", playsinline: true }),
      el("figcaption", { class: "small" }, title, " · ", el("a", { href: src, text: "open file" })));
  }

  async function reprocess(video) {
    try {
      const body = await api(`videos/${video.id}/reprocess/`, { method: "POST" });
      flash(body.message || "Reprocessing started.");
    } catch (err) {
      flash("Could not reprocess: " + err.message, "error");
    }
    refreshSoon();
  }

  async function remove(video) {
    if (!window.confirm(`Delete “${video.title}” and all its files? This can't be undone.`)) return;
    try {
      await api(`videos/${video.id}/`, { method: "DELETE" });
      flash(`Deleted “${video.title}”.`);
      closeDetail();
    } catch (err) {
      flash("Could not delete: " + err.message, "error");
    }
    refreshSoon();
  }

  function renderDetail(video) {
    const files = Object.fromEntries(MEDIA_FIELDS.map((field) => [field, fileOf(video[field])]));
    const fingerprint = JSON.stringify({ ...video, ...files, updated_at: null });
    if (fingerprint === state.lastDetail) return;
    const playing = [...detailBody.querySelectorAll("video")].some((v) => !v.paused);
    const last = state.lastDetail && JSON.parse(state.lastDetail);
    const sameFiles = last && last.url_mp4 === files.url_mp4 && last.processed_at === video.processed_at;
    state.lastDetail = fingerprint;
    if (playing && sameFiles) return; // do not interrupt playback for a metadata refresh
    document.getElementById("video-detail-title").textContent = video.title;
    const job = video.job;
    const bar = job && !["ready", "error"].includes(video.status)
      ? D.progressBar(job.progress, job.message) : null;
    const canReprocess = video.status === "ready" || video.status === "error";
    stopPlayers();
    const main = D.streamPlayer(video, { title: "Video" });
    if (main) state.players.push(main);
    D.fill(detailBody,
      el("div", { class: "detail-status", dataset: { status: video.status } }, badge(video.status)),
      bar,
      video.status === "error"
        ? el("div", { class: "flash flash-error video-error-reason", role: "alert", text: video.error_reason || "Processing failed." })
        : null,
      main,
      player("Proxy (low resolution)", video.proxy_url, null),
      el("div", { class: "actions" },
        el("button", { type: "button", class: "btn", dataset: { action: "reprocess" }, disabled: !canReprocess,
          text: "Reprocess", onclick: () => reprocess(video) }),
        el("button", { type: "button", class: "btn btn-ghost", dataset: { action: "delete" },
          text: "Delete", onclick: () => remove(video) }),
        video.original_url ? el("a", { class: "btn", href: video.original_url, text: "Download original" }) : null,
        job ? el("a", { class: "btn btn-ghost", href: `../jobs/?job=${job.id}`, text: "Processing job" }) : null),
      el("dl", { class: "facts" },
        ...fact("ID", el("span", { class: "mono small", text: video.id })),
        ...fact("Owner", video.owner),
        ...fact("Original", video.original_filename && `${video.original_filename} (${fmtBytes(video.original_size)})`),
        ...fact("Container", video.container),
        ...fact("Duration", video.duration ? fmtDuration(video.duration) : null),
        ...fact("Size", video.width ? `${video.width}×${video.height}` : null),
        ...fact("Displayed", video.display_width ? `${video.display_width}×${video.display_height}` : null),
        ...fact("Rotation", video.rotation ? `${video.rotation}°` : null),
        ...fact("Frame rate", video.fps ? `${Number(video.fps).toFixed(2)} fps` : null),
        ...fact("Video codec", video.video_codec),
        ...fact("Audio", video.has_audio === false ? "none" : video.audio_codec),
        ...fact("Bitrate", video.bitrate ? `${Math.round(video.bitrate / 1000)} kb/s` : null),
        ...fact("Uploaded", fmtTime(video.created_at)),
        ...fact("Processed", fmtTime(video.processed_at)),
      ),
      video.description ? el("p", { class: "small", text: video.description }) : null,
    );
  }

  async function refreshDetail() {
    if (!state.openVideo) return;
    try {
      renderDetail(await api(`videos/${state.openVideo}/`));
    } catch (err) {
      state.lastDetail = "";
      detailBody.replaceChildren(el("p", { class: "error-text", text: err.message }));
    }
  }

  function openDetail(id) {
    if (drawer.hidden) state.opener = document.activeElement;
    state.openVideo = id;
    state.lastDetail = "";
    drawer.hidden = false;
    document.getElementById("video-detail-close").focus(); // keyboard users land in the drawer
    document.body.classList.add("drawer-open", "drawer-wide-open");
    detailBody.replaceChildren(el("p", { class: "muted", text: "Loading…" }));
    history.replaceState(null, "", "?video=" + id);
    refreshDetail();
  }

  function stopPlayers() {
    for (const figure of state.players) figure.destroy();
    state.players = [];
  }

  function closeDetail() {
    for (const video of detailBody.querySelectorAll("video")) video.pause();
    stopPlayers();
    state.openVideo = null;
    drawer.hidden = true;
    if (state.opener && state.opener.isConnected) state.opener.focus();
    document.body.classList.remove("drawer-open", "drawer-wide-open");
    history.replaceState(null, "", location.pathname);
  }

  // --- wiring --------------------------------------------------------------------

  const poller = D.poll(() => Promise.all([refreshGrid(), refreshDetail()]), 2000);
  const refreshSoon = () => poller.now();

  function readFilters() {
    state.filters.status = filters.elements.status.value;
    state.filters.search = filters.elements.search.value.trim();
    state.page = 1;
    refreshSoon();
  }

  D.setUpUploadForm({
    onUploaded(videoId) {
      refreshSoon();
      if (videoId) openDetail(videoId);
    },
  });
  D.watchFilters(filters, readFilters);
  D.pager(document.getElementById("video-prev"), document.getElementById("video-next"), state, refreshSoon);
  document.getElementById("video-detail-close").addEventListener("click", closeDetail);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && state.openVideo) closeDetail();
  });
  if (state.openVideo) openDetail(state.openVideo);
})();
