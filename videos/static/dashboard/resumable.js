/* Resumable uploads over the API's tus 1.0 endpoint (videos/uploads/): big files go up in
   chunks, and an upload cut short (lost connection, closed tab, "Stop upload") carries on
   from the last byte the server has when the same file is chosen again. */
"use strict";

(function (D) {
  const TUS = "1.0.0";
  const STORE = "reelhouse.tus.";

  function b64(text) {
    const bytes = new TextEncoder().encode(text);
    let binary = "";
    for (const byte of bytes) binary += String.fromCharCode(byte);
    return btoa(binary);
  }

  const keyOf = (file) => `${STORE}${file.name}:${file.size}:${file.lastModified}`;

  async function request(url, method, headers, body) {
    let response;
    try {
      response = await fetch(url, {
        method,
        body,
        credentials: "same-origin",
        headers: { "Tus-Resumable": TUS, "X-CSRFToken": D.csrfToken(), Accept: "application/json", ...headers },
      });
    } catch (err) {
      throw new D.ApiError(0, null);
    }
    if (!response.ok) {
      let data = null;
      try {
        data = await response.json();
      } catch (err) {
        data = null;
      }
      throw new D.ApiError(response.status, data);
    }
    return response;
  }

  // The upload URL and offset to carry on from, or null to start afresh.
  async function resumePoint(file) {
    const url = localStorage.getItem(keyOf(file));
    if (!url) return null;
    try {
      const response = await request(url, "HEAD", {});
      return { url, offset: Number(response.headers.get("Upload-Offset")) || 0 };
    } catch (err) {
      localStorage.removeItem(keyOf(file)); // expired, finished or terminated
      return null;
    }
  }

  async function create(file, title) {
    const metadata = `filename ${b64(file.name)},title ${b64(title)}`;
    const response = await request(D.url("videos/uploads/"), "POST", {
      "Upload-Length": String(file.size),
      "Upload-Metadata": metadata,
    });
    const url = response.headers.get("Location");
    localStorage.setItem(keyOf(file), url);
    return { url, offset: 0 };
  }

  /* Upload `file` resumably; resolve with {videoId, resumedFrom}. `control.stopped` ends it
     after the chunk in flight (it can be resumed later). */
  async function resumableUpload(file, { title, chunkBytes, onProgress, control }) {
    const point = (await resumePoint(file)) || (await create(file, title));
    const resumedFrom = point.offset;
    let offset = point.offset;
    let response = null;
    onProgress(offset, file.size);
    while (offset < file.size) {
      if (control.stopped) throw new DOMException("Upload stopped.", "AbortError");
      const chunk = file.slice(offset, offset + chunkBytes);
      response = await request(point.url, "PATCH", {
        "Content-Type": "application/offset+octet-stream",
        "Upload-Offset": String(offset),
      }, chunk);
      offset = Number(response.headers.get("Upload-Offset"));
      onProgress(offset, file.size);
    }
    localStorage.removeItem(keyOf(file));
    const videoId = response ? response.headers.get("Upload-Video-Id") : null;
    return { videoId, resumedFrom };
  }

  D.resumableUpload = resumableUpload;
})(window.Dash);
