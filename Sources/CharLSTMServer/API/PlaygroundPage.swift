import CharLSTM

/// The playground at `/`: one self-contained page (its styles and script inline, system fonts, no request to
/// any other host) where a person types a prime, sets the sampling and watches the text stream in from
/// `/v1/completions`. Generated text is put in with text nodes only, never read as HTML; the server's
/// `Content-Security-Policy` lets the page talk to this server alone.
enum PlaygroundPage {
    /// Inline styles and script, and requests to this origin only.
    static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
        + "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    static func html(server: Server) -> String {
        let c = server.config
        let facts = "\(c.cell.rawValue) · \(c.layers) layer\(c.layers == 1 ? "" : "s") × \(c.hidden) · \(c.vocabularySize) characters"
        let settings: JSONValue = .object([
            "model": .string(server.modelName), "auth": .bool(server.configuration.apiKey != nil),
            "maxTokens": .int(server.configuration.completions.maxTokens),
        ])
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="generator" content="charlstm serve">
        <title>\(Markup.escape(server.modelName)) · charlstm playground</title>
        <style>\(style)</style>
        </head>
        <body>
        <header>
        <h1>Playground: <code>\(Markup.escape(server.modelName))</code></h1>
        <p class="facts">\(Markup.escape(facts)) · streamed from <code>/v1/completions</code> on this machine</p>
        <noscript><p class="warn">The playground needs JavaScript to talk to the server.</p></noscript>
        </header>
        <main>
        <section>
        <label for="prime" class="lbl">Prime</label>
        <textarea id="prime" rows="3" spellcheck="false" placeholder="Text the model continues, e.g. ROMEO:">ROMEO:</textarea>
        <div class="controls">
        <label>temperature <input id="temperature" type="range" min="0" max="2" step="0.05" value="0.8"><output id="temperature-value">0.8</output></label>
        <label>top-p <input id="top-p" type="range" min="0.05" max="1" step="0.05" value="1"><output id="top-p-value">1</output></label>
        <label>top-k <input id="top-k" type="number" min="1" step="1" placeholder="all"></label>
        <label>length <input id="length" type="number" min="1" max="\(server.configuration.completions.maxTokens)" step="1" value="500"></label>
        <label>seed <input id="seed" type="number" min="0" step="1" placeholder="random"></label>
        <label id="key-label" hidden>API key <input id="key" type="password" autocomplete="off"></label>
        <button id="generate" type="button" class="primary">Generate</button>
        <button id="stop" type="button" disabled>Stop</button>
        </div>
        </section>
        <section>
        <p id="status" class="status">Ready.</p>
        <div id="output" class="text" aria-live="polite"><span id="shown-prime" class="prime"></span><span id="generated"></span><span id="caret" class="caret"></span></div>
        </section>
        </main>
        <script type="application/json" id="settings">\(Markup.scriptJSON(settings))</script>
        <script>\(script)</script>
        </body>
        </html>

