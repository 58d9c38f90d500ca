extension InspectionPage {
    /// The page's styles: system fonts only.
    static let style = #"""
    :root { color-scheme: light; --ink: #1b1f24; --muted: #667080; --line: #d8dde3; --paper: #ffffff; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--ink); background: #f5f6f8; }
    header, main { max-width: 1160px; margin: 0 auto; padding: 0 16px; }
    header { padding-top: 14px; }
    h1 { font-size: 20px; margin: 0 0 8px; }
    h2 { font-size: 16px; margin: 0 0 4px; }
    code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }
    .facts { display: flex; flex-wrap: wrap; gap: 4px 22px; margin: 0 0 8px; }
    .facts div { display: flex; gap: 6px; }
    .facts dt { color: var(--muted); }
    .facts dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
    section { background: var(--paper); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; margin: 10px 0; }
    .note { margin: 0 0 6px; color: var(--muted); max-width: 110ch; }
    .muted { color: var(--muted); font-weight: normal; }
    .warn { color: #b00020; }
    .legend { display: flex; align-items: center; gap: 8px; font-size: 12px; margin: 4px 0; }
    .ramp { display: inline-block; width: 160px; height: 10px; border: 1px solid var(--line); }
    .surprise-ramp { background: linear-gradient(to right, rgba(220,40,40,0), rgba(220,40,40,0.75)); }
    .cell-ramp { background: linear-gradient(to right, rgba(50,120,200,0.75), rgba(50,120,200,0) 50%, rgba(230,85,50,0) 50%, rgba(230,85,50,0.75)); }
    .text { font: 14px/1.5 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, "Noto Sans Mono CJK SC", monospace;
            white-space: pre-wrap; overflow-wrap: anywhere; max-height: 300px; overflow-y: auto; padding: 6px 8px;
            border: 1px solid var(--line); border-radius: 4px; background: #fff; }
    .text:focus { outline: 2px solid #4a90d9; outline-offset: 1px; }
    .text span span.cur { outline: 2px solid #111; outline-offset: 0; }
    .text .nl { color: #9aa3ad; }
    .controls { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin: 4px 0; }
    .controls input { width: 6em; }
    #cell-note { color: var(--muted); font-size: 12px; }
    table { border-collapse: collapse; }
    .found th { text-align: left; vertical-align: top; padding: 6px 12px 6px 0; width: 30%; font-weight: 600; }
    .found th .muted { font-size: 12px; }
    .found td { padding: 6px 0; border-top: 1px solid var(--line); }
    .found th { border-top: 1px solid var(--line); }
    button.pick { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; margin: 2px; padding: 2px 6px; border: 1px solid var(--line);
                  border-radius: 4px; background: #f2f5f9; cursor: pointer; }
    button.pick:hover, button.pick:focus { background: #e1ebf7; }
    button.pick.on { background: #1f77b4; color: #fff; }
    .plots { display: flex; flex-wrap: wrap; gap: 18px; }
    figure.layer { margin: 0; }
    figcaption { font-weight: 600; }
    svg .frame { fill: #fbfcfd; stroke: #aab2bd; }
    svg .diag { stroke: #d0d5db; stroke-dasharray: 3 3; }
    svg circle { fill-opacity: 0.55; }
    svg .axis { font-size: 11px; text-anchor: middle; fill: #667080; }
    svg .tick { font-size: 10px; text-anchor: middle; fill: #667080; }
    .gates td, .gates th { padding: 2px 8px; text-align: right; font-size: 12px; }
    .gates td:first-child, .gates th:first-child { text-align: left; }
    .dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 4px; }
    #info { position: fixed; left: 50%; transform: translateX(-50%); bottom: 10px; max-width: 900px; width: calc(100% - 32px);
            background: #1b1f24; color: #f4f6f8; border-radius: 6px; padding: 8px 12px; font-size: 13px; display: none;
            box-shadow: 0 2px 10px rgba(0,0,0,.25); }
    #info.on { display: block; }
    #info code { color: #ffd479; }
    #info .p { color: #b7c0cc; }
    """#

    /// The page's script: reads the data element, draws the two text views block by block as they come into
    /// view, and wires the cell picker, the property buttons and the character details.
    static let script = #"""
    "use strict";
    (function () {
      const D = JSON.parse(document.getElementById("data").textContent);
      const chars = Array.from(D.text);                 // one element per Unicode scalar, as the model reads
      const N = chars.length, H = D.hidden, L = D.layers, K = D.k, BLOCK = 1000;
      const activity = D.activity.map(function (b64) {
        const s = atob(b64), a = new Int8Array(s.length);
        for (let i = 0; i < s.length; i++) a[i] = (s.charCodeAt(i) << 24) >> 24;
        return a;
      });
      let layer = Math.min(Math.max(D.initial[0], 0), L - 1), cell = Math.min(Math.max(D.initial[1], 0), H - 1);

      // How a character is drawn: line breaks and other control characters get a visible sign.
      function shown(c) {
        if (c === "\n") return "\u21b5\n";
        if (c === "\t") return "\u21e5\t";
        const code = c.codePointAt(0);
        if (code < 32) return String.fromCodePoint(0x2400 + code);
        if (code === 127) return "\u2421";
        return c;
      }
      function named(c) {
        return "\u2018" + shown(c).replace("\n", "") + "\u2019 U+" + c.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
      }

      function surpriseColour(i) {
        if (i === 0) return "";
        const t = Math.min(D.surprisal[i - 1] / D.maxBits, 1);
        return "rgba(220,40,40," + (0.75 * t).toFixed(3) + ")";
      }
      function activityAt(i) { return i < N - 1 ? activity[layer][i * H + cell] / 127 : null; }
      function cellColour(i) {
        const v = activityAt(i);
        if (v === null) return "";
        return v >= 0 ? "rgba(230,85,50," + (0.75 * v).toFixed(3) + ")" : "rgba(50,120,200," + (-0.75 * v).toFixed(3) + ")";
      }

      // A view draws the text in blocks: plain text until a block is first seen, then one span per character.
      function View(id, colour) {
        const root = document.getElementById(id), blocks = [], visible = new Set();
        let version = 0;
        for (let from = 0; from < N; from += BLOCK) {
          const el = document.createElement("span"), to = Math.min(N, from + BLOCK);
          el.className = "block";
          el.textContent = chars.slice(from, to).map(shown).join("");
          root.appendChild(el);
          blocks.push({ el: el, from: from, to: to, spans: null, painted: -1 });
        }
        function build(b) {
          const frag = document.createDocumentFragment();
          b.spans = [];
          for (let i = b.from; i < b.to; i++) {
            const s = document.createElement("span");
            s.textContent = shown(chars[i]);
            if (chars[i] === "\n") s.className = "nl";
            s.dataset.i = i;
            b.spans.push(s);
            frag.appendChild(s);
          }
          b.el.textContent = "";
          b.el.appendChild(frag);
        }
        function paint(b) {
          if (!b.spans) build(b);
          if (b.painted === version) return;
          for (let i = b.from; i < b.to; i++) b.spans[i - b.from].style.backgroundColor = colour(i);
          b.painted = version;
        }
        const observer = new IntersectionObserver(function (entries) {
          for (const e of entries) {
            const b = blocks[e.target.dataset.b];
            if (e.isIntersecting) { visible.add(b); paint(b); } else visible.delete(b);
          }
        }, { root: root, rootMargin: "400px 0px" });
        blocks.forEach(function (b, k) { b.el.dataset.b = k; observer.observe(b.el); });
        if (blocks.length) paint(blocks[0]);
        return {
          root: root,
          repaint: function () { version++; visible.forEach(paint); if (blocks.length) paint(blocks[0]); },
          span: function (i) { const b = blocks[Math.floor(i / BLOCK)]; paint(b); return b.spans[i - b.from]; }
        };
      }

      const views = [View("surprise-text", surpriseColour), View("cell-text", cellColour)];
      const info = document.getElementById("info");
      let current = -1, marked = [];

      function details(i) {
        const box = document.createElement("div");
        const head = document.createElement("div");
        head.append(named(chars[i]) + "  \u00b7 character " + (i + 1) + " of " + N);
        box.appendChild(head);
        const line = document.createElement("div");
        if (i === 0) {
          line.append("the first character is not predicted");
        } else {
          const bits = D.surprisal[i - 1];
          line.append(bits.toFixed(2) + " bits (p = " + (100 * Math.pow(2, -bits)).toFixed(2) + "%); expected: ");
          for (let r = 0; r < K; r++) {
            const v = D.top[(i - 1) * K + r];
            if (v < 0) break;
            const c = document.createElement("code");
            c.textContent = "\u2018" + shown(D.vocabulary[v]).replace("\n", "") + "\u2019";
            const p = document.createElement("span");
            p.className = "p";
            p.textContent = " " + (100 * D.topP[(i - 1) * K + r]).toFixed(1) + "%" + (r + 1 < K ? "  " : "");
            line.append(c, p);
          }
        }
        box.appendChild(line);
        const a = activityAt(i), cellLine = document.createElement("div");
        cellLine.textContent = "layer " + layer + " cell " + cell + ": " + D.activityName + " = "
          + (a === null ? "\u2014 (the last character is not read)" : (a >= 0 ? "+" : "") + a.toFixed(2));
        box.appendChild(cellLine);
        info.replaceChildren(box);
        info.classList.add("on");
      }

      // Scrolls a view's own box (never the page) so that span s is inside it.
      function reveal(root, s) {
        const r = root.getBoundingClientRect(), b = s.getBoundingClientRect();
        if (b.top < r.top) root.scrollTop -= r.top - b.top + 4;
        else if (b.bottom > r.bottom) root.scrollTop += b.bottom - r.bottom + 4;
      }

      function select(i, scroll) {
        if (i < 0 || i >= N) return;
        marked.forEach(function (s) { s.classList.remove("cur"); });
        marked = views.map(function (v) { return v.span(i); });
        marked.forEach(function (s) { s.classList.add("cur"); });
        current = i;
        if (scroll) marked.forEach(function (s, k) { reveal(views[k].root, s); });
        details(i);
      }

      views.forEach(function (v) {
        v.root.addEventListener("mouseover", function (e) {
          const i = e.target.dataset && e.target.dataset.i;
          if (i !== undefined) details(Number(i));
        });
        v.root.addEventListener("mouseleave", function () { if (current >= 0) details(current); else info.classList.remove("on"); });
        v.root.addEventListener("click", function (e) {
          const i = e.target.dataset && e.target.dataset.i;
          if (i !== undefined) select(Number(i), false);
        });
        v.root.addEventListener("focus", function () { select(current >= 0 ? current : 0, true); });
        v.root.addEventListener("keydown", function (e) {
          const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 40, ArrowUp: -40 }[e.key];
          if (step !== undefined) { select(Math.min(N - 1, Math.max(0, current + step)), true); e.preventDefault(); }
          else if (e.key === "Escape") { info.classList.remove("on"); }
          else if (e.key === "Home") { select(0, true); e.preventDefault(); }
          else if (e.key === "End") { select(N - 1, true); e.preventDefault(); }
        });
      });

      // The cell picker.
      const layerSelect = document.getElementById("layer"), cellInput = document.getElementById("cell");
      const note = document.getElementById("cell-note");
      for (let k = 0; k < L; k++) {
        const o = document.createElement("option");
        o.value = k; o.textContent = k;
        layerSelect.appendChild(o);
      }
      const picks = Array.from(document.querySelectorAll("button.pick"));
      function show(k, j) {
        layer = Math.min(Math.max(k, 0), L - 1);
        cell = Math.min(Math.max(j, 0), H - 1);
        layerSelect.value = layer;
        cellInput.value = cell;
        note.textContent = D.properties.map(function (name, p) {
          const r = D.correlations[p][layer * H + cell];
          return name + " " + (r === null ? "\u2014" : (r >= 0 ? "+" : "") + Number(r).toFixed(2));
        }).join(" \u00b7 ");
        note.textContent = "r with: " + note.textContent;
        picks.forEach(function (b) { b.classList.toggle("on", Number(b.dataset.layer) === layer && Number(b.dataset.cell) === cell); });
        views[1].repaint();
        if (current >= 0) details(current);
      }
      layerSelect.addEventListener("change", function () { show(Number(layerSelect.value), cell); });
      cellInput.addEventListener("change", function () { show(layer, Math.round(Number(cellInput.value)) || 0); });
      document.getElementById("prev").addEventListener("click", function () { show(layer, (cell + H - 1) % H); });
      document.getElementById("next").addEventListener("click", function () { show(layer, (cell + 1) % H); });
      picks.forEach(function (b) {
        b.addEventListener("click", function () {
          show(Number(b.dataset.layer), Number(b.dataset.cell));
          document.getElementById("cells").scrollIntoView({ block: "start", behavior: "smooth" });
        });
      });
      show(layer, cell);
      document.body.dataset.ready = "1";
    })();
    """#
}
