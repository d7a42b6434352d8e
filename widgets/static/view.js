// streamscope live view: the front end of streamscope.widgets.StreamView (anywidget ESM).
//
// The kernel sends a synced `snapshot` trait (the whole state, set at the end, on request
// and when consumption stops) and custom `frame` messages carrying only what is new since
// the previous frame (at most ~20 per second). One store per model applies frames to a
// local copy of the snapshot; every view of the model renders that copy, at most once per
// animation frame. A frame whose seq is not the previous + 1 means messages were lost (a
// reload, a late start): the store asks the kernel for the snapshot.
//
// Everything from the model (text, thinking, tool names and arguments, results, errors) is
// untrusted: DOM is built with createElement / textContent only, never innerHTML; links
// only for http(s) and mailto, with rel="noopener noreferrer nofollow"; no images.

const FINAL = new Set(["done", "failed", "stopped"]);
const TOOL_TYPES = new Set(["tool_use", "server_tool_use", "mcp_tool_use"]);
const COLLAPSE_THINKING_AT = 1200; // characters: longer reasoning collapses when done
const INIT_REQUEST_MS = 1500; // ask for the snapshot if no frame came this long after start
const MAX_BUFFERED_FRAMES = 4000;
const SVG_NS = "http://www.w3.org/2000/svg";

// --------------------------------------------------------------------------- DOM helpers

function h(tag, cls, text) {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  if (text !== undefined && text !== null) el.textContent = String(text);
  return el;
}

function svgEl(tag, attrs) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  return el;
}

function setAttr(el, name, value) {
  const v = String(value);
  if (el.getAttribute(name) !== v) el.setAttribute(name, v);
}

function setText(el, text) {
  const v = text === undefined || text === null ? "" : String(text);
  if (el.textContent !== v) el.textContent = v;
}

function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** A Text node that grows by appending when the new value extends the old one. */
class GrowingText {
  constructor(parent) {
    this.node = document.createTextNode("");
    parent.appendChild(this.node);
    this.value = "";
  }
  set(value) {
    const v = value || "";
    if (v === this.value) return;
    if (v.length > this.value.length && v.startsWith(this.value)) {
      this.node.appendData(v.slice(this.value.length));
    } else {
      this.node.data = v;
    }
    this.value = v;
  }
}

/** Runs `change`, then keeps `el` scrolled to the bottom if it was there before. */
function stickToBottom(el, follow, change) {
  const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
  change();
  if (follow && atBottom && el.scrollHeight > el.clientHeight) el.scrollTop = el.scrollHeight;
}

function fmtInt(n) {
  return typeof n === "number" && isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–";
}

function fmtSeconds(s) {
  if (typeof s !== "number" || !isFinite(s)) return "–";
  const a = Math.abs(s);
  if (a === 0) return "0 s";
  if (a < 0.01) return `${(s * 1000).toFixed(2)} ms`;
  if (a < 1) return `${(s * 1000).toFixed(0)} ms`;
  return a < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`;
}

function fmtRate(x) {
  if (typeof x !== "number" || !isFinite(x)) return "–";
  return x < 1000 ? x.toFixed(1) : fmtInt(x);
}

function fmtUsd(x) {
  if (typeof x !== "number" || !isFinite(x)) return "–";
  if (x === 0) return "$0";
  return x < 0.01 ? `$${x.toFixed(6)}` : `$${x.toFixed(4)}`;
}

function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  return n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(2)} MB`;
}

function utf8Length(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function prettyJSON(value) {
  try {
    const s = JSON.stringify(value, null, 2);
    return s === undefined ? String(value) : s;
  } catch (e) {
    return String(value);
  }
}

/** A safe href for a model-supplied URL, or null (only http, https and mailto). */
function safeHref(url) {
  if (typeof url !== "string") return null;
  let parsed;
  try {
    parsed = new URL(url.trim());
  } catch (e) {
    return null;
  }
  return ["http:", "https:", "mailto:"].includes(parsed.protocol) ? parsed.href : null;
}

function link(url, text) {
  const href = safeHref(url);
  if (href === null) return h("span", "ss-link-text", text);
  const a = h("a", null, text);
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener noreferrer nofollow";
  return a;
}

// --------------------------------------------------------------------------- Markdown

const FENCE_RE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const HEADING_RE = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const HR_RE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE_RE = /^ {0,3}> ?(.*)$/;
const LIST_RE = /^( {0,3})([-*+]|\d{1,9}[.)])([ \t]+(.*))?$/;
const TABLE_SEP_RE = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
const BLANK_RE = /^[ \t]*$/;

function isBlockStart(line) {
  return (
    FENCE_RE.test(line) ||
    HEADING_RE.test(line) ||
    HR_RE.test(line) ||
    QUOTE_RE.test(line) ||
    LIST_RE.test(line)
  );
}

function splitRow(line) {
  let s = line.trim();
  if (s.startsWith("|")) s = s.slice(1);
  if (s.endsWith("|") && !s.endsWith("\\|")) s = s.slice(0, -1);
  const cells = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\" && s[i + 1] === "|") {
      cur += "|";
      i++;
    } else if (s[i] === "|") {
      cells.push(cur.trim());
      cur = "";
    } else cur += s[i];
  }
  cells.push(cur.trim());
  return cells;
}

