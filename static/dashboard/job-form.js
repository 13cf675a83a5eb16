/* Jobs page: the submit form, built per job type from GET /api/v1/jobs/types/. */
"use strict";

window.JobForm = (function () {
  const { api, el, flash } = window.Dash;
  const form = document.getElementById("submit-form");
  const typeSelect = document.getElementById("job-type");
  const fieldsBox = document.getElementById("type-fields");
  const description = document.getElementById("type-description");
  const status = document.getElementById("submit-status");
  const button = document.getElementById("submit-job");
  let types = [];
  let onSubmitted = () => {};

  const SCALAR_ITEMS = new Set(["string", "email", "url", "integer", "number"]);

  function inputId(name) {
    return "param-" + name;
  }

  function label(field, text) {
    return el(
      "label",
      { for: inputId(field.name) },
      text || field.name.replace(/_/g, " "),
      field.required ? el("span", { class: "required", title: "required", text: " *" }) : null,
    );
  }

  function bounds(field, attrs) {
    if (field.min !== null && field.min !== undefined) attrs.min = field.min;
    if (field.max !== null && field.max !== undefined) attrs.max = field.max;
    return attrs;
  }

  /** Build the input for one params field; returns a wrapper .field element. */
  function fieldControl(field) {
    const id = inputId(field.name);
    const common = { id, name: field.name, dataset: { param: field.name, kind: field.type } };
    const help = field.help_text ? el("p", { class: "help", text: field.help_text }) : null;
    const error = el("p", { class: "field-error", dataset: { errorFor: field.name } });
    let control;
    switch (field.type) {
      case "boolean":
        control = el("input", { ...common, type: "checkbox", checked: field.default === true });
        return el("div", { class: "field field-check" }, control, label(field), help, error);
      case "integer":
      case "number":
        control = el(
          "input",
          bounds(field, {
            ...common,
            type: "number",
            step: field.type === "integer" ? "1" : "any",
            value: field.default ?? "",
            required: field.required,
            inputmode: field.type === "integer" ? "numeric" : "decimal",
          }),
        );
        break;
      case "choice":
        control = el(
          "select",
          { ...common, required: field.required },
          field.required ? null : el("option", { value: "", text: "(default)" }),
          ...(field.choices || []).map((choice) =>
            el("option", { value: choice, selected: choice === field.default, text: choice }),
          ),
        );
        break;
      case "array": {
        const itemType = field.items ? field.items.type : "string";
        common.dataset.items = SCALAR_ITEMS.has(itemType) ? itemType : "json";
        control = el("textarea", {
          ...common,
          rows: 3,
          required: field.required,
          placeholder: SCALAR_ITEMS.has(itemType) ? "One per line (or comma-separated)" : "[ ... ]",
        });
        if (Array.isArray(field.default)) {
          control.value = SCALAR_ITEMS.has(itemType)
            ? field.default.join("\n")
            : JSON.stringify(field.default);
        }
        break;
      }
      case "object":
      case "json":
        control = el("textarea", { ...common, rows: 3, required: field.required, placeholder: "{ }" });
        if (field.default) control.value = JSON.stringify(field.default);
        break;
      default: {
        const long = field.max === null || field.max > 300;
        const typeAttr = field.type === "email" ? "email" : field.type === "url" ? "url" : "text";
        control = el(long && typeAttr === "text" ? "textarea" : "input", {
          ...common,
          type: long && typeAttr === "text" ? null : typeAttr,
          rows: long ? 4 : null,
          maxlength: field.max ?? null,
          required: field.required,
        });
        if (field.default !== null && field.default !== undefined) control.value = field.default;
      }
    }
    return el("div", { class: "field" }, label(field), control, help, error);
  }

  function fileControl(accepts) {
    const many = accepts === "many";
    const name = many ? "files" : "file";
    return el(
      "div",
      { class: "field" },
      el(
        "label",
        { for: "param-upload" },
        many ? "Files" : "File",
        el("span", { class: "required", text: " *" }),
      ),
      el("input", {
        id: "param-upload",
        type: "file",
        name,
        multiple: many,
        required: true,
        dataset: { upload: name },
      }),
      el("p", { class: "field-error", dataset: { errorFor: name } }),
    );
  }

  function currentType() {
    return types.find((t) => t.name === typeSelect.value);
  }

  function renderFields() {
    const spec = currentType();
    description.textContent = spec ? spec.description : "";
    if (!spec) {
      fieldsBox.replaceChildren();
      return;
    }
    const controls = spec.fields.map(fieldControl);
    if (spec.accepts_files !== "none") controls.unshift(fileControl(spec.accepts_files));
    fieldsBox.replaceChildren(...controls);
  }

  function readValue(control) {
    const kind = control.dataset.kind;
    if (kind === "boolean") return control.checked;
    const raw = control.value.trim();
    if (raw === "") return undefined;
    if (kind === "integer" || kind === "number") return Number(raw);
    if (kind === "object" || kind === "json" || control.dataset.items === "json") {
      try {
        return JSON.parse(raw);
      } catch (err) {
        throw new FieldError(control.dataset.param, "Not valid JSON: " + err.message);
      }
    }
    if (kind === "array") {
      const items = raw.split(/[\n,]+/).map((s) => s.trim()).filter(Boolean);
      const numeric = control.dataset.items === "integer" || control.dataset.items === "number";
      return numeric ? items.map(Number) : items;
    }
    return control.value;
  }

  class FieldError extends Error {
    constructor(field, message) {
      super(message);
      this.field = field;
    }
  }

  function collectParams() {
    const params = {};
    for (const control of fieldsBox.querySelectorAll("[data-param]")) {
      const value = readValue(control);
      if (value !== undefined) params[control.dataset.param] = value;
    }
    return params;
  }

  function showFieldErrors(errors) {
    const nested = errors && typeof errors.params === "object" && !Array.isArray(errors.params)
      ? { ...errors, ...errors.params }
      : errors || {};
    for (const [name, messages] of Object.entries(nested)) {
      const slot = fieldsBox.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
      if (slot) slot.textContent = Array.isArray(messages) ? messages.join(" ") : String(messages);
    }
  }

  function clearErrors() {
    for (const slot of fieldsBox.querySelectorAll(".field-error")) slot.textContent = "";
  }

  async function submit(event) {
    event.preventDefault();
    clearErrors();
    const spec = currentType();
    if (!spec) return;
    let params;
    try {
      params = collectParams();
    } catch (err) {
      showFieldErrors({ [err.field]: [err.message] });
      return;
    }
    const upload = fieldsBox.querySelector("[data-upload]");
    const options = { method: "POST" };
    if (upload) {
      if (!upload.files.length) {
        showFieldErrors({ [upload.name]: ["Choose a file to process."] });
        return;
      }
      const data = new FormData();
      data.append("job_type", spec.name);
      data.append("params", JSON.stringify(params));
      for (const file of upload.files) data.append(upload.name, file);
      options.form = data;
    } else {
      options.json = { job_type: spec.name, params };
    }
    button.disabled = true;
    status.textContent = "Submitting…";
    try {
      const job = await api("jobs/", options);
      status.textContent = "";
      flash(`Submitted ${job.job_type} job ${job.id.slice(0, 8)}.`);
      if (upload) upload.value = "";
      onSubmitted(job);
    } catch (err) {
      status.textContent = "";
      showFieldErrors(err.body && err.body.errors);
      flash("The job was not submitted: " + err.message, "error");
    } finally {
      button.disabled = false;
    }
  }

  async function init(callback) {
    onSubmitted = callback || onSubmitted;
    form.addEventListener("submit", submit);
    typeSelect.addEventListener("change", renderFields);
    try {
      types = await api("jobs/types/");
    } catch (err) {
      typeSelect.replaceChildren(el("option", { value: "", text: "unavailable" }));
      flash("Could not load the job types: " + err.message, "error");
      return;
    }
    typeSelect.replaceChildren(
      ...types.map((t) => el("option", { value: t.name, text: t.name })),
    );
    typeSelect.value = types.some((t) => t.name === "sleep") ? "sleep" : (types[0] || {}).name || "";
    renderFields();
    form.dataset.ready = "true";
  }

  return { init };
})();
