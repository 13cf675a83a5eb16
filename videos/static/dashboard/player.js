/* The video player: HLS (native, else hls.js), else the MP4; storyboard previews on a
   scrub bar; seeking sets currentTime (the browser fetches only what it needs). */
"use strict";

(function (D) {
  const { el } = D;
  const HLS_TYPE = "application/vnd.apple.mpegurl";

  // "00:01:02.500" -> 62.5
  function seconds(stamp) {
    const parts = stamp.trim().split(":").map(Number);
    return parts.reduce((total, part) => total * 60 + part, 0);
  }

  // A storyboard track: cues of "start --> end" and "<sprite url>#xywh=x,y,w,h".
  function parseStoryboard(text) {
    const cues = [];
    const blocks = text.replace(/\r/g, "").split(/\n\n+/);
    for (const block of blocks) {
      const lines = block.split("\n").filter(Boolean);
      const timing = lines.findIndex((line) => line.includes("-->"));
      if (timing < 0 || !lines[timing + 1]) continue;
      const [start, end] = lines[timing].split("-->").map((s) => seconds(s.split(" ").filter(Boolean)[0] || s));
      const [url, fragment] = lines[timing + 1].split("#xywh=");
      if (!fragment) continue;
      const [x, y, w, h] = fragment.split(",").map(Number);
      cues.push({ start, end, url, x, y, w, h });
    }
    return cues;
  }

  // Play `hls` natively or through hls.js; fall back to `mp4`. Return how it plays.
  function attachSource(video, sources) {
    if (sources.hls && video.canPlayType(HLS_TYPE)) {
      video.src = sources.hls;
      return { kind: "hls-native", destroy() {} };
    }
    if (sources.hls && window.Hls && window.Hls.isSupported()) {
      const hls = new window.Hls({ capLevelToPlayerSize: true });
      hls.on(window.Hls.Events.ERROR, (event, data) => {
        if (!data.fatal) return;
        hls.destroy();
        if (sources.mp4) {
          video.dataset.source = "mp4";
          video.src = sources.mp4; // the ladder failed: the MP4 always plays
        }
      });
      hls.loadSource(sources.hls);
      hls.attachMedia(video);
      return { kind: "hls.js", destroy: () => hls.destroy() };
    }
    if (sources.mp4) video.src = sources.mp4;
    return { kind: "mp4", destroy() {} };
  }

  function clock(t) {
    const whole = Math.max(0, Math.floor(t));
    const m = Math.floor(whole / 60);
    return `${m}:${String(whole % 60).padStart(2, "0")}`;
  }

  // A range input that seeks, with the storyboard tile of the time under the pointer.
  function scrubBar(video, duration, storyboardUrl) {
    const range = el("input", {
      type: "range", class: "scrub", min: "0", max: String(duration || 0), step: "0.1", value: "0",
      "aria-label": "Seek",
    });
    const preview = el("div", { class: "scrub-preview", hidden: true },
      el("div", { class: "scrub-tile" }), el("span", { class: "scrub-time small" }));
    const box = el("div", { class: "scrubber" }, range, preview);
    let cues = [];
    let dragging = false;
    if (storyboardUrl) {
      fetch(storyboardUrl, { credentials: "same-origin" })
        .then((r) => (r.ok ? r.text() : ""))
        .then((text) => { cues = parseStoryboard(text); box.dataset.storyboard = String(cues.length); })
        .catch(() => { cues = []; });
    }
    function show(t) {
      const max = Number(range.max) || 0;
      preview.hidden = false;
      preview.style.left = `${max ? (100 * t) / max : 0}%`;
      preview.querySelector(".scrub-time").textContent = clock(t);
      const cue = cues.find((c) => t >= c.start && t < c.end) || cues[cues.length - 1];
      const tile = preview.querySelector(".scrub-tile");
      tile.hidden = !cue;
      if (!cue) return;
      tile.style.width = `${cue.w}px`;
      tile.style.height = `${cue.h}px`;
      tile.style.backgroundImage = `url("${cue.url}")`;
      tile.style.backgroundPosition = `-${cue.x}px -${cue.y}px`;
    }
    const timeAt = (event) => {
      const rect = range.getBoundingClientRect();
      const share = Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width));
      return share * (Number(range.max) || 0);
    };
    range.addEventListener("pointermove", (e) => show(timeAt(e)));
    range.addEventListener("pointerleave", () => { if (!dragging) preview.hidden = true; });
    range.addEventListener("input", () => { dragging = true; show(Number(range.value)); });
    range.addEventListener("change", () => {
      dragging = false;
      preview.hidden = true;
      video.currentTime = Number(range.value); // a seek, never a reload
    });
    video.addEventListener("durationchange", () => {
      if (Number.isFinite(video.duration) && video.duration > 0) range.max = String(video.duration);
    });
    video.addEventListener("timeupdate", () => {
      if (!dragging) range.value = String(video.currentTime);
    });
    return box;
  }

  /* Return a <figure> playing a video API object's renditions; call .destroy() when done. */
  function streamPlayer(video, { title = "Video" } = {}) {
    const sources = { hls: video.hls_url, mp4: video.url_mp4 };
    if (!sources.hls && !sources.mp4) return null;
    const media = el("video", {
      poster: video.thumbnail_url || null, controls: true, preload: "metadata", playsinline: true,
      class: "stream",
    });
    const playback = attachSource(media, sources);
    media.dataset.source = playback.kind;
    const figure = el("figure", { class: "player player-stream" },
      media,
      scrubBar(media, video.duration, video.storyboard_url),
      el("figcaption", { class: "small" }, title,
        ` · ${playback.kind === "mp4" ? "MP4" : "adaptive (HLS)"}`,
        sources.mp4 ? [" · ", el("a", { href: sources.mp4, text: "open MP4" })] : null));
    figure.destroy = () => playback.destroy();
    return figure;
  }

  D.streamPlayer = streamPlayer;
  D.parseStoryboard = parseStoryboard;
})(window.Dash);
