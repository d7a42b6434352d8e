// streamscope tool loop: the front end of streamscope.widgets.ConversationView (anywidget ESM).
//
// The view is a VBox of: a header panel (status, Stop, notices), then per turn a StreamView
// (view.js) and a tool-runs panel drawn here: one card per call with status, elapsed time
// and a result preview; calls that need approval show their full arguments with Approve
// (optionally with edited JSON) and Deny (with a reason). The `panel` trait says which.
//
// Clicks go to the kernel as custom messages; they are handled only while the cell awaits
// (`await loop.arun(...)`), which the kernel side explains when it is not the case.
//
// Everything from the model (tool names, ids, arguments, results) is untrusted: DOM is
// built with createElement / textContent only, never innerHTML.

const STATUS_LABELS = {
  pending: "queued",
  awaiting_approval: "awaiting approval",
  denied: "denied",
  running: "running",
  ok: "ok",
  error: "error",
};
const HEADER_LABELS = {
  idle: "idle",
  streaming: "streaming",
  tools: "running tools",
  approval: "waiting for approval",
  done: "done",
  stopped: "stopped",
  failed: "failed",
};
const TICK_MS = 250;

function h(tag, cls, text) {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  if (text !== undefined && text !== null) el.textContent = String(text);
  return el;
}

function setText(el, text) {
  const v = text === undefined || text === null ? "" : String(text);
  if (el.textContent !== v) el.textContent = v;
}

function button(cls, label) {
  const b = h("button", cls, label);
  b.type = "button";
  return b;
}

function seconds(value) {
  if (typeof value !== "number" || !isFinite(value)) return "";
  if (value < 10) return `${value.toFixed(2)} s`;
  if (value < 60) return `${value.toFixed(1)} s`;
  const m = Math.floor(value / 60);
  const s = Math.round(value - 60 * m);
  return `${m} min ${String(s).padStart(2, "0")} s`;
}

function watch(model, names, fn) {
  for (const name of names) model.on(`change:${name}`, fn);
  return () => {
    for (const name of names) model.off(`change:${name}`, fn);
  };
}

// --------------------------------------------------------------------------- header

function renderHeader(model, el) {
  const root = h("div", "ss-conv ss-conv-panel");
  const bar = h("div", "ss-conv-header");
  const title = h("span", "ss-conv-title", "Tool loop");
  const status = h("span", "ss-conv-status");
  const info = h("span", "ss-conv-info");
  const stop = button("ss-conv-stop", "Stop");
  const notice = h("div", "ss-conv-notice");
  bar.append(title, status, info, stop);
  root.append(bar, notice);
  el.appendChild(root);

  stop.addEventListener("click", () => {
    stop.disabled = true;
    model.send({ type: "stop" });
  });

  function update() {
    const s = model.get("status") || "idle";
    bar.dataset.status = s;
    setText(status, HEADER_LABELS[s] || s);
    const i = model.get("info") || {};
    const bits = [];
    if (i.turn) bits.push(`turn ${i.turn}`);
    const runs = i.runs || {};
    const total = Object.values(runs).reduce((a, b) => a + b, 0);
    if (total) {
      const parts = Object.keys(runs)
        .sort()
        .map((k) => `${runs[k]} ${STATUS_LABELS[k] || k}`);
      bits.push(`${total} tool run${total === 1 ? "" : "s"} (${parts.join(", ")})`);
    }
    if (i.stop_reason) bits.push(`stop: ${i.stop_reason}`);
    setText(info, bits.join(" · "));
    const st = model.get("stop") || "off";
    stop.hidden = st === "off";
    stop.disabled = st !== "on";
    stop.dataset.state = st;
    setText(stop, st === "requested" ? "Stopping…" : "Stop");
    stop.title =
      st === "blocked"
        ? "The cell blocks: clicks cannot be heard. Use `await loop.arun(...)`."
        : "Stop the loop: no new request; pending approvals are denied";
    const n = model.get("notice") || "";
    setText(notice, n);
    notice.hidden = !n;
  }
  update();
  return watch(model, ["status", "info", "stop", "notice"], update);
}

// --------------------------------------------------------------------------- tool runs

class Card {
  constructor(model, key) {
    this.model = model;
    this.key = key;
    this.node = h("div", "ss-conv-run");
    this.node.dataset.key = key;
    const head = h("div", "ss-conv-run-head");
    this.name = h("span", "ss-conv-run-name");
    this.status = h("span", "ss-conv-run-status");
    this.time = h("span", "ss-conv-run-time");
    head.append(this.name, this.status, this.time);
    this.id = h("div", "ss-conv-run-id");
    this.args = h("pre", "ss-conv-args");
    this.approval = null;
    this.decision = h("div", "ss-conv-decision");
    this.note = h("div", "ss-conv-note");
    this.result = h("pre", "ss-conv-result");
    this.node.append(head, this.id, this.args, this.decision, this.note, this.result);
    this.elapsed = null;
    this.receivedAt = 0;
    this.running = false;
    this.errorN = 0;
  }