        """
    }

    static let style = #"""
    :root { color-scheme: light; --ink: #1b1f24; --muted: #667080; --line: #d8dde3; --paper: #ffffff; --accent: #1f77b4; }
    * { box-sizing: border-box; }
    [hidden] { display: none !important; }
    body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--ink); background: #f5f6f8; }
    header, main { max-width: 1000px; margin: 0 auto; padding: 0 16px; }
    header { padding-top: 14px; }
    h1 { font-size: 20px; margin: 0 0 4px; }
    code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }
    .facts { margin: 0 0 8px; color: var(--muted); }
    .warn { color: #b00020; }
    section { background: var(--paper); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; margin: 10px 0; }
    .lbl { font-weight: 600; display: block; margin-bottom: 4px; }
    textarea { width: 100%; font: 14px/1.5 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; padding: 6px 8px;
               border: 1px solid var(--line); border-radius: 4px; resize: vertical; }
    .controls { display: flex; flex-wrap: wrap; align-items: center; gap: 10px 16px; margin: 8px 0 2px; }
    .controls label { display: flex; align-items: center; gap: 6px; color: var(--muted); }
    .controls input[type=number] { width: 6.5em; }
    .controls input[type=password] { width: 10em; }
    .controls output { min-width: 2.6em; color: var(--ink); font-variant-numeric: tabular-nums; }
    button { font: inherit; padding: 4px 14px; border: 1px solid var(--line); border-radius: 4px; background: #f2f5f9; cursor: pointer; }
    button.primary { background: var(--accent); border-color: var(--accent); color: #fff; font-weight: 600; }
    button:disabled { opacity: .5; cursor: default; }
    .text { font: 14px/1.5 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, "Noto Sans Mono CJK SC", monospace;
            white-space: pre-wrap; overflow-wrap: anywhere; min-height: 16em; max-height: 60vh; overflow-y: auto; padding: 6px 8px;
            border: 1px solid var(--line); border-radius: 4px; background: #fff; }
    .prime { color: var(--muted); background: #eef2f6; }
    .caret { display: inline-block; width: 0.55em; height: 1.1em; vertical-align: text-bottom; background: var(--accent); opacity: 0; }
    .running .caret { opacity: .8; animation: blink 1s steps(2) infinite; }
    @keyframes blink { 50% { opacity: 0; } }
    .status { margin: 0 0 6px; color: var(--muted); font-size: 13px; }
    .status.error { color: #b00020; }
    """#

    static let script = #"""
    "use strict";
    const settings = JSON.parse(document.getElementById("settings").textContent);
    const $ = (id) => document.getElementById(id);
    const output = $("output"), generated = $("generated"), status = $("status");
    let controller = null;
    if (settings.auth) $("key-label").hidden = false;
    for (const id of ["temperature", "top-p"]) {
      const input = $(id), shown = $(id + "-value");
      input.addEventListener("input", () => { shown.textContent = input.value; });
    }
    function say(text, isError) { status.textContent = text; status.classList.toggle("error", !!isError); }
    function number(id) { const v = $(id).value.trim(); return v === "" ? null : Number(v); }

    async function generate() {
      if (controller) return;
      const body = { model: settings.model, prompt: $("prime").value, stream: true,
                     max_tokens: number("length") ?? 500, temperature: number("temperature"), top_p: number("top-p") };
      const topK = number("top-k"), seed = number("seed");
      if (topK !== null) body.top_k = topK;
      if (seed !== null) body.seed = seed;
      const headers = { "Content-Type": "application/json" };
      if (settings.auth && $("key").value) headers.Authorization = "Bearer " + $("key").value;
      $("shown-prime").textContent = body.prompt;
      generated.textContent = "";
      const text = generated.appendChild(document.createTextNode(""));
      controller = new AbortController();
      $("generate").disabled = true; $("stop").disabled = false; output.classList.add("running");
      say("Waiting for the first character…");
      const started = performance.now();
      let count = 0, finish = null, first = null, seedUsed = null;
      try {
        const response = await fetch("/v1/completions", { method: "POST", headers, body: JSON.stringify(body), signal: controller.signal });
        seedUsed = response.headers.get("X-CharLSTM-Seed");
        if (!response.ok) {
          let message = response.status + " " + response.statusText;
          try { message = (await response.json()).error.message; } catch (e) {}
          throw new Error(message);
        }
        const reader = response.body.getReader(), decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          // Every event that has arrived, then one change to the page (not one layout per character).
          let fresh = "", start = 0, cut;
          while ((cut = buffer.indexOf("\n\n", start)) >= 0) {
            const event = buffer.slice(start, cut);
            start = cut + 2;
            if (!event.startsWith("data: ") || event === "data: [DONE]") continue;
            const choice = JSON.parse(event.slice(6)).choices[0];
            if (!choice) continue;
            if (choice.text) fresh += choice.text;
            if (choice.finish_reason) finish = choice.finish_reason;
          }
          buffer = buffer.slice(start);
          if (fresh) {
            if (first === null) first = performance.now() - started;
            text.appendData(fresh);
            count += [...fresh].length;
            output.scrollTop = output.scrollHeight;
            const seconds = (performance.now() - started) / 1000;
            say(count + " characters · " + (count / Math.max(seconds, 1e-3)).toFixed(0) + " chars/s");
          }
        }
        const seconds = (performance.now() - started) / 1000;
        say(count + " characters in " + seconds.toFixed(2) + " s (" + (count / Math.max(seconds, 1e-3)).toFixed(0)
            + " chars/s; first after " + (first ?? 0).toFixed(0) + " ms) · seed " + seedUsed + " · finished: " + (finish ?? "?"));
      } catch (error) {
        if (error.name === "AbortError") say("Stopped after " + count + " characters (seed " + seedUsed + ").");
        else say("Error: " + error.message, true);
      } finally {
        controller = null;
        $("generate").disabled = false; $("stop").disabled = true; output.classList.remove("running");
      }
    }
    $("generate").addEventListener("click", generate);
    $("stop").addEventListener("click", () => { if (controller) controller.abort(); });
    $("prime").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) generate(); });
    """#
}
