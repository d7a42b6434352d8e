// streamscope front end: patches the regions the kernel renders, and nothing more.
//
// The kernel (streamscope.widgets.render) renders every picture as regions: ordered lists
// of HTML parts, sanitized in Python. A patch says, per region, which part changed first,
// how many UTF-16 code units to drop from its end, the new tail, and any parts after it.
// This file applies patches to the DOM and runs generic behaviours keyed by data attributes
// on that markup: actions (data-ss-action), remembered <details> toggles (data-ss-key),
// ticking clocks (data-ss-clock), in-page links, typed field values kept across patches, and
// the next page of a long text asked for once a page of it is drawn (data-ss-more), and
// markup that asks to be brought into view once, when it first appears (data-ss-reveal).
// It holds no Markdown, no JSON parsing and no templates.

const SVG_NS = "http://www.w3.org/2000/svg";

// root itself (when it matches) and every element under it that matches
const within = (root, selector) => [
  ...(root.matches(selector) ? [root] : []),
  ...root.querySelectorAll(selector),
];
const MAX_BUFFERED = 2000;

// ----------------------------------------------------------------------------- the store

// One store per widget model: the parts of every region and the last patch applied.
const stores = new WeakMap();

class Store {
  constructor(model) {
    this.model = model;
    this.views = new Set();
    this.buffer = new Map();
    this.resyncing = false;
    this.ui = { toggled: new Map(), fields: new Map(), wanted: new Set(), revealed: new Set() };
    this.load(model.get("picture"));
    this.onPicture = () => this.reload();
    this.onMessage = (msg) => this.message(msg);
    model.on("change:picture", this.onPicture);
    model.on("msg:custom", this.onMessage);
  }

  dispose() {
    this.model.off("change:picture", this.onPicture);
    this.model.off("msg:custom", this.onMessage);
  }

  load(picture) {
    const p = picture || {};
    this.root = p.root || "view";
    this.seq = p.seq || 0;
    this.parts = new Map(Object.entries(p.regions || {}));
  }

  reload() {
    this.load(this.model.get("picture"));
    this.resyncing = false;
    this.drain();
    for (const view of this.views) view.rebuild();
  }

  send(content) {
    this.model.send(content);
  }

  message(msg) {
    if (!msg || msg.type !== "patch" || msg.seq <= this.seq) return;
    if (msg.seq !== this.seq + 1) {
      this.buffer.set(msg.seq, msg);
      if (this.buffer.size > MAX_BUFFERED) this.buffer.delete(this.buffer.keys().next().value);
      if (!this.resyncing) {
        this.resyncing = true;
        this.send({ type: "resync", have: this.seq });
      }
      return;
    }
    this.apply(msg);
    this.drain();
  }

  drain() {
    for (const seq of [...this.buffer.keys()].sort((a, b) => a - b)) {
      const msg = this.buffer.get(seq);
      this.buffer.delete(seq);
      if (seq === this.seq + 1) this.apply(msg);
    }
  }

  // An op: [region, count, [index, drop, tail]...]: the region has count parts; each edit
  // keeps its part's old text but the last drop UTF-16 units (-1: none of it), then tail.
  apply(msg) {
    const touched = [];
    for (const [region, count, ...edits] of msg.ops) {
      const old = this.parts.get(region) || [];
      const parts = old.slice(0, count);
      while (parts.length < count) parts.push("");
      for (const [index, drop, tail] of edits) {
        const before = drop >= 0 && index < old.length ? old[index] : "";
        parts[index] = before.slice(0, before.length - Math.max(drop, 0)) + tail;
      }
      this.parts.set(region, parts);
      touched.push([region, count, edits.map((edit) => edit[0])]);
    }
    this.seq = msg.seq;
    for (const view of this.views) view.patch(touched);
  }
}

function storeFor(model) {
  let store = stores.get(model);
  if (!store) {
    store = new Store(model);
    stores.set(model, store);
  }
  return store;
}

// ----------------------------------------------------------------------------- a view

function parseInto(container, html) {
  const template = document.createElement("template");
  if (container.namespaceURI === SVG_NS) {
    template.innerHTML = `<svg xmlns="${SVG_NS}">${html}</svg>`;
    return [...template.content.firstChild.childNodes];
  }
  template.innerHTML = html;
  return [...template.content.childNodes];
}

/** Copy the <pre> of a Copy button's .ss-copyable; if the clipboard refuses, select the
 * text so that Ctrl+C copies it. The button says which happened. */
function copyText(button) {
  const box = button.closest(".ss-copyable");
  const pre = box && box.querySelector("pre");
  if (!pre) return;
  const say = (text) => {
    button.textContent = text;
    setTimeout(() => (button.textContent = "Copy"), 2000);
  };
  const select = () => {
    const range = document.createRange();
    range.selectNodeContents(pre);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    say("Selected: press Ctrl+C");
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(pre.textContent).then(() => say("Copied ✓"), select);
  } else {
    select();
  }
}