  update(row, fullArgs, error) {
    const n = this.node;
    n.dataset.status = row.status;
    n.dataset.approval = row.approval ? "true" : "false";
    setText(this.name, row.name);
    setText(this.status, STATUS_LABELS[row.status] || row.status);
    setText(this.id, row.id);
    const full = row.approval && typeof fullArgs === "string";
    this.args.classList.toggle("ss-conv-args-full", full);
    setText(this.args, full ? fullArgs : row.args);
    this.elapsed = typeof row.elapsed === "number" ? row.elapsed : null;
    this.receivedAt = performance.now();
    this.running = row.status === "running";
    this.tick();
    const d = row.decision;
    let decided = "";
    if (d) {
      if (d.approved) decided = d.edited ? "approved (arguments edited)" : "approved";
      else decided = d.reason ? `denied: ${d.reason}` : "denied";
    }
    setText(this.decision, decided);
    this.decision.hidden = !decided;
    setText(this.note, row.note);
    this.note.hidden = !row.note;
    setText(this.result, row.result);
    this.result.hidden = !row.result;
    this.result.dataset.error = row.is_error ? "true" : "false";
    if (row.asking) {
      if (!this.approval) this.approval = this.makeApproval(fullArgs);
      const a = this.approval;
      if (error && error.n !== this.errorN) {
        this.errorN = error.n;
        this.showError(error.text);
        this.setBusy(false);
      }
      if (!a.busy) a.buttons.forEach((b) => (b.disabled = false));
    } else if (this.approval) {
      this.approval.node.remove();
      this.approval = null;
    }
  }

  tick() {
    let value = this.elapsed;
    if (value !== null && this.running) value += (performance.now() - this.receivedAt) / 1000;
    setText(this.time, seconds(value));
  }

  makeApproval(fullArgs) {
    const node = h("div", "ss-conv-approval");
    const edit = h("textarea", "ss-conv-edit");
    edit.spellcheck = false;
    edit.value = typeof fullArgs === "string" ? fullArgs : "";
    edit.rows = Math.min(16, Math.max(4, edit.value.split("\n").length + 1));
    edit.hidden = true;
    const actions = h("div", "ss-conv-actions");
    const approve = button("ss-conv-approve", "Approve");
    const toggle = button("ss-conv-edit-toggle", "Edit arguments");
    const reason = h("input", "ss-conv-reason");
    reason.type = "text";
    reason.placeholder = "Reason (optional, sent to the model)";
    const deny = button("ss-conv-deny", "Deny");
    const error = h("div", "ss-conv-error");
    error.hidden = true;
    actions.append(approve, toggle, reason, deny);
    node.append(edit, actions, error);
    this.node.insertBefore(node, this.decision);
    const a = { node, edit, error, buttons: [approve, toggle, deny], busy: false };

    toggle.addEventListener("click", () => {
      edit.hidden = !edit.hidden;
      setText(toggle, edit.hidden ? "Edit arguments" : "Discard edits");
      setText(approve, edit.hidden ? "Approve" : "Approve edited");
      if (edit.hidden) edit.value = typeof fullArgs === "string" ? fullArgs : edit.value;
      this.showError("");
    });
    approve.addEventListener("click", () => {
      const msg = { type: "decide", key: this.key, approved: true, sent_at: Date.now() };
      if (!edit.hidden) {
        let value;
        try {
          value = JSON.parse(edit.value);
        } catch (e) {
          this.showError(`Invalid JSON: ${e.message}`);
          return;
        }
        if (value === null || typeof value !== "object" || Array.isArray(value)) {
          this.showError("The arguments must be a JSON object ({...}).");
          return;
        }
        msg.input = edit.value;
      }
      this.showError("");
      this.setBusy(true);
      this.model.send(msg);
    });
    deny.addEventListener("click", () => {
      this.showError("");
      this.setBusy(true);
      this.model.send({
        type: "decide",
        key: this.key,
        approved: false,
        reason: reason.value,
        sent_at: Date.now(),
      });
    });
    return a;
  }

  setBusy(busy) {
    const a = this.approval;
    if (!a) return;
    a.busy = busy;
    a.buttons.forEach((b) => (b.disabled = busy));
    a.node.dataset.busy = busy ? "true" : "false";
  }

  showError(text) {
    const a = this.approval;
    if (!a) return;
    setText(a.error, text);
    a.error.hidden = !text;
  }
}

function renderRuns(model, el) {
  const root = h("div", "ss-conv ss-conv-panel ss-conv-runs");
  const head = h("div", "ss-conv-runs-head");
  const grid = h("div", "ss-conv-grid");
  root.append(head, grid);
  el.appendChild(root);
  const cards = new Map();
  let timer = null;

  function tick() {
    let any = false;
    for (const card of cards.values()) {
      if (card.running) {
        card.tick();
        any = true;
      }
    }
    if (!any && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  }

  function update() {
    const runs = model.get("runs") || [];
    const args = model.get("arguments") || {};
    const errors = model.get("errors") || {};
    const title = model.get("title") || "";
    setText(head, `${title} · ${runs.length} tool call${runs.length === 1 ? "" : "s"}`);
    const seen = new Set();
    for (const row of runs) {
      const key = String(row.key);
      seen.add(key);
      let card = cards.get(key);
      if (!card) {
        card = new Card(model, key);
        cards.set(key, card);
        grid.appendChild(card.node);
      }
      card.update(row, args[key], errors[key]);
    }
    for (const [key, card] of cards) {
      if (!seen.has(key)) {
        card.node.remove();
        cards.delete(key);
      }
    }
    const running = [...cards.values()].some((c) => c.running);
    if (running && timer === null) timer = setInterval(tick, TICK_MS);
  }
  update();
  const unwatch = watch(model, ["runs", "arguments", "errors", "title"], update);
  return () => {
    unwatch();
    if (timer !== null) clearInterval(timer);
  };
}

export default {
  render({ model, el }) {
    return model.get("panel") === "header" ? renderHeader(model, el) : renderRuns(model, el);
  },
};