/** Top-level Markdown blocks of `lines`, each with the source lines it came from. */
function parseBlocks(lines) {
  const blocks = [];
  let i = 0;
  const n = lines.length;
  while (i < n) {
    const line = lines[i];
    if (BLANK_RE.test(line)) {
      i++;
      continue;
    }
    const start = i;
    let m;
    if ((m = FENCE_RE.exec(line))) {
      const fence = m[1];
      const body = [];
      i++;
      let closed = false;
      while (i < n) {
        const t = lines[i].trim();
        if (t.startsWith(fence[0].repeat(fence.length)) && /^[`~]+$/.test(t)) {
          closed = true;
          i++;
          break;
        }
        body.push(lines[i]);
        i++;
      }
      blocks.push({ type: "code", lang: m[2], text: body.join("\n"), closed, start, end: i });
      continue;
    }
    if ((m = HEADING_RE.exec(line))) {
      blocks.push({ type: "heading", level: m[1].length, text: m[2] || "", start, end: ++i });
      continue;
    }
    if (HR_RE.test(line)) {
      blocks.push({ type: "hr", start, end: ++i });
      continue;
    }
    if (QUOTE_RE.test(line)) {
      const inner = [];
      while (i < n && !BLANK_RE.test(lines[i])) {
        const q = QUOTE_RE.exec(lines[i]);
        if (q) inner.push(q[1]);
        else if (isBlockStart(lines[i])) break;
        else inner.push(lines[i]); // lazy continuation
        i++;
      }
      blocks.push({ type: "quote", children: parseBlocks(inner), start, end: i });
      continue;
    }
    if ((m = LIST_RE.exec(line))) {
      const list = parseList(lines, i);
      i = list.end;
      list.start = start;
      blocks.push(list);
      continue;
    }
    if (line.includes("|") && i + 1 < n && TABLE_SEP_RE.test(lines[i + 1]) && lines[i + 1].includes("-")) {
      const header = splitRow(line);
      const align = splitRow(lines[i + 1]).map((c) =>
        c.startsWith(":") && c.endsWith(":") ? "center" : c.endsWith(":") ? "right" : c.startsWith(":") ? "left" : "",
      );
      const rows = [];
      i += 2;
      while (i < n && !BLANK_RE.test(lines[i]) && lines[i].includes("|")) {
        rows.push(splitRow(lines[i]));
        i++;
      }
      blocks.push({ type: "table", header, align, rows, start, end: i });
      continue;
    }
    const para = [];
    while (i < n && !BLANK_RE.test(lines[i]) && (para.length === 0 || !isBlockStart(lines[i]))) {
      para.push(lines[i]);
      i++;
    }
    blocks.push({ type: "para", text: para.join("\n"), start, end: i });
  }
  return blocks;
}

function parseList(lines, i) {
  const first = LIST_RE.exec(lines[i]);
  const ordered = /\d/.test(first[2]);
  const delim = first[2].slice(-1);
  const list = { type: "list", ordered, startNumber: ordered ? parseInt(first[2], 10) : 1, items: [], loose: false };
  const n = lines.length;
  while (i < n) {
    const m = LIST_RE.exec(lines[i]);
    if (!m || /\d/.test(m[2]) !== ordered || m[2].slice(-1) !== delim) break;
    if (HR_RE.test(lines[i])) break;
    const indent = m[1].length + m[2].length + (m[3] ? m[3].length - (m[4] || "").length : 1);
    const body = [m[4] || ""];
    i++;
    let sawBlank = false;
    while (i < n) {
      const line = lines[i];
      if (BLANK_RE.test(line)) {
        sawBlank = true;
        body.push("");
        i++;
        continue;
      }
      const lead = line.length - line.replace(/^[ \t]+/, "").length;
      if (lead >= indent) {
        if (sawBlank) list.loose = true;
        body.push(line.slice(indent));
        sawBlank = false;
        i++;
        continue;
      }
      if (sawBlank || isBlockStart(line)) break;
      body.push(line); // lazy paragraph continuation
      i++;
    }
    while (body.length && BLANK_RE.test(body[body.length - 1])) body.pop();
    list.items.push(parseBlocks(body));
    // a blank line followed by another item of the same list keeps the list going
    if (sawBlank) {
      const next = i < n ? LIST_RE.exec(lines[i]) : null;
      if (next && /\d/.test(next[2]) === ordered) list.loose = true;
    }
  }
  list.end = i;
  return list;
}

function findClosing(s, from, delim) {
  let j = from;
  while (true) {
    j = s.indexOf(delim, j);
    if (j < 0) return -1;
    if (s[j - 1] !== "\\" && !/\s/.test(s[j - 1] || " ")) return j;
    j += 1;
  }
}

function matchBracket(s, i) {
  // s[i] === "[": index of the matching "]" or -1
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const c = s[j];
    if (c === "\\") {
      j++;
      continue;
    }
    if (c === "`") {
      const k = s.indexOf("`", j + 1);
      if (k > 0) j = k;
      continue;
    }
    if (c === "[") depth++;
    else if (c === "]" && --depth === 0) return j;
  }
  return -1;
}

const LINK_DEST_RE = /^\(\s*<?([^\s<>()]*(?:\([^\s()]*\)[^\s<>()]*)*)>?(?:\s+("[^"]*"|'[^']*'))?\s*\)/;
const AUTOLINK_RE = /^<((?:https?|mailto):[^\s<>]+)>/i;
const BARE_URL_RE = /^https?:\/\/[^\s<>]*[^\s<>.,:;"')\]!?*_~]/;
const ESCAPABLE = "\\`*_{}[]()#+-.!|~<>\"'";

/** Inline Markdown of `s` appended to `parent` (text nodes and safe elements only). */
function renderInline(s, parent) {
  let text = "";
  const flush = () => {
    if (text) parent.appendChild(document.createTextNode(text));
    text = "";
  };
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s[i];
    if (c === "\\" && i + 1 < n) {
      if (s[i + 1] === "\n") {
        flush();
        parent.appendChild(h("br"));
        i += 2;
        continue;
      }
      if (ESCAPABLE.includes(s[i + 1])) {
        text += s[i + 1];
        i += 2;
        continue;
      }
    }
    if (c === "\n") {
      // two trailing spaces make a hard break; otherwise a soft break
      if (text.endsWith("  ")) {
        text = text.replace(/ +$/, "");
        flush();
        parent.appendChild(h("br"));
      } else text += "\n";
      i++;
      continue;
    }
    if (c === "`") {
      let run = 1;
      while (s[i + run] === "`") run++;
      const ticks = "`".repeat(run);
      let j = s.indexOf(ticks, i + run);
      while (j >= 0 && s[j + run] === "`") j = s.indexOf(ticks, j + run + 1);
      if (j >= 0) {
        flush();
        let code = s.slice(i + run, j).replace(/\n/g, " ");
        if (code.length > 2 && code.startsWith(" ") && code.endsWith(" ")) code = code.slice(1, -1);
        parent.appendChild(h("code", "ss-code-inline", code));
        i = j + run;
        continue;
      }
      text += ticks;
      i += run;
      continue;
    }
    if ((c === "!" && s[i + 1] === "[") || c === "[") {
      const open = c === "!" ? i + 1 : i;
      const close = matchBracket(s, open);
      if (close > 0) {
        const dest = LINK_DEST_RE.exec(s.slice(close + 1));
        if (dest) {
          flush();
          const label = s.slice(open + 1, close);
          if (c === "!") {
            // no images from the model: alt text and URL as text
            const img = h("span", "ss-image-ref");
            img.appendChild(h("span", "ss-image-alt", label ? `[image: ${label}]` : "[image]"));
            img.appendChild(document.createTextNode(" "));
            img.appendChild(h("span", "ss-image-url", dest[1]));
            parent.appendChild(img);
          } else {
            const href = safeHref(dest[1]);
            const a = href === null ? h("span", "ss-link-text") : h("a");
            if (href !== null) {
              a.href = href;
              a.target = "_blank";
              a.rel = "noopener noreferrer nofollow";
              if (dest[2]) a.title = dest[2].slice(1, -1);
            }
            renderInline(label, a);
            parent.appendChild(a);
          }
          i = close + 1 + dest[0].length;
          continue;
        }
      }
    }
    if (c === "<") {
      const m = AUTOLINK_RE.exec(s.slice(i));
      if (m) {
        flush();
        parent.appendChild(link(m[1], m[1]));
        i += m[0].length;
        continue;
      }
    }
    if (c === "h" && (i === 0 || /[\s(]/.test(s[i - 1]))) {
      const m = BARE_URL_RE.exec(s.slice(i, i + 2048));
      if (m) {
        flush();
        parent.appendChild(link(m[0], m[0]));
        i += m[0].length;
        continue;
      }
    }
    // doubled delimiters: **strong**, __strong__, ~~strikethrough~~
    const pairTag = { "*": "strong", _: "strong", "~": "del" }[c];
    if (pairTag && s[i + 1] === c && s[i + 2] && !/\s/.test(s[i + 2])) {
      const j = findClosing(s, i + 2, c + c);
      if (j > i + 2) {
        flush();
        const el = h(pairTag);
        renderInline(s.slice(i + 2, j), el);
        parent.appendChild(el);
        i = j + 2;
        continue;
      }
    }
    if ((c === "*" || c === "_") && s[i + 1] && !/\s/.test(s[i + 1]) && s[i + 1] !== c) {
      const wordBefore = i > 0 && /[A-Za-z0-9]/.test(s[i - 1]);
      if (!(c === "_" && wordBefore)) {
        let j = i + 1;
        while (true) {
          j = findClosing(s, j, c);
          if (j < 0) break;
          if (s[j + 1] === c) {
            j += 2;
            continue;
          }
          if (c === "_" && /[A-Za-z0-9]/.test(s[j + 1] || "")) {
            j += 1;
            continue;
          }
          break;
        }
        if (j > i + 1) {
          flush();
          const em = h("em");
          renderInline(s.slice(i + 1, j), em);
          parent.appendChild(em);
          i = j + 1;
          continue;
        }
      }
    }
    text += c;
    i++;
  }
  flush();
}

function renderBlock(b) {
  switch (b.type) {
    case "code": {
      const pre = h("pre", "ss-code");
      const code = h("code", null, b.text);
      if (b.lang) code.setAttribute("data-lang", b.lang.replace(/[^\w+#.-]/g, "").slice(0, 40));
      pre.appendChild(code);
      if (!b.closed) pre.setAttribute("data-open", "true");
      return pre;
    }
    case "heading": {
      const el = h(`h${Math.min(6, b.level + 2)}`, "ss-md-h");
      el.setAttribute("data-level", String(b.level));
      renderInline(b.text, el);
      return el;
    }
    case "hr":
      return h("hr");
    case "quote": {
      const el = h("blockquote");
      for (const c of b.children) el.appendChild(renderBlock(c));
      return el;
    }
    case "list": {
      const el = h(b.ordered ? "ol" : "ul");
      if (b.ordered && b.startNumber !== 1) el.setAttribute("start", String(b.startNumber));
      for (const item of b.items) {
        const li = h("li");
        for (const c of item) {
          if (c.type === "para" && !b.loose) renderInline(c.text, li);
          else li.appendChild(renderBlock(c));
        }
        el.appendChild(li);
      }
      return el;
    }
    case "table": {
      const wrap = h("div", "ss-table-wrap");
      const table = h("table");
      const thead = h("thead");
      const tr = h("tr");
      b.header.forEach((cell, k) => {
        const th = h("th");
        if (b.align[k]) th.style.textAlign = b.align[k];
        renderInline(cell, th);
        tr.appendChild(th);
      });
      thead.appendChild(tr);
      table.appendChild(thead);
      const tbody = h("tbody");
      for (const row of b.rows) {
        const r = h("tr");
        b.header.forEach((_, k) => {
          const td = h("td");
          if (b.align[k]) td.style.textAlign = b.align[k];
          renderInline(row[k] || "", td);
          r.appendChild(td);
        });
        tbody.appendChild(r);
      }
      table.appendChild(tbody);
      wrap.appendChild(table);
      return wrap;
    }
    default: {
      const p = h("p");
      renderInline(b.text, p);
      return p;
    }
  }
}

/** Renders growing Markdown into `el`, re-rendering only the blocks whose source changed. */
class MarkdownView {
  constructor(el) {
    this.el = el;
    this.text = null;
    this.rendered = []; // [{src, node}]
  }
  set(text) {
    if (text === this.text) return;
    this.text = text;
    const lines = text.split(/\r\n|\r|\n/);
    const blocks = parseBlocks(lines);
    const next = [];
    for (let k = 0; k < blocks.length; k++) {
      const b = blocks[k];
      const src = lines.slice(b.start, b.end).join("\n");
      const old = this.rendered[k];
      // every block but the last is final once the text only grows: reuse its DOM
      if (old && old.src === src && k < blocks.length - 1) next.push(old);
      else next.push({ src, node: renderBlock(b) });
    }
    let k = 0;
    for (; k < next.length; k++) {
      const want = next[k].node;
      const have = this.el.childNodes[k];
      if (have !== want) {
        if (have) this.el.replaceChild(want, have);
        else this.el.appendChild(want);
      }
    }
    while (this.el.childNodes.length > next.length) this.el.removeChild(this.el.lastChild);
    this.rendered = next;
  }
}

// --------------------------------------------------------------------------- partial JSON

/**
 * Incremental scanner of a JSON text that arrives in pieces. `value()` repairs the text
 * read so far into valid JSON (open strings closed, open containers closed, an unfinished
 * trailing number, literal or key dropped) and parses it; undefined while nothing shows.
 */
class PartialJSONScanner {
  constructor() {
    this.text = "";
    this.pos = 0;
    this.stack = []; // "{" or "["
    this.expectKey = []; // per stack level: next string in this object is a key
    this.inString = false;
    this.stringIsKey = false;
    this.escape = 0; // 0: none; 1: after backslash; >1: in \u escape, hex digits left + 1
    this.escapeStart = -1;
    this.token = -1; // start of a number / literal token, or -1
    this.literal = null; // the literal the token must spell (true, false, null), if any
    this.cut = 0; // the text up to here, plus closers, is valid JSON...
    this.cutClosers = ""; // ...with these closers
    this.hasCut = false;
    this.failed = false;
  }

  closers() {
    let s = "";
    for (let k = this.stack.length - 1; k >= 0; k--) s += this.stack[k] === "{" ? "}" : "]";
    return s;
  }

  checkpoint(at) {
    this.cut = at;
    this.cutClosers = this.closers();
    this.hasCut = true;
  }

  feed(text) {
    if (text.length < this.text.length || !text.startsWith(this.text)) {
      Object.assign(this, new PartialJSONScanner());
    }
    this.text = text;
    const s = text;
    for (let i = this.pos; i < s.length && !this.failed; i++) {
      const c = s[i];
      if (this.inString) {
        if (this.escape === 1) {
          this.escape = c === "u" ? 5 : 0;
        } else if (this.escape > 1) {
          this.escape -= 1;
          if (this.escape === 1) this.escape = 0;
        } else if (c === "\\") {
          this.escape = 1;
          this.escapeStart = i;
        } else if (c === '"') {
          this.inString = false;
          if (!this.stringIsKey) this.valueDone(i + 1);
        }
        continue;
      }
      if (this.token >= 0) {
        if (/[0-9A-Za-z.+\-]/.test(c)) {
          // a literal is complete with its last letter; a number only at a delimiter
          const lit = this.literal;
          if (lit && i + 1 - this.token === lit.length && s.slice(this.token, i + 1) === lit) {
            this.token = -1;
            this.valueDone(i + 1);
          }
          continue;
        }
        this.token = -1;
        this.valueDone(i);
      }
      switch (c) {
        case " ":
        case "\t":
        case "\n":
        case "\r":
          break;
        case "{":
        case "[":
          this.stack.push(c);
          this.expectKey.push(c === "{");
          this.checkpoint(i + 1);
          break;
        case "}":
        case "]":
          this.stack.pop();
          this.expectKey.pop();
          this.valueDone(i + 1);
          break;
        case ",":
          if (this.stack[this.stack.length - 1] === "{") this.expectKey[this.expectKey.length - 1] = true;
          break;
        case ":":
          this.expectKey[this.expectKey.length - 1] = false;
          break;
        case '"':
          this.inString = true;
          this.stringIsKey = this.stack[this.stack.length - 1] === "{" && this.expectKey[this.expectKey.length - 1];
          break;
        default:
          this.token = i;
          this.literal = c === "t" ? "true" : c === "f" ? "false" : c === "n" ? "null" : null;
      }
    }
    this.pos = s.length;
  }

  valueDone(at) {
    this.checkpoint(at);
  }

  value() {
    const s = this.text;
    let candidate;
    if (this.inString && !this.stringIsKey) {
      // show the string written so far ("trailing strings"), minus an unfinished escape
      const body = this.escape ? s.slice(0, this.escapeStart) : s;
      candidate = body + '"' + this.closers();
    } else if (this.token >= 0 && this.stack.length === 0) {
      return undefined; // a top-level number or literal: wait until it is complete
    } else if (this.hasCut) {
      candidate = s.slice(0, this.cut) + this.cutClosers;
    } else {
      return undefined;
    }
    try {
      return JSON.parse(candidate);
    } catch (e) {
      return undefined;
    }
  }
}

// --------------------------------------------------------------------------- JSON tree

function pointer(path) {
  return path.map((p) => "/" + String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join("");
}

function typeOf(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/** A parsed-arguments tree, updated in place per frame (DOM nodes keyed by JSON path). */
class TreeView {
  constructor(el) {
    this.el = el;
    this.root = null; // {type, el, children: Map}
  }

  update(value, streamingPointer, open) {
    if (value === undefined) {
      if (this.root) {
        clear(this.el);
        this.root = null;
      }
      return;
    }
    const t = typeOf(value);
    if (!this.root || this.root.type !== t || !(t === "object" || t === "array")) {
      clear(this.el);
      this.root = null;
      if (t === "object" || t === "array") {
        const list = h("ul", "ss-tree");
        this.el.appendChild(list);
        this.root = { type: t, el: list, children: new Map() };
      } else {
        // a bare scalar as the whole input
        const li = h("div", "ss-field");
        li.setAttribute("data-path", "");
        setAttr(li, "data-state", open ? "streaming" : "complete");
        li.appendChild(this.leaf(value));
        this.el.appendChild(li);
        return;
      }
    }
    this.fill(this.root, value, [], streamingPointer, open);
  }

  leaf(value) {
    const t = typeOf(value);
    const span = h("span", `ss-val ss-val-${t}`);
    span.textContent = t === "string" ? value : JSON.stringify(value);
    return span;
  }

  fill(node, value, path, sp, open) {
    const keys = node.type === "array" ? value.map((_, k) => k) : Object.keys(value);
    const seen = new Set();
    let prev = null;
    for (const key of keys) {
      const id = String(key);
      seen.add(id);
      const v = value[key];
      const t = typeOf(v);
      const childPath = path.concat([key]);
      const ptr = pointer(childPath);
      let child = node.children.get(id);
      if (!child || child.type !== t) {
        const li = h("li", "ss-field");
        li.setAttribute("data-path", ptr);
        li.appendChild(h("span", node.type === "array" ? "ss-key ss-index" : "ss-key", id));
        const fresh = { type: t, li, valueEl: null, sub: null, count: null };
        if (t === "object" || t === "array") {
          fresh.count = h("span", "ss-count");
          li.appendChild(fresh.count);
          const ul = h("ul", "ss-tree");
          li.appendChild(ul);
          fresh.sub = { type: t, el: ul, children: new Map() };
        } else {
          fresh.valueEl = this.leaf(v);
          li.appendChild(fresh.valueEl);
        }
        if (child) node.el.replaceChild(li, child.li);
        else if (prev && prev.li.nextSibling) node.el.insertBefore(li, prev.li.nextSibling);
        else node.el.appendChild(li);
        node.children.set(id, fresh);
        child = fresh;
      }
      const streaming = open && sp !== null && (sp === ptr || sp.startsWith(ptr + "/"));
      setAttr(child.li, "data-state", streaming ? "streaming" : "complete");
      if (child.sub) {
        setText(child.count, t === "array" ? `[${v.length}]` : `{${Object.keys(v).length}}`);
        this.fill(child.sub, v, childPath, sp, open);
      } else {
        setText(child.valueEl, t === "string" ? v : JSON.stringify(v));
      }
      prev = child;
    }
    for (const [id, child] of node.children) {
      if (!seen.has(id)) {
        node.el.removeChild(child.li);
        node.children.delete(id);
      }
    }
  }
}

// --------------------------------------------------------------------------- state store

function emptySnapshot() {
  return {
    seq: 0,
    status: "waiting",
    blocks: [],
    superseded_blocks: [],
    tool_calls: [],
    signatures: [],
    usage: {},
    cost: null,
    timing: {},
    problems: [],
    event_count: 0,
  };
}

function parseInput(block) {
  if (block.input !== undefined) return;
  try {
    block.input = JSON.parse(block.input_json);
  } catch (e) {
    block.input = {};
  }
}

/** The snapshot trait as sent (complete tool inputs travel only as raw JSON) made whole. */
function unpack(packed) {
  const S = Object.assign(emptySnapshot(), packed ? JSON.parse(JSON.stringify(packed)) : {});
  for (const b of S.blocks) if (TOOL_TYPES.has(b.type) && b.complete) parseInput(b);
  const byIndex = new Map(S.blocks.map((b) => [b.index, b]));
  for (const call of S.tool_calls) {
    if (call.input === undefined) {
      const b = byIndex.get(call.index);
      call.input = b ? b.input : {};
    }
  }
  S._startOrder = null; // unknown for a snapshot: tool_calls and signatures come with it
  return S;
}

function blockKind(type) {
  if (type === "text") return "text";
  if (type === "thinking") return "thinking";
  if (type === "redacted_thinking") return "redacted_thinking";
  if (TOOL_TYPES.has(type)) return "tool";
  return "other";
}

const FIELD_TYPES = { text: "text", thinking: "thinking", input_json: "tool_use", signature: "thinking" };

function blockFor(S, index, field) {
  let b = S.blocks.find((x) => x.index === index);
  if (!b) {
    // a block whose start this view never saw (frames were lost): a placeholder until the
    // snapshot arrives
    const type = FIELD_TYPES[field] || "unknown";
    b = { index, type, kind: blockKind(type), complete: false, delta_count: 0, placeholder: true };
    startBlock(S, b);
  }
  return b;
}

function startBlock(S, head) {
  const k = S.blocks.findIndex((x) => x.index === head.index);
  if (k >= 0) {
    if (!S.blocks[k].placeholder) S.superseded_blocks.push(S.blocks[k]);
    S.blocks[k] = head;
  } else {
    S.blocks.push(head);
    S.blocks.sort((a, b) => a.index - b.index);
  }
  if (!S._startOrder) S._startOrder = S.blocks.slice();
  else S._startOrder.push(head);
}

function applyFrame(S, f) {
  for (const op of f.ops || []) {
    const kind = op[0];
    if (kind === "start") startBlock(S, op[1]);
    else if (kind === "add") {
      const b = blockFor(S, op[1], op[2]);
      b[op[2]] = (b[op[2]] || "") + op[3];
    } else if (kind === "set") {
      const b = blockFor(S, op[1], null);
      Object.assign(b, op[2]);
      // a complete tool input comes as raw JSON only, unless it did not parse
      if (op[2].complete && TOOL_TYPES.has(b.type) && !("input" in op[2]) && b.input_json) {
        delete b.input;
        parseInput(b);
      }
    }
    else if (kind === "problem") S.problems.push(op[1]);
  }
  if (f.summary) Object.assign(S, f.summary);
  S.seq = f.seq;
  S.event_count = S.revision = f.n;
  derive(S, f.t);
}

/** What the kernel's snapshot derives from blocks: tool calls, signatures, timing. */
function derive(S, duration) {
  const order = S._startOrder || S.blocks;
  S.tool_calls = [];
  for (const b of order) {
    if (b.type !== "tool_use" || !b.complete) continue;
    S.tool_calls.push({
      id: b.id || "",
      name: b.name || "",
      index: b.index,
      input: b.input === undefined ? {} : b.input,
      input_error: b.input_error || null,
    });
  }
  S.signatures = [];
  for (const b of S.blocks) {
    if (b.type !== "thinking") continue;
    b.omitted = Boolean(b.complete && b.signature && !b.thinking);
    S.signatures.push({ index: b.index, signature: b.signature || "", omitted: b.omitted });
  }
  const timing = Object.assign({}, S.timing || {});
  timing.duration = duration === undefined ? timing.duration : duration;
  const ttft = timing.time_to_first_token;
  const out = (S.usage || {}).output_tokens;
  const gen = typeof ttft === "number" && typeof timing.duration === "number" ? timing.duration - ttft : null;
  // As in snapshot.py: under MIN_RATE_SECONDS of generation (an instant replay) no rate.
  timing.output_tokens_per_second = gen && gen >= 0.25 && out ? out / gen : null;
  S.timing = timing;
}

const stores = new Map();

class Store {
  constructor(model) {
    this.model = model;
    this.key = model.get("_store_key");
    this.views = new Set();
    this.S = unpack(model.get("snapshot"));
    this.buffer = new Map();
    this.resyncing = false;
    this.ui = { toggled: new Map(), final: false };
    this.gotFrame = false;
    this.onSnapshot = () => this.snapshotChanged();
    this.onMsg = (msg) => this.message(msg);
    this.onControls = () => this.notify();
    model.on("change:snapshot", this.onSnapshot);
    model.on("msg:custom", this.onMsg);
    model.on("change:controls", this.onControls);
    // frames sent before this store existed are lost; a stream that is still running and
    // sends nothing for a while would show nothing: ask for the snapshot then
    this.initTimer = setTimeout(() => {
      if (!this.gotFrame && !FINAL.has(this.S.status)) this.request("init");
    }, INIT_REQUEST_MS);
  }

  dispose() {
    clearTimeout(this.initTimer);
    this.model.off("change:snapshot", this.onSnapshot);
    this.model.off("msg:custom", this.onMsg);
    this.model.off("change:controls", this.onControls);
  }

  request(reason) {
    this.model.send({ type: "request_snapshot", reason, have: this.S.seq });
  }

  message(msg) {
    if (!msg || msg.type !== "frame") return;
    this.gotFrame = true;
    if (msg.seq <= this.S.seq && !this.resyncing) return;
    if (!this.resyncing && msg.seq === this.S.seq + 1) {
      applyFrame(this.S, msg);
      this.notify();
      return;
    }
    if (!this.resyncing) {
      this.resyncing = true;
      this.request("gap");
    }
    // keep the frame for after the snapshot; meanwhile show what can be shown
    this.buffer.set(msg.seq, msg);
    if (this.buffer.size > MAX_BUFFERED_FRAMES) this.buffer.delete(this.buffer.keys().next().value);
    if (msg.seq > this.S.seq) {
      applyFrame(this.S, msg);
      this.S._resyncing = true;
      this.notify();
    }
  }

  snapshotChanged() {
    const S = unpack(this.model.get("snapshot"));
    const frames = [...this.buffer.keys()].filter((seq) => seq > S.seq).sort((a, b) => a - b);
    let seq = S.seq;
    for (const k of frames) {
      if (k !== seq + 1) break;
      applyFrame(S, this.buffer.get(k));
      seq = k;
    }
    const missing = frames.some((k) => k > seq);
    this.S = S;
    this.buffer.clear();
    this.resyncing = false;
    if (missing) {
      this.resyncing = true;
      this.request("gap");
    }
    this.notify();
  }

  notify() {
    for (const v of this.views) v.schedule();
  }
}

function storeFor(model) {
  const key = model.get("_store_key");
  let store = stores.get(key);
  if (!store) {
    store = new Store(model);
    stores.set(key, store);
  }
  return store;
}

// --------------------------------------------------------------------------- lanes

class Lane {
  constructor(block, ui) {
    this.block = block;
    this.ui = ui;
    this.el = h("section", "ss-lane");
    this.el.setAttribute("data-index", String(block.index));
    this.el.setAttribute("data-kind", block.kind || blockKind(block.type));
    this.el.setAttribute("data-type", String(block.type));
    const head = h("div", "ss-lane-head");
    this.badge = h("span", "ss-lane-index", `#${block.index}`);
    this.label = h("span", "ss-lane-type", block.type);
    this.meta = h("span", "ss-lane-meta");
    head.append(this.badge, this.label, this.meta);
    this.el.appendChild(head);
    this.body = h("div", "ss-lane-body");
    this.el.appendChild(this.body);
    this.build();
  }

  build() {}

  update(b) {
    this.block = b;
    setAttr(this.el, "data-complete", b.complete ? "true" : "false");
    const bits = [];
    if (b.synthesized) bits.push("no start event");
    if (typeof b.delta_count === "number") bits.push(`${fmtInt(b.delta_count)} deltas`);
    const start = b.started_at;
    const end = b.stopped_at !== null && b.stopped_at !== undefined ? b.stopped_at : b.last_delta_at;
    if (typeof start === "number" && typeof end === "number") bits.push(fmtSeconds(end - start));
    if (!b.complete) bits.push(this.ui.final ? "cut off" : "streaming…");
    setText(this.meta, bits.join(" · "));
    this.fill(b);
  }

  fill() {}
}

class TextLane extends Lane {
  build() {
    this.md = new MarkdownView(h("div", "ss-text"));
    this.body.appendChild(this.md.el);
    this.citations = h("ol", "ss-citations");
    this.citationCount = -1;
  }
  fill(b) {
    stickToBottom(this.md.el, !b.complete, () => this.md.set(b.text || ""));
    const cites = b.citations || [];
    if (cites.length !== this.citationCount) {
      this.citationCount = cites.length;
      clear(this.citations);
      for (const c of cites) {
        const li = h("li", "ss-citation");
        const title = c.title || c.document_title || c.url || c.type || "source";
        li.appendChild(c.url ? link(c.url, title) : h("span", "ss-citation-title", title));
        if (c.cited_text) li.appendChild(h("q", "ss-cited", c.cited_text));
        this.citations.appendChild(li);
      }
      if (cites.length && !this.citations.parentNode) this.body.appendChild(this.citations);
      if (!cites.length && this.citations.parentNode) this.body.removeChild(this.citations);
    }
  }
}

const SUMMARIZED_HINT =
  'This thinking block arrived as a signature only (thinking display "omitted"). To see ' +
  'summarized reasoning, request thinking={"type": "enabled" | "adaptive", …, ' +
  '"display": "summarized"}.';

class ThinkingLane extends Lane {
  build() {
    this.details = h("details", "ss-thinking");
    this.details.open = true;
    this.summary = h("summary", "ss-thinking-summary", "Thinking");
    this.details.appendChild(this.summary);
    this.textEl = h("div", "ss-thinking-text");
    this.text = new GrowingText(this.textEl);
    this.details.appendChild(this.textEl);
    this.details.addEventListener("toggle", () => {
      if (this.programmatic === this.details.open) {
        this.programmatic = null; // our own change, not the user's
        return;
      }
      this.ui.toggled.set(this.block.index, this.details.open);
    });
    this.signature = h("span", "ss-signature");
    this.omitted = h("div", "ss-omitted", SUMMARIZED_HINT);
    this.body.append(this.details, this.signature);
  }
  fill(b) {
    const thinking = b.thinking || "";
    stickToBottom(this.textEl, !b.complete, () => this.text.set(thinking));
    setText(this.summary, `Thinking · ${fmtInt(thinking.length)} characters`);
    const user = this.ui.toggled.get(b.index);
    const want = user !== undefined ? user : !(b.complete && thinking.length > COLLAPSE_THINKING_AT);
    if (this.details.open !== want) {
      this.programmatic = want;
      this.details.open = want;
    }
    const sig = b.signature || "";
    setAttr(this.signature, "data-present", sig ? "true" : "false");
    setText(this.signature, sig ? `signature ✓ ${fmtInt(sig.length)} chars` : b.complete ? "no signature" : "signature pending");
    if (sig) this.signature.title = sig.length > 80 ? `${sig.slice(0, 40)}…${sig.slice(-20)}` : sig;
    const omitted = Boolean(b.complete && sig && !thinking);
    if (omitted && !this.omitted.parentNode) this.body.appendChild(this.omitted);
    if (!omitted && this.omitted.parentNode) this.body.removeChild(this.omitted);
    this.details.hidden = omitted;
  }
}

class RedactedLane extends Lane {
  build() {
    this.note = h("div", "ss-redacted");
    this.body.appendChild(this.note);
  }
  fill(b) {
    const data = b.data || "";
    setText(
      this.note,
      `Redacted thinking: ${fmtBytes(utf8Length(data))} of encrypted reasoning, ` +
        "kept unchanged so it can go back to the API.",
    );
  }
}

class ToolLane extends Lane {
  build() {
    this.box = h("div", "ss-tool");
    const head = h("div", "ss-tool-head");
    this.name = h("span", "ss-tool-name");
    this.id = h("span", "ss-tool-id");
    this.server = h("span", "ss-tool-server");
    head.append(this.name, this.server, this.id);
    this.error = h("div", "ss-tool-error");
    const cols = h("div", "ss-tool-cols");
    const treeCol = h("div", "ss-tool-col");
    treeCol.appendChild(h("div", "ss-col-title", "arguments"));
    this.treeEl = h("div", "ss-tool-tree");
    this.emptyNote = h("div", "ss-muted");
    treeCol.append(this.treeEl, this.emptyNote);
    const rawCol = h("div", "ss-tool-col");
    this.rawTitle = h("div", "ss-col-title", "raw JSON");
    rawCol.appendChild(this.rawTitle);
    this.rawEl = h("pre", "ss-tool-raw");
    this.raw = new GrowingText(this.rawEl);
    rawCol.appendChild(this.rawEl);
    cols.append(treeCol, rawCol);
    this.box.append(head, this.error, cols);
    this.body.appendChild(this.box);
    this.tree = new TreeView(this.treeEl);
    this.scanner = new PartialJSONScanner();
  }
  fill(b) {
    setText(this.name, b.name || "(no name yet)");
    setText(this.id, b.id || "");
    setText(this.server, b.server_name ? `via ${b.server_name}` : "");
    const json = b.input_json || "";
    stickToBottom(this.rawEl, !b.complete, () => this.raw.set(json));
    setText(this.rawTitle, `raw JSON · ${fmtBytes(utf8Length(json))}`);
    let value;
    if (b.complete && b.input !== undefined) value = b.input;
    else if (json) {
      this.scanner.feed(json);
      value = this.scanner.value();
    } else value = b.input;
    const sp = b.streaming_path;
    const ptr = !b.complete && Array.isArray(sp) ? pointer(sp) : null;
    stickToBottom(this.treeEl, !b.complete, () => this.tree.update(value, ptr, !b.complete));
    const empty = value !== null && typeof value === "object" && Object.keys(value).length === 0;
    setText(this.emptyNote, empty ? (b.complete ? "no arguments" : "waiting for arguments…") : "");
    this.emptyNote.hidden = !empty;
    setText(this.error, b.input_error || "");
    this.error.hidden = !b.input_error;
  }
}

function resultSummary(b) {
  const c = b.content || {};
  const inner = c.content;
  const bits = [];
  if (c.tool_use_id) bits.push(`for ${c.tool_use_id}`);
  if (Array.isArray(inner)) bits.push(`${inner.length} item${inner.length === 1 ? "" : "s"}`);
  if (inner && typeof inner === "object" && !Array.isArray(inner)) {
    if (inner.error_code) bits.push(`error: ${inner.error_code}`);
    if (typeof inner.return_code === "number") bits.push(`return code ${inner.return_code}`);
  }
  if (c.is_error) bits.push("error");
  return bits.join(" · ");
}

class GenericLane extends Lane {
  build() {
    this.summary = h("div", "ss-generic-summary");
    this.links = h("ul", "ss-generic-links");
    this.pre = h("pre", "ss-generic");
    this.body.append(this.summary, this.links, this.pre);
    this.last = null;
  }
  fill(b) {
    const shown = { content: b.content };
    if (b.extra_deltas) shown.extra_deltas = b.extra_deltas;
    const text = prettyJSON(b.content === undefined ? b : shown.extra_deltas ? shown : b.content);
    if (text === this.last) return;
    this.last = text;
    this.pre.textContent = text;
    setText(this.summary, resultSummary(b));
    clear(this.links);
    const inner = (b.content || {}).content;
    if (Array.isArray(inner)) {
      for (const item of inner.slice(0, 20)) {
        if (item && typeof item === "object" && item.url) {
          const li = h("li");
          li.appendChild(link(item.url, item.title || item.url));
          this.links.appendChild(li);
        }
      }
    }
    this.links.hidden = !this.links.firstChild;
  }
}

function makeLane(block, ui) {
  switch (block.kind || blockKind(block.type)) {
    case "text":
      return new TextLane(block, ui);
    case "thinking":
      return new ThinkingLane(block, ui);
    case "redacted_thinking":
      return new RedactedLane(block, ui);
    case "tool":
      return new ToolLane(block, ui);
    default:
      return new GenericLane(block, ui);
  }
}

// --------------------------------------------------------------------------- final panel

const USAGE_ROWS = [
  ["input_tokens", "input"],
  ["cache_creation_input_tokens", "cache write"],
  ["cache_write_5m_tokens", "  of which 5m"],
  ["cache_write_1h_tokens", "  of which 1h"],
  ["cache_read_input_tokens", "cache read"],
  ["total_input_tokens", "total input"],
  ["output_tokens", "output"],
  ["thinking_tokens", "  of which thinking"],
  ["cache_hit_rate", "cache hit rate"],
];

class FinalPanel {
  constructor() {
    this.el = h("aside", "ss-final");
    this.calls = h("div", "ss-final-calls");
    this.signatures = h("div", "ss-signatures");
    this.usage = h("div", "ss-usage");
    this.cost = h("div", "ss-cost");
    this.timing = h("div", "ss-timing");
    this.stop = h("div", "ss-stop");
    this.problems = h("div", "ss-problems");
    this.error = h("div", "ss-error");
    const figures = h("div", "ss-figures");
    figures.append(this.usage, this.cost, this.timing, this.stop);
    this.el.append(this.error, this.calls, this.signatures, figures, this.problems);
    const table = h("table", "ss-usage-table");
    this.usageCells = {};
    for (const [key, label] of USAGE_ROWS) {
      const tr = h("tr");
      tr.appendChild(h("th", null, label.trim()));
      if (label.startsWith("  ")) tr.className = "ss-sub";
      const td = h("td");
      td.setAttribute("data-usage", key);
      tr.appendChild(td);
      table.appendChild(tr);
      this.usageCells[key] = td;
    }
    this.usage.append(h("div", "ss-final-title", "Usage"), table);
    this.callsKey = null;
    this.sigKey = null;
    this.problemCount = -1;
  }

  update(S) {
    this.updateCalls(S);
    this.updateSignatures(S);
    const u = S.usage || {};
    for (const [key] of USAGE_ROWS) {
      const v = u[key];
      let text;
      if (key === "cache_hit_rate") text = typeof v === "number" ? `${(v * 100).toFixed(1)}%` : "–";
      else text = v === null || v === undefined ? "–" : fmtInt(v);
      setText(this.usageCells[key], text);
    }
    this.updateCost(S);
    this.updateTiming(S);
    this.updateStop(S);
    this.updateProblems(S);
    this.updateError(S);
  }

  updateCalls(S) {
    const calls = S.tool_calls || [];
    const key = calls.map((c) => `${c.index}:${c.id}`).join(",");
    if (key === this.callsKey) return;
    this.callsKey = key;
    clear(this.calls);
    this.calls.hidden = calls.length === 0;
    if (!calls.length) return;
    this.calls.appendChild(h("div", "ss-final-title", `Tool calls (${calls.length})`));
    for (const c of calls) {
      const el = h("div", "ss-call");
      el.setAttribute("data-index", String(c.index));
      const head = h("div", "ss-call-head");
      head.append(h("span", "ss-call-name", c.name), h("span", "ss-call-id", c.id));
      el.appendChild(head);
      el.appendChild(h("pre", "ss-call-args", prettyJSON(c.input)));
      if (c.input_error) el.appendChild(h("div", "ss-tool-error", c.input_error));
      this.calls.appendChild(el);
    }
  }

  updateSignatures(S) {
    const sigs = S.signatures || [];
    const key = sigs.map((s) => `${s.index}:${(s.signature || "").length}:${s.omitted}`).join(",");
    if (key === this.sigKey) return;
    this.sigKey = key;
    clear(this.signatures);
    this.signatures.hidden = sigs.length === 0;
    if (!sigs.length) return;
    this.signatures.appendChild(h("div", "ss-final-title", "Thinking signatures"));
    const ul = h("ul");
    for (const s of sigs) {
      const li = h("li", "ss-signature-item");
      li.setAttribute("data-index", String(s.index));
      const sig = s.signature || "";
      const shown = sig.length > 48 ? `${sig.slice(0, 24)}…${sig.slice(-12)}` : sig;
      li.textContent = sig
        ? `#${s.index}: ${fmtInt(sig.length)} chars ${shown}${s.omitted ? " (thinking omitted)" : ""}`
        : `#${s.index}: none`;
      ul.appendChild(li);
    }
    this.signatures.appendChild(ul);
  }

  updateCost(S) {
    clear(this.cost);
    this.cost.appendChild(h("div", "ss-final-title", "Estimated cost"));
    const c = S.cost;
    if (!c) {
      this.cost.appendChild(h("div", "ss-muted", S.model ? `no price known for ${S.model}` : "no model yet"));
      return;
    }
    this.cost.appendChild(h("div", "ss-cost-total", fmtUsd(c.total_usd)));
    const parts = h("div", "ss-cost-parts");
    parts.textContent =
      `input ${fmtUsd(c.input_usd)} · cache write ${fmtUsd(c.cache_write_usd)} · ` +
      `cache read ${fmtUsd(c.cache_read_usd)} · output ${fmtUsd(c.output_usd)}`;
    this.cost.appendChild(parts);
    if (typeof c.without_cache_usd === "number" && Math.abs(c.without_cache_usd - c.total_usd) > 1e-12) {
      this.cost.appendChild(h("div", "ss-muted", `without caching: ${fmtUsd(c.without_cache_usd)}`));
    }
    this.cost.appendChild(h("div", "ss-muted", `${c.model_key} prices as of ${c.as_of}`));
  }

  updateTiming(S) {
    const t = S.timing || {};
    clear(this.timing);
    this.timing.appendChild(h("div", "ss-final-title", "Timing"));
    const dl = h("dl");
    const row = (k, v) => {
      dl.append(h("dt", null, k), h("dd", null, v));
    };
    row("time to first token", fmtSeconds(t.time_to_first_token));
    const tps = t.output_tokens_per_second;
    row("output tokens / s", fmtRate(tps));
    row("duration", fmtSeconds(t.duration));
    row("events", fmtInt(S.event_count));
    this.timing.appendChild(dl);
  }

  updateStop(S) {
    clear(this.stop);
    this.stop.appendChild(h("div", "ss-final-title", "Stop"));
    this.stop.appendChild(h("div", "ss-stop-reason", S.stop_reason || (FINAL.has(S.status) ? "none" : "…")));
    if (S.stop_sequence) this.stop.appendChild(h("div", "ss-muted", `stop sequence: ${S.stop_sequence}`));
    if (S.stop_details) this.stop.appendChild(h("pre", "ss-stop-details", prettyJSON(S.stop_details)));
  }

  updateProblems(S) {
    const problems = S.problems || [];
    if (problems.length === this.problemCount) return;
    this.problemCount = problems.length;
    clear(this.problems);
    this.problems.hidden = problems.length === 0;
    if (!problems.length) return;
    this.problems.appendChild(h("div", "ss-final-title", `Problems (${problems.length})`));
    const ul = h("ul");
    for (const p of problems) {
      const li = h("li", "ss-problem", p.text);
      li.setAttribute("data-kind", String(p.kind));
      ul.appendChild(li);
    }
    this.problems.appendChild(ul);
  }

  updateError(S) {
    clear(this.error);
    const parts = [];
    if (S.error) parts.push(`${S.error.type || "error"}: ${S.error.message || prettyJSON(S.error)}`);
    if (S.failure) parts.push(S.failure);
    this.error.hidden = parts.length === 0;
    if (!parts.length) return;
    this.error.appendChild(h("div", "ss-final-title", S.status === "failed" ? "Stream failed" : "Error"));
    for (const p of parts) this.error.appendChild(h("div", "ss-error-text", p));
  }
}

// --------------------------------------------------------------------------- timeline

class Timeline {
  constructor() {
    this.el = h("div", "ss-timeline");
    this.key = null;
  }
  update(S) {
    const blocks = S.blocks || [];
    const end = Math.max(
      (S.timing || {}).duration || 0,
      ...blocks.map((b) => b.stopped_at || b.last_delta_at || b.started_at || 0),
    );
    const key = JSON.stringify([
      end,
      blocks.map((b) => [b.index, b.kind, b.started_at, b.first_delta_at, b.last_delta_at, b.stopped_at]),
    ]);
    if (key === this.key) return;
    this.key = key;
    clear(this.el);
    if (!blocks.length) return;
    const rowH = 16;
    const labelW = 120;
    const width = 720;
    const plotW = width - labelW - 12;
    const height = blocks.length * rowH + 22;
    const span = end > 0 ? end : 1;
    const x = (t) => labelW + (Math.max(0, t) / span) * plotW;
    const svg = svgEl("svg", {
      viewBox: `0 0 ${width} ${height}`,
      width: "100%",
      preserveAspectRatio: "xMinYMin meet",
      role: "img",
    });
    svg.appendChild(svgEl("title")).textContent = "When each block streamed";
    blocks.forEach((b, k) => {
      const g = svgEl("g", { class: `ss-timeline-row ss-tl-${b.kind || blockKind(b.type)}`, "data-index": b.index });
      const y = k * rowH + 2;
      const label = svgEl("text", { x: 4, y: y + rowH - 5, class: "ss-tl-label" });
      label.textContent = `#${b.index} ${b.type}`;
      g.appendChild(label);
      g.appendChild(svgEl("line", { x1: labelW, x2: labelW + plotW, y1: y + rowH / 2, y2: y + rowH / 2, class: "ss-tl-track" }));
      const s = typeof b.started_at === "number" ? b.started_at : 0;
      const e = [b.stopped_at, b.last_delta_at, b.started_at].find((v) => typeof v === "number");
      const x0 = x(s);
      const w = Math.max(2, x(e === undefined ? s : e) - x0);
      const rect = svgEl("rect", { x: x0, y: y + 3, width: w, height: rowH - 6, rx: 2, class: "ss-tl-bar" });
      if (!b.complete) rect.setAttribute("data-open", "true");
      const tip = svgEl("title");
      tip.textContent = `#${b.index} ${b.type}: ${fmtSeconds(s)} → ${e === undefined ? "…" : fmtSeconds(e)}`;
      rect.appendChild(tip);
      g.appendChild(rect);
      if (typeof b.first_delta_at === "number") {
        const fx = x(b.first_delta_at);
        g.appendChild(svgEl("line", { x1: fx, x2: fx, y1: y + 2, y2: y + rowH - 2, class: "ss-tl-first" }));
      }
      svg.appendChild(g);
    });
    const axisY = blocks.length * rowH + 4;
    svg.appendChild(svgEl("line", { x1: labelW, x2: labelW + plotW, y1: axisY, y2: axisY, class: "ss-tl-axis" }));
    for (let k = 0; k <= 4; k++) {
      const t = (span * k) / 4;
      const tx = svgEl("text", { x: x(t), y: axisY + 14, class: "ss-tl-tick", "text-anchor": k === 0 ? "start" : k === 4 ? "end" : "middle" });
      tx.textContent = fmtSeconds(t);
      svg.appendChild(tx);
    }
    this.el.appendChild(svg);
  }
}

// --------------------------------------------------------------------------- the view

const SPEEDS = [0.25, 0.5, 1, 2, 4, 10, 100, null]; // null: instant

class View {
  constructor(store, el) {
    this.store = store;
    this.model = store.model;
    this.ui = store.ui; // kept by the store: a re-rendered view keeps what the user opened
    this.lanes = new Map(); // index -> Lane
    this.root = h("div", "ss-view");
    this.header = h("div", "ss-header");
    this.title = h("span", "ss-title", "streamscope");
    this.modelName = h("span", "ss-model");
    this.status = h("span", "ss-status");
    this.resync = h("span", "ss-resync", "catching up…");
    this.controls = h("div", "ss-controls");
    this.header.append(this.title, this.modelName, this.status, this.resync, this.controls);
    this.lanesEl = h("div", "ss-lanes");
    this.empty = h("div", "ss-empty", "Waiting for the stream…");
    this.final = new FinalPanel();
    this.timeline = new Timeline();
    // lanes and timeline, with the final panel beside them where the output is wide
    this.body = h("div", "ss-body");
    this.body.append(this.lanesEl, this.timeline.el, this.final.el);
    this.root.append(this.header, this.body);
    el.appendChild(this.root);
    this.buildControls();
    this.pending = false;
    this.render();
  }

  buildControls() {
    const send = (action, value) => this.model.send({ type: "control", action, value });
    this.stopBtn = h("button", "ss-btn ss-stop-btn", "■ Stop");
    this.stopBtn.setAttribute("data-action", "stop");
    this.stopBtn.addEventListener("click", () => send("stop"));
    this.playBtn = h("button", "ss-btn", "▶ Play");
    this.playBtn.addEventListener("click", () => {
      const c = this.model.get("controls") || {};
      send(c.playing ? "pause" : "play");
    });
    this.stepBtn = h("button", "ss-btn", "Step ›");
    this.stepBtn.setAttribute("data-action", "step");
    this.stepBtn.title = "Apply the next event";
    this.stepBtn.addEventListener("click", () => send("step"));
    this.speed = h("select", "ss-speed");
    this.speed.setAttribute("data-action", "speed");
    this.speed.title = "Replay speed";
    for (const s of SPEEDS) {
      const o = h("option", null, s === null ? "instant" : `${s}×`);
      o.value = s === null ? "" : String(s);
      this.speed.appendChild(o);
    }
    this.speed.addEventListener("change", () => {
      const v = this.speed.value;
      send("speed", v === "" ? null : parseFloat(v));
    });
    this.position = h("span", "ss-position");
    this.controls.append(this.playBtn, this.stepBtn, this.speed, this.position, this.stopBtn);
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    const run = () => {
      this.pending = false;
      this.render();
    };
    if (typeof requestAnimationFrame === "function" && !document.hidden) requestAnimationFrame(run);
    else setTimeout(run, 50);
  }

  render() {
    const S = this.store.S;
    setAttr(this.root, "data-status", S.status || "waiting");
    setText(this.modelName, S.model || "");
    setText(this.status, S.status || "waiting");
    setAttr(this.status, "data-status", S.status || "waiting");
    this.resync.hidden = !(this.store.resyncing && !FINAL.has(S.status));
    this.ui.final = FINAL.has(S.status);
    this.renderControls(S);
    this.renderLanes(S);
    this.timeline.update(S);
    this.final.update(S);
  }

  renderControls(S) {
    const c = this.model.get("controls") || {};
    const live = FINAL.has(S.status) ? false : c.mode === "live" || c.mode === "replay";
    this.controls.hidden = !live;
    const replay = c.mode === "replay";
    this.playBtn.hidden = this.stepBtn.hidden = this.speed.hidden = this.position.hidden = !replay;
    this.playBtn.textContent = c.playing ? "❚❚ Pause" : "▶ Play";
    this.playBtn.setAttribute("data-action", c.playing ? "pause" : "play");
    if (replay) {
      const v = c.speed === null || c.speed === undefined ? "" : String(c.speed);
      if (this.speed.value !== v) {
        if (![...this.speed.options].some((o) => o.value === v)) {
          const o = h("option", null, `${v}×`);
          o.value = v;
          this.speed.appendChild(o);
        }
        this.speed.value = v;
      }
      setText(this.position, `event ${fmtInt(S.event_count)} / ${fmtInt(c.total || 0)}`);
    }
    const blocked = c.stop === "blocked";
    this.stopBtn.disabled = blocked;
    this.stopBtn.title = blocked
      ? "The kernel cannot hear this button while the cell blocks in view.consume(...). " +
        "Use `await view.consume_async(...)` to be able to stop; or interrupt the kernel."
      : "Stop consuming the stream (everything received stays)";
  }

  renderLanes(S) {
    const blocks = S.blocks || [];
    if (!blocks.length) {
      if (this.lanesEl.firstChild !== this.empty || this.lanesEl.childNodes.length !== 1) {
        clear(this.lanesEl);
        this.lanesEl.appendChild(this.empty);
      }
      this.lanes.clear();
      return;
    }
    const keep = new Map();
    const order = [];
    for (const b of blocks) {
      let lane = this.lanes.get(b.index);
      if (!lane || lane.block.type !== b.type) lane = makeLane(b, this.ui);
      lane.update(b);
      keep.set(b.index, lane);
      order.push(lane);
    }
    this.lanes = keep;
    // lay out: consecutive tool lanes share a row (parallel calls side by side)
    const wanted = [];
    let row = null;
    for (const lane of order) {
      if (lane instanceof ToolLane) {
        if (!row) {
          row = [];
          wanted.push(row);
        }
        row.push(lane.el);
      } else {
        row = null;
        wanted.push(lane.el);
      }
    }
    this.rows = this.rows || [];
    const children = [];
    let r = 0;
    for (const item of wanted) {
      if (Array.isArray(item)) {
        let rowEl = this.rows[r++];
        if (!rowEl) {
          rowEl = h("div", "ss-tool-row");
          this.rows.push(rowEl);
        }
        item.forEach((el, k) => {
          if (rowEl.childNodes[k] !== el) rowEl.insertBefore(el, rowEl.childNodes[k] || null);
        });
        while (rowEl.childNodes.length > item.length) rowEl.removeChild(rowEl.lastChild);
        setAttr(rowEl, "data-count", item.length);
        children.push(rowEl);
      } else children.push(item);
    }
    this.rows.length = r;
    children.forEach((el, k) => {
      if (this.lanesEl.childNodes[k] !== el) this.lanesEl.insertBefore(el, this.lanesEl.childNodes[k] || null);
    });
    while (this.lanesEl.childNodes.length > children.length) this.lanesEl.removeChild(this.lanesEl.lastChild);
  }
}

// --------------------------------------------------------------------------- anywidget entry

function initialize({ model }) {
  const store = storeFor(model);
  return () => {
    store.dispose();
    stores.delete(store.key);
  };
}

function render({ model, el }) {
  const store = storeFor(model);
  const view = new View(store, el);
  store.views.add(view);
  return () => {
    store.views.delete(view);
  };
}

export default { initialize, render };
export { PartialJSONScanner, parseBlocks, renderInline, safeHref, unpack, applyFrame, pointer };