function clockText(seconds) {
  // The one format clocks use (streamscope.widgets.render.format.fmt_clock).
  return `${Math.max(0, seconds).toFixed(1)} s`;
}

class View {
  constructor(store, el) {
    this.store = store;
    this.ui = store.ui;
    this.el = el;
    this.mount = document.createElement("div");
    this.mount.className = "ss-mount tex2jax_ignore mathjax_ignore"; // no TeX from "$0.01"
    el.appendChild(this.mount);
    this.containers = new Map(); // region id -> element
    this.nodes = new Map(); // region id -> Node[][] (the nodes of each part)
    this.listen();
    this.rebuild();
    this.timer = setInterval(() => this.tick(), 250);
    store.send({ type: "hello", have: store.seq });
  }

  dispose() {
    clearInterval(this.timer);
  }

  rebuild() {
    this.containers.clear();
    this.nodes.clear();
    this.mount.replaceChildren();
    this.mount.setAttribute("data-ss-region", this.store.root);
    this.containers.set(this.store.root, this.mount);
    this.fill(this.store.root);
  }

  patch(touched) {
    const focused = this.focusKey();
    for (const [region, count, indices] of touched) {
      if (!this.containers.has(region)) continue;
      if (!this.nodes.has(region)) {
        this.fill(region);
        continue;
      }
      const nodes = this.nodes.get(region);
      for (const old of nodes.slice(count)) for (const node of old) node.remove();
      nodes.length = Math.min(nodes.length, count);
      for (const index of indices) this.replace(region, index);
    }
    if (focused) this.refocus(focused);
  }

  // Build a region's nodes from the store (its container is new, or it was never shown).
  fill(region) {
    const container = this.containers.get(region);
    for (const old of this.nodes.get(region) || []) for (const node of old) node.remove();
    this.nodes.set(region, []);
    const parts = this.store.parts.get(region) || [];
    for (let i = 0; i < parts.length; i++) this.replace(region, i);
  }

  // Put fresh nodes for part index of a region where its old ones were.
  replace(region, index) {
    const container = this.containers.get(region);
    const nodes = this.nodes.get(region);
    const html = (this.store.parts.get(region) || [])[index] || "";
    const fresh = parseInto(container, html);
    const next = nodes.slice(index + 1).find((group) => group && group.length);
    const before = next ? next[0] : null;
    for (const node of fresh) container.insertBefore(node, before);
    for (const node of nodes[index] || []) node.remove();
    while (nodes.length < index) nodes.push([]);
    nodes[index] = fresh;
    for (const node of fresh) if (node.nodeType === 1) this.adopt(node);
  }

  // New markup: fill its slots (moving a region's live nodes into its new slot), restore
  // remembered toggles and typed values, start its clocks.
  adopt(root) {
    for (const slot of within(root, "[data-ss-region]")) {
      const id = slot.getAttribute("data-ss-region");
      const old = this.containers.get(id);
      this.containers.set(id, slot);
      if (old && old !== slot && this.nodes.has(id)) {
        slot.append(...old.childNodes);
      } else if (old !== slot) {
        this.fill(id);
      }
    }
    for (const el of root.querySelectorAll("details[data-ss-key]")) {
      const open = this.ui.toggled.get(el.getAttribute("data-ss-key"));
      if (open !== undefined) el.open = open;
    }
    for (const el of root.querySelectorAll("[data-ss-field][data-ss-key]")) {
      const value = this.ui.fields.get(el.getAttribute("data-ss-key"));
      if (value !== undefined) el.value = value;
    }
    for (const el of root.querySelectorAll("[data-ss-lazy][data-ss-region]")) this.wantIfShown(el);
    for (const el of within(root, "[data-ss-more]")) this.askMore(el);
    for (const el of within(root, "[data-ss-reveal]")) this.reveal(el);
    const now = performance.now();
    for (const el of within(root, "[data-ss-clock]")) el.ssClockStart = now;
  }

  // Bring markup that waits for the user (an approval) into view, once per key: after Run
  // All the notebook shows its last cell, thousands of pixels away from the form.
  reveal(el) {
    const key = el.getAttribute("data-ss-reveal");
    if (!key || this.ui.revealed.has(key)) return;
    this.ui.revealed.add(key);
    requestAnimationFrame(() => {
      if (!el.isConnected) return;
      el.scrollIntoView({ block: "center", behavior: "smooth" });
      el.classList.add("ss-flash");
      setTimeout(() => el.classList.remove("ss-flash"), 1200);
    });
  }

