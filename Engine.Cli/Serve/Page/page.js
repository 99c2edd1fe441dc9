// The drawing page of deepgpu serve: a canvas with a round brush, undo and clear; each change is sent to
// POST /api/predict as a PNG (or the opened picture's own bytes), at most a few times a second while drawing.
"use strict";

(() => {
  const canvas = document.getElementById("canvas");
  const ctx = canvas.getContext("2d");
  const seen = document.getElementById("seen");
  const seenCtx = seen.getContext("2d");
  const answer = document.getElementById("answer");
  const answerLabel = document.getElementById("answer-label");
  const answerText = document.getElementById("answer-text");
  const top = document.getElementById("top");
  const status = document.getElementById("status");
  const undoButton = document.getElementById("undo");
  const clearButton = document.getElementById("clear");
  const fileInput = document.getElementById("file");
  const brush = document.getElementById("brush");
  const brushSize = document.getElementById("brush-size");
  const drop = document.getElementById("drop");

  const INK = "#000000";
  const PAPER = "#ffffff";
  const MIN_INTERVAL_MS = 150; // while drawing, at most one request per this long

  let strokes = []; // each {width, points: [[x, y], ...]} in canvas pixels
  let picture = null; // an opened picture: {file, bitmap (null when the browser cannot show it)}
  let current = null; // the stroke being drawn
  let version = 0; // bumped on every change; an answer is current when it was asked for this version
  let inFlight = false;
  let timer = 0;
  let lastSent = 0;

  // ---- drawing -------------------------------------------------------------------------------------

  function paintStroke(stroke) {
    ctx.strokeStyle = INK;
    ctx.fillStyle = INK;
    ctx.lineWidth = stroke.width;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    const p = stroke.points;
    if (p.length === 1) {
      ctx.beginPath();
      ctx.arc(p[0][0], p[0][1], stroke.width / 2, 0, 2 * Math.PI);
      ctx.fill();
      return;
    }
    ctx.beginPath();
    ctx.moveTo(p[0][0], p[0][1]);
    for (let i = 1; i < p.length; i++) ctx.lineTo(p[i][0], p[i][1]);
    ctx.stroke();
  }

  function redraw() {
    ctx.fillStyle = PAPER;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (picture && picture.bitmap) {
      const b = picture.bitmap;
      const scale = Math.min(canvas.width / b.width, canvas.height / b.height);
      const w = b.width * scale, h = b.height * scale;
      ctx.drawImage(b, (canvas.width - w) / 2, (canvas.height - h) / 2, w, h);
    } else if (picture) {
      ctx.fillStyle = "#5b6470";
      ctx.font = "16px system-ui, sans-serif";
      ctx.textAlign = "center";
      ctx.fillText(picture.file.name, canvas.width / 2, canvas.height / 2);
    }
    for (const s of strokes) paintStroke(s);
  }

  function point(e) {
    const r = canvas.getBoundingClientRect();
    const x = (e.clientX - r.left - canvas.clientLeft) * canvas.width / canvas.clientWidth;
    const y = (e.clientY - r.top - canvas.clientTop) * canvas.height / canvas.clientHeight;
    return [x, y];
  }

  function extend(points) {
    const p = current.points;
    let last = p[p.length - 1];
    ctx.strokeStyle = INK;
    ctx.lineWidth = current.width;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(last[0], last[1]);
    for (const q of points) {
      ctx.lineTo(q[0], q[1]);
      p.push(q);
      last = q;
    }
    ctx.stroke();
  }

  canvas.addEventListener("pointerdown", (e) => {
    if (e.pointerType === "mouse" && e.button !== 0) return;
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    current = { width: Number(brush.value), points: [point(e)] };
    strokes.push(current);
    paintStroke(current);
    changed();
  });

  canvas.addEventListener("pointermove", (e) => {
    if (!current || !canvas.hasPointerCapture(e.pointerId)) return;
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    extend((events.length ? events : [e]).map(point));
    changed();
  });

  function endStroke(e) {
    if (!current) return;
    if (canvas.hasPointerCapture(e.pointerId)) canvas.releasePointerCapture(e.pointerId);
    current = null;
    requestPrediction(0);
  }
  canvas.addEventListener("pointerup", endStroke);
  canvas.addEventListener("pointercancel", endStroke);

  function undo() {
    if (current) return;
    if (strokes.length > 0) strokes.pop();
    else picture = null;
    redraw();
    changed(true);
  }

  function clear() {
    strokes = [];
    picture = null;
    current = null;
    redraw();
    changed(true);
  }

  undoButton.addEventListener("click", undo);
  clearButton.addEventListener("click", clear);
  brush.addEventListener("input", () => { brushSize.textContent = brush.value; });

  document.addEventListener("keydown", (e) => {
    const typing = e.target instanceof HTMLInputElement && e.target.type !== "range" && e.target.type !== "file";
    if (typing) return;
    if ((e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === "z") {
      e.preventDefault();
      undo();
    } else if (e.key === "Delete") {
      e.preventDefault();
      clear();
    }
  });

  // ---- pictures ------------------------------------------------------------------------------------

  async function open(file) {
    if (!file) return;
    let bitmap = null;
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      bitmap = null; // e.g. TIFF: the browser cannot show it, but the server can read it
    }
    strokes = [];
    picture = { file, bitmap };
    redraw();
    changed(true);
  }

  fileInput.addEventListener("change", () => {
    open(fileInput.files[0]);
    fileInput.value = "";
  });
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length > 0) open(e.dataTransfer.files[0]);
  });

  // ---- asking the server ---------------------------------------------------------------------------

  function changed(now) {
    version++;
    undoButton.disabled = strokes.length === 0 && !picture;
    clearButton.disabled = undoButton.disabled;
    answer.dataset.state = "busy";
    requestPrediction(now ? 0 : MIN_INTERVAL_MS);
  }

  function requestPrediction(delay) {
    if (strokes.length === 0 && !picture) {
      clearTimeout(timer);
      timer = 0;
      showEmpty();
      return;
    }
    if (inFlight) return; // the answer's arrival sends again if something changed
    clearTimeout(timer);
    const wait = Math.max(0, Math.min(delay, lastSent + MIN_INTERVAL_MS - performance.now()));
    timer = setTimeout(send, wait);
  }

  function body() {
    if (picture && strokes.length === 0) {
      return Promise.resolve({ data: picture.file, type: picture.file.type || "application/octet-stream" });
    }
    return new Promise((resolve) => canvas.toBlob((blob) => resolve({ data: blob, type: "image/png" }), "image/png"));
  }

  async function send() {
    timer = 0;
    if (strokes.length === 0 && !picture) return;
    inFlight = true;
    lastSent = performance.now();
    const asked = version;
    try {
      const { data, type } = await body();
      const response = await fetch("api/predict?input=true", { method: "POST", headers: { "Content-Type": type }, body: data });
      const json = await response.json();
      if (strokes.length > 0 || picture) {
        if (response.ok) show(json, asked === version);
        else showError(json.error || `The server answered ${response.status}.`, asked === version);
      }
    } catch (err) {
      showError("The server cannot be reached; is deepgpu serve still running?", asked === version);
    } finally {
      inFlight = false;
      if (asked !== version) requestPrediction(0);
    }
  }

  function percent(v) {
    return (100 * v).toFixed(1) + "%";
  }

  function show(json, current) {
    status.textContent = "";
    const scores = json.score !== undefined;
    const value = (t) => scores ? t.score : t.probability;
    if (json.label === null) {
      answerLabel.textContent = "–";
      answerText.textContent = "No digit found.";
      answer.dataset.label = "";
    } else {
      answerLabel.textContent = json.label;
      answerText.textContent = scores ? `score ${value(json).toFixed(3)}` : `${percent(value(json))} sure`;
      answer.dataset.label = json.label;
    }
    top.replaceChildren(...json.top.map((t) => {
      const li = document.createElement("li");
      const width = Math.max(0, Math.min(1, value(t)));
      li.innerHTML = '<span class="digit"></span><span class="bar"><span class="fill"></span></span><span class="value"></span>';
      li.querySelector(".digit").textContent = t.label;
      li.querySelector(".fill").style.width = percent(width);
      li.querySelector(".value").textContent = scores ? value(t).toFixed(3) : percent(value(t));
      li.setAttribute("aria-label", `${t.label}: ${scores ? "score " + value(t).toFixed(3) : percent(value(t))}`);
      return li;
    }));
    if (json.input) showSeen(json.input);
    if (current) answer.dataset.state = "done";
  }

  function showSeen(input) {
    const image = seenCtx.createImageData(28, 28);
    for (let i = 0; i < input.length; i++) {
      const v = Math.round(255 * Math.max(0, Math.min(1, input[i])));
      image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = v;
      image.data[4 * i + 3] = 255;
    }
    seenCtx.putImageData(image, 0, 0);
  }

  function showEmpty() {
    answerLabel.textContent = "?";
    answerText.textContent = "Draw a digit to begin.";
    answer.dataset.label = "";
    answer.dataset.state = "empty";
    top.replaceChildren();
    seenCtx.fillStyle = "#000";
    seenCtx.fillRect(0, 0, 28, 28);
    status.textContent = "";
  }

  function showError(message, current) {
    status.textContent = message;
    answerLabel.textContent = "?";
    answerText.textContent = "No answer.";
    answer.dataset.label = "";
    top.replaceChildren();
    if (current) answer.dataset.state = "error";
  }

  // ---- start ---------------------------------------------------------------------------------------

  fetch("api/model")
    .then((r) => r.json())
    .then((m) => {
      const official = m.provenance && m.provenance.officialTestAccuracy;
      const accuracy = official ? `, ${percent(Number(official))} right on the official MNIST test set`
        : m.testAccuracy === null ? "" : `, ${percent(m.testAccuracy)} right on its test set`;
      document.getElementById("model").textContent =
        `Model: ${m.name} (${m.network}, ${m.parameters.toLocaleString("en")} parameters${accuracy})`;
    })
    .catch(() => { document.getElementById("model").textContent = "The model's details cannot be read."; });

  redraw();
  changed(true);
})();
