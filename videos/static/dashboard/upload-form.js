/* Videos page: the upload form. A file goes up in one request with a progress bar; a big
   one goes up in resumable chunks (resumable.js) and can carry on where it stopped. */
"use strict";

(function (D) {
  const { fmtBytes, flash } = D;

  // Wire the upload form; `onUploaded(videoId)` runs once the server has taken a file.
  function setUpUploadForm({ onUploaded }) {
    const uploadForm = document.getElementById("upload-form");
    const uploadBox = document.getElementById("upload-progress");
    const uploadBar = uploadBox.querySelector(".progress");
    const uploadStatus = document.getElementById("upload-status");
    const uploadButton = document.getElementById("upload-button");
    const abortButton = document.getElementById("upload-abort");
    const state = { xhr: null, stopResumable: null };

    function upload(event) {
      event.preventDefault();
      const title = uploadForm.elements.title.value.trim();
      const file = uploadForm.elements.file.files[0];
      if (!title || !file) {
        flash(!file ? "Choose a video file to upload." : "Give the video a title.", "error");
        return;
      }
      if (file.size >= Number(uploadForm.dataset.resumableFrom)) {
        uploadResumable(file, title);
        return;
      }
      const data = new FormData();
      data.append("title", title);
      data.append("file", file);
      const xhr = new XMLHttpRequest();
      state.xhr = xhr;
      xhr.open("POST", D.url("videos/upload/"));
      xhr.setRequestHeader("X-CSRFToken", D.csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = (e) => {
        if (!e.lengthComputable) return;
        D.setProgress(uploadBar, (100 * e.loaded) / e.total, "");
        uploadStatus.textContent = `Uploading ${fmtBytes(e.loaded)} of ${fmtBytes(e.total)}…`;
      };
      xhr.upload.onload = () => {
        D.setProgress(uploadBar, 100, "");
        uploadStatus.textContent = "Uploaded; waiting for the server to check the file…";
      };
      xhr.onload = () => {
        let body = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch (err) {
          body = null;
        }
        if (xhr.status >= 200 && xhr.status < 300) {
          uploadStatus.textContent = body && body.message ? body.message : "Upload accepted.";
          uploadBox.dataset.state = "done";
          flash(`Uploaded “${title}”; processing started.`);
          uploadForm.reset();
          onUploaded(body && body.id);
        } else {
          const message = new D.ApiError(xhr.status, body).message;
          uploadBox.dataset.state = "error";
          uploadStatus.textContent = message;
          flash("The upload was refused: " + message, "error");
        }
      };
      xhr.onerror = () => {
        uploadBox.dataset.state = "error";
        uploadStatus.textContent = "The upload failed: the connection was lost.";
        flash("The upload failed: the connection was lost.", "error");
      };
      xhr.onabort = () => {
        uploadBox.dataset.state = "error";
        uploadStatus.textContent = "Upload stopped.";
      };
      xhr.onloadend = () => {
        state.xhr = null;
        uploadButton.disabled = false;
        abortButton.hidden = true;
      };
      showUploading();
      xhr.send(data);
    }

    function showUploading() {
      uploadBox.hidden = false;
      uploadBox.dataset.state = "uploading";
      D.setProgress(uploadBar, 0, "");
      uploadStatus.textContent = "Starting upload…";
      uploadButton.disabled = true;
      abortButton.hidden = false;
    }

    // Big files go up in chunks (tus) and carry on where they stopped when chosen again.
    async function uploadResumable(file, title) {
      const control = { stopped: false };
      state.stopResumable = () => { control.stopped = true; };
      showUploading();
      try {
        const result = await D.resumableUpload(file, {
          title,
          chunkBytes: Number(uploadForm.dataset.chunkBytes),
          control,
          onProgress: (done, total) => {
            D.setProgress(uploadBar, (100 * done) / total, "");
            uploadStatus.textContent = `Uploading ${fmtBytes(done)} of ${fmtBytes(total)}…`;
          },
        });
        uploadBox.dataset.state = "done";
        uploadBox.dataset.resumedFrom = String(result.resumedFrom);
        uploadStatus.textContent = result.resumedFrom
          ? `Resumed at ${fmtBytes(result.resumedFrom)} and finished; processing started.`
          : "Upload finished; processing started.";
        flash(`Uploaded “${title}”; processing started.`);
        uploadForm.reset();
        onUploaded(result.videoId);
      } catch (err) {
        uploadBox.dataset.state = "error";
        const again = "Choose the same file again to resume where it stopped.";
        if (err.name === "AbortError") {
          uploadStatus.textContent = `Upload stopped. ${again}`;
        } else {
          uploadStatus.textContent = `${err.message} ${again}`;
          flash(`The upload failed: ${err.message} ${again}`, "error");
        }
      } finally {
        state.stopResumable = null;
        uploadButton.disabled = false;
        abortButton.hidden = true;
      }
    }

    uploadForm.addEventListener("submit", upload);
    abortButton.addEventListener("click", () => {
      if (state.xhr) state.xhr.abort();
      if (state.stopResumable) state.stopResumable();
    });
  }

  D.setUpUploadForm = setUpUploadForm;
})(window.Dash);