  // A lazy region (sent only on request) is asked for once it can be seen.
  wantIfShown(slot) {
    const id = slot.getAttribute("data-ss-region");
    if (this.ui.wanted.has(id) || slot.closest("details:not([open])")) return;
    this.ui.wanted.add(id);
    this.store.send({ type: "want", region: id });
  }

  // A page of a long text's whole arrived with a marker for the next: ask for that one once
  // the browser has drawn this one (one page per task; the kernel ignores a repeat).
  askMore(marker) {
    const region = marker.getAttribute("data-ss-more");
    const page = Number(marker.getAttribute("data-ss-page"));
    requestAnimationFrame(() => {
      if (marker.isConnected) this.store.send({ type: "more", region, page });
    });
  }

  focusKey() {
    const active = document.activeElement;
    return active && this.mount.contains(active) ? active.getAttribute("data-ss-key") : null;
  }

  refocus(key) {
    const el = this.mount.querySelector(`[data-ss-key="${CSS.escape(key)}"]`);
    if (el && document.activeElement !== el) el.focus({ preventScroll: true });
  }

  tick() {
    const now = performance.now();
    for (const el of this.mount.querySelectorAll("[data-ss-clock]")) {
      const base = parseFloat(el.getAttribute("data-ss-clock"));
      const rate = parseFloat(el.getAttribute("data-ss-clock-rate") ?? "1"); // a replay's speed
      if (Number.isFinite(base) && Number.isFinite(rate) && el.ssClockStart !== undefined) {
        el.textContent = clockText(base + (rate * (now - el.ssClockStart)) / 1000);
      }
    }
  }

  listen() {
    const root = this.mount;
    root.addEventListener("click", (event) => {
      const target = event.target instanceof Element ? event.target : null;
      const copy = target && target.closest("[data-ss-copy]");
      if (copy && root.contains(copy)) {
        event.preventDefault();
        copyText(copy);
        return;
      }
      const action = target && target.closest("[data-ss-action]");
      if (action && root.contains(action) && action.tagName !== "SELECT") {
        event.preventDefault();
        if (!action.disabled) {
          const value = action.getAttribute("data-ss-value") ?? action.getAttribute("value");
          this.act(action, value);
        }
        if (!action.hasAttribute("data-ss-scroll")) return;
      }
      const anchor = target && target.closest("a[href^='#'], [data-ss-scroll]");
      if (anchor && root.contains(anchor)) {
        const href = anchor.getAttribute("data-ss-scroll") || anchor.getAttribute("href").slice(1);
        const id = decodeURIComponent(href);
        const dest = root.querySelector(`[id="${CSS.escape(id)}"]`);
        if (dest) {
          event.preventDefault();
          dest.scrollIntoView({ block: "nearest", behavior: "smooth" });
          dest.classList.add("ss-flash");
          setTimeout(() => dest.classList.remove("ss-flash"), 1200);
        }
      }
    });
    root.addEventListener("change", (event) => {
      const el = event.target;
      if (el instanceof Element && el.matches("select[data-ss-action]")) this.act(el, el.value);
    });
    root.addEventListener("input", (event) => {
      const el = event.target;
      if (el instanceof Element && el.hasAttribute("data-ss-key") && "value" in el) {
        this.ui.fields.set(el.getAttribute("data-ss-key"), el.value);
      }
    });
    root.addEventListener(
      "toggle",
      (event) => {
        const el = event.target;
        if (el instanceof HTMLDetailsElement && el.hasAttribute("data-ss-key")) {
          this.ui.toggled.set(el.getAttribute("data-ss-key"), el.open);
        }
        if (el instanceof HTMLDetailsElement && el.open) {
          for (const slot of el.querySelectorAll("[data-ss-lazy][data-ss-region]")) {
            this.wantIfShown(slot);
          }
        }
      },
      true,
    );
  }

  act(el, value) {
    const form = el.closest("[data-ss-form]") || this.mount;
    const fields = {};
    for (const field of form.querySelectorAll("[data-ss-field]")) {
      fields[field.getAttribute("data-ss-field")] = field.value;
    }
    this.store.send({
      type: "action",
      action: el.getAttribute("data-ss-action"),
      key: el.getAttribute("data-ss-target"),
      token: el.getAttribute("data-ss-token"),
      value: value === null || value === undefined ? null : value,
      fields,
      sent_at: Date.now(),
    });
  }
}

// ----------------------------------------------------------------------------- anywidget

function initialize({ model }) {
  const store = storeFor(model);
  return () => {
    store.dispose();
    stores.delete(model);
  };
}

function render({ model, el }) {
  const store = storeFor(model);
  const view = new View(store, el);
  store.views.add(view);
  return () => {
    view.dispose();
    store.views.delete(view);
  };
}

export default { initialize, render };
export { Store, View, clockText, parseInto };
